"""Matrix products: ``dot`` of vectors and matrices."""
import numpy as np

from ..graph import Apply, Op, TensorType, as_variable
from .elemwise import ShapeError, cast, mul, upcast
from .shape import dimshuffle


class Dot(Op):
    """Inner product of vectors, matrix-vector or matrix-matrix product (numpy ``dot``)."""

    fresh_output = True

    def make_node(self, x, y):
        if x.ndim not in (1, 2) or y.ndim not in (1, 2):
            raise TypeError(
                f"dot of {x!r} ({x.ndim}-d) and {y!r} ({y.ndim}-d): dot takes vectors and matrices; "
                "flatten higher-dimensional inputs first (x.flatten(2)) or use x * y for elementwise products.")
        inner_x, inner_y = x.type.shape[-1], y.type.shape[0]
        if inner_x is not None and inner_y is not None and inner_x != inner_y:
            raise ShapeError(
                f"dot: {x!r} has shape {x.type.shape} and {y!r} has shape {y.type.shape}; "
                f"the inner lengths {inner_x} and {inner_y} must match.")
        shape = x.type.shape[:-1] + y.type.shape[1:]
        return Apply(self, [x, y], [TensorType(upcast(x.dtype, y.dtype), shape)])

    def perform(self, xp, x, y):
        return xp.dot(x, y)

    def make_thunk(self, node, xp):
        dot, dtype = xp.dot, np.dtype(node.outputs[0].dtype)

        def thunk(x, y):
            out = dot(x, y)
            return out if out.dtype == dtype else out.astype(dtype)

        return thunk

    def grad(self, node, grads):
        (g,), (x, y) = grads, node.inputs
        if x.ndim == 2 and y.ndim == 2:
            gx, gy = dot(g, y.T), dot(x.T, g)
        elif x.ndim == 2:
            gx, gy = outer(g, y), dot(x.T, g)
        elif y.ndim == 2:
            gx, gy = dot(y, g), outer(x, g)
        else:
            gx, gy = g * y, g * x
        return [cast(gx, x.dtype), cast(gy, y.dtype)]

    def __str__(self):
        return "dot"

    def pp(self, node, args):
        return f"({args[0]} dot {args[1]})"


_dot = Dot()


def dot(a, b):
    """Matrix/vector product; a product with a scalar is elementwise."""
    a, b = as_variable(a), as_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    return _dot(a, b)


def outer(a, b):
    return dimshuffle(a, 0, "x") * dimshuffle(b, "x", 0)
