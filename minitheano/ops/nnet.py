"""Neural-network ops: softmax and log-softmax along the last axis (row-wise for matrices)."""
from ..graph import Apply, Op, TensorType, as_variable
from .elemwise import exp


class Softmax(Op):
    """exp(x) / sum(exp(x)) along the last axis, computed after subtracting the row maximum."""

    fresh_output = True

    def make_node(self, x):
        if x.ndim not in (1, 2):
            raise TypeError(f"softmax takes a vector or a matrix (rows are examples), got {x!r} with {x.ndim} dims")
        return Apply(self, [x], [TensorType(x.dtype, x.type.shape)])

    def perform(self, xp, x):
        e = xp.exp(x - x.max(axis=-1, keepdims=True))
        e /= e.sum(axis=-1, keepdims=True)
        return e

    def grad(self, node, grads):
        (g,), sm = grads, node.outputs[0]
        return [sm * (g - (g * sm).sum(axis=-1, keepdims=True))]

    def __str__(self):
        return "softmax"


def softmax(x):
    """Row-wise softmax of a matrix (or of a vector)."""
    return Softmax()(as_variable(x))


class LogSoftmax(Op):
    """log(softmax(x)) along the last axis, finite even for huge logits."""

    fresh_output = True

    def make_node(self, x):
        if x.ndim not in (1, 2):
            raise TypeError(f"log_softmax takes a vector or a matrix, got {x!r} with {x.ndim} dims")
        return Apply(self, [x], [TensorType(x.dtype, x.type.shape)])

    def perform(self, xp, x):
        shifted = x - x.max(axis=-1, keepdims=True)
        return shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))

    def grad(self, node, grads):
        (g,), out = grads, node.outputs[0]
        return [g - exp(out) * g.sum(axis=-1, keepdims=True)]

    def __str__(self):
        return "log_softmax"


def log_softmax(x):
    return LogSoftmax()(as_variable(x))
