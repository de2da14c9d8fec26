"""Broadcasting, and the base of elementwise ops.

Shapes broadcast as in numpy. Statically known lengths that cannot broadcast fail when the
graph is built. Dtypes follow one rule: if any input is a float, the result is the widest
float among the inputs (integers never upcast floats); otherwise numpy's integer promotion.
``SumToShape`` undoes broadcasting for gradients; ``BroadcastLike`` broadcasts explicitly.
"""
import numpy as np

from ..config import config
from ..graph import Apply, Op, TensorType, as_variable, constant
from ..kernels import elemwise as kernels, fused


class ShapeError(ValueError):
    """Shapes that cannot work together, found while building the graph."""


def upcast(*dtypes):
    floats = [np.dtype(d) for d in dtypes if np.dtype(d).kind == "f"]
    if floats:
        return max(floats, key=lambda d: d.itemsize).name
    return np.result_type(*[np.dtype(d) for d in dtypes]).name


def broadcast_shape(inputs, op_name):
    """Static output shape of broadcasting ``inputs``; ShapeError names them when it can't."""
    ndim = max(v.ndim for v in inputs)
    shapes = [(1,) * (ndim - v.ndim) + v.type.shape for v in inputs]
    out = []
    for axis, dims in enumerate(zip(*shapes)):
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            described = ", ".join(f"{v!r} with shape {v.type.shape}" for v in inputs)
            raise ShapeError(f"{op_name}: cannot broadcast {described} "
                             f"(axis {axis} of the result: lengths {sorted(known)}).")
        if known:
            out.append(known.pop())
        elif all(d == 1 for d in dims):
            out.append(1)
        else:
            out.append(None)
    return tuple(out)


class Elemwise(Op):
    """Base of elementwise ops: subclasses give ``impl(xp, *values)`` and ``grad``.

    ``symbol`` makes the op print infix in ``pp``: ``(a + b)``.
    """

    nin = 2
    symbol = None
    fresh_output = True

    @property
    def name(self):
        return type(self).__name__.lower()

    @property
    def broadcasts(self):
        return self.nin > 1

    def __str__(self):
        return self.name

    def output_dtype(self, *dtypes):
        return upcast(*dtypes)

    def make_node(self, *inputs):
        if len(inputs) != self.nin:
            raise TypeError(f"{self.name} takes {self.nin} inputs, got {len(inputs)}")
        inputs = [as_variable(i) for i in inputs]
        shape = broadcast_shape(inputs, self.name)
        dtype = self.output_dtype(*[i.dtype for i in inputs])
        return Apply(self, inputs, [TensorType(dtype, shape)])

    def impl(self, xp, *args):
        raise NotImplementedError

    def perform(self, xp, *args):
        return self.impl(xp, *args)

    ufunc = None  # name of the array-module function computing this op, if there is one
    # An op without one may define impl_into(xp, *args, out) writing its result into ``out``:
    # composites then reuse their temporaries through it, and updates are computed in place.

    def make_thunk(self, node, xp):
        if node.outputs[0].ndim == 4:  # image maps: in blocks of channels-last rows (kernels.fused)
            return fused.composite_thunk([node], node.inputs, xp)
        return kernels.elemwise_thunk(self, node, xp)

    def make_inplace_thunk(self, node, xp, i):
        """Like make_thunk, but writing the result into input ``i`` (None if it can't).

        The in-place pass asks for this only when input ``i`` is a fresh array used by this node alone.
        """
        if node.outputs[0].ndim == 4 and node.inputs[i].dtype == node.outputs[0].dtype:
            thunk = fused.composite_thunk([node], node.inputs, xp)
            return lambda *args: thunk(*args, out=args[i])
        return kernels.inplace_thunk(self, node, xp, i)

    def make_update_thunk(self, node, xp):
        """A thunk ``t(*args, out=storage)`` writing the result into ``storage`` (a shared variable's
        value, which nothing reads after this node), or None if the op can't."""
        return kernels.out_thunk(self, node, xp)

    def pp(self, node, args):
        if self.symbol and len(args) == 2:
            return f"({args[0]} {self.symbol} {args[1]})"
        if self.symbol and len(args) == 1:
            return f"{self.symbol}{args[0]}"
        return f"{self.name}({', '.join(args)})"


class UnaryFloat(Elemwise):
    """An elementwise function whose result is a float even for integer input."""

    nin = 1

    def output_dtype(self, dtype):
        return dtype if np.dtype(dtype).kind == "f" else config.floatX


# Broadcasting -------------------------------------------------------------------------------

class SumToShape(Op):
    """``g`` summed over the axes along which ``like`` was broadcast (the gradient of broadcasting)."""

    def make_node(self, g, like):
        return Apply(self, [g, like], [TensorType(g.dtype, like.type.shape)])

    def perform(self, xp, g, like):
        if g.shape == like.shape:
            return g
        lead = g.ndim - like.ndim
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(like.shape) if n == 1 and g.shape[lead + i] != 1)
        if not axes:
            return g.reshape(like.shape)
        total = kernels.sum_keeping_axis(xp, g, axes)  # a bias's gradient: one product
        if total is not None:
            return total.reshape(like.shape)
        return g.sum(axis=axes, keepdims=True).reshape(like.shape)

    def grad(self, node, grads):
        return [broadcast_like(grads[0], node.inputs[0]), None]

    def pp(self, node, args):
        return f"sum_to_shape({args[0]}, {args[1]})"


sum_to_shape = SumToShape()


def sum_to(g, like):
    """``g`` summed back to the shape of ``like``: no node where static shapes show it is already."""
    if g.type.shape == like.type.shape and None not in like.type.shape:
        return g
    return sum_to_shape(g, like)


class BroadcastLike(Op):
    """``value`` broadcast to the shape of ``like`` (``like`` contributes only its shape)."""

    def make_node(self, value, like):
        value, like = as_variable(value), as_variable(like)
        if value.ndim > like.ndim:
            raise ShapeError(f"broadcast_like: {value!r} has more dimensions than {like!r}")
        return Apply(self, [value, like], [TensorType(value.dtype, like.type.shape)])

    def perform(self, xp, value, like):
        return xp.broadcast_to(value, like.shape)

    def grad(self, node, grads):
        return [sum_to_shape(grads[0], node.inputs[0]), None]

    def pp(self, node, args):
        return f"fill({args[1]}, {args[0]})"


broadcast_like = BroadcastLike()


def zeros_like(x, dtype=None):
    x = as_variable(x)
    return broadcast_like(constant(0, dtype=dtype or x.dtype), x)


def ones_like(x, dtype=None):
    x = as_variable(x)
    return broadcast_like(constant(1, dtype=dtype or x.dtype), x)
