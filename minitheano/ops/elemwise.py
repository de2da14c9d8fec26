"""Elementwise ops: arithmetic, comparisons, nonlinearities, with numpy broadcasting.

Shapes broadcast as in numpy. Statically known lengths that cannot broadcast fail when the
graph is built. Dtypes follow one rule: if any input is a float, the result is the widest
float among the inputs (integers never upcast floats); otherwise numpy's integer promotion.
"""
import functools

import numpy as np

from ..config import config
from ..graph import Apply, Op, TensorType, as_variable, constant


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
            raise ShapeError(f"{op_name}: cannot broadcast {described} (axis {axis} of the result: lengths {sorted(known)}).")
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

    def make_thunk(self, node, xp):
        """The fastest callable for this node: the bare ufunc when it already gives the declared
        dtype (probed once on tiny arrays), else a wrapper that casts."""
        dtype = np.dtype(node.outputs[0].dtype)
        fn = getattr(xp, self.ufunc) if self.ufunc else functools.partial(self.impl, xp)
        try:
            probe = self.impl(np, *[np.ones((1,) * i.ndim, dtype=i.dtype) for i in node.inputs])
            exact = np.asarray(probe).dtype == dtype
        except Exception:
            exact = False
        if exact:
            return fn

        def thunk(*args):
            out = fn(*args)
            return out if out.dtype == dtype else out.astype(dtype)

        return thunk

    def make_inplace_thunk(self, node, xp, i):
        """Like make_thunk, but writes the result into input ``i`` when shapes allow.

        The linker asks for this only when input ``i`` is a fresh array used by this node alone.
        """
        if not self.ufunc:
            return None
        dtype = np.dtype(node.outputs[0].dtype)
        try:
            probe = self.impl(np, *[np.ones((1,) * v.ndim, dtype=v.dtype) for v in node.inputs])
        except Exception:
            return None
        if np.asarray(probe).dtype != dtype or node.inputs[i].dtype != dtype:
            return None
        ufunc = getattr(xp, self.ufunc)

        def thunk(*args):
            try:
                return ufunc(*args, out=args[i])
            except (TypeError, ValueError):  # a scalar, or the result is larger than that input
                return ufunc(*args)

        return thunk

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


# Arithmetic -------------------------------------------------------------------------------
# Each op class is followed by its user function (an instance: ``add(a, b)`` builds a node).
# Gradients say only their own mathematics: ``grad`` (minitheano.gradient) sums a gradient back
# to the shape of a broadcast input and drops the gradients of integer inputs.

class Add(Elemwise):
    ufunc = "add"
    symbol = "+"
    def impl(self, xp, a, b): return a + b
    def grad(self, node, grads): return [grads[0], grads[0]]


add = Add()


class Sub(Elemwise):
    ufunc = "subtract"
    symbol = "-"
    def impl(self, xp, a, b): return a - b
    def grad(self, node, grads): return [grads[0], -grads[0]]


sub = Sub()


class Mul(Elemwise):
    ufunc = "multiply"
    symbol = "*"
    def impl(self, xp, a, b): return a * b
    def grad(self, node, grads):
        (g,), (x, y) = grads, node.inputs
        return [g * y, g * x]


mul = Mul()


class TrueDiv(Elemwise):
    ufunc = "true_divide"
    symbol = "/"
    def output_dtype(self, a, b):
        out = upcast(a, b)
        return out if np.dtype(out).kind == "f" else config.floatX
    def impl(self, xp, a, b): return a / b
    def grad(self, node, grads):
        (g,), (x, y) = grads, node.inputs
        return [g / y, -g * x / (y * y)]


true_div = TrueDiv()


class FloorDiv(Elemwise):
    symbol = "//"
    def impl(self, xp, a, b): return a // b
    def grad(self, node, grads): return [None, None]


floor_div = FloorDiv()


class Mod(Elemwise):
    symbol = "%"
    def impl(self, xp, a, b): return a % b
    def grad(self, node, grads): return [None, None]


mod = Mod()


class Pow(Elemwise):
    ufunc = "power"
    symbol = "**"
    def impl(self, xp, a, b): return a ** b
    def grad(self, node, grads):
        (g,), (x, y) = grads, node.inputs
        gy = g * node.outputs[0] * log(x) if np.dtype(y.dtype).kind == "f" else None
        return [g * y * x ** (y - 1), gy]


pow = Pow()


class Maximum(Elemwise):
    ufunc = "maximum"
    def impl(self, xp, a, b): return xp.maximum(a, b)
    def grad(self, node, grads):
        (g,), (x, y) = grads, node.inputs
        return [g * cast(ge(x, y), g.dtype), g * cast(lt(x, y), g.dtype)]


maximum = Maximum()


class Minimum(Elemwise):
    ufunc = "minimum"
    def impl(self, xp, a, b): return xp.minimum(a, b)
    def grad(self, node, grads):
        (g,), (x, y) = grads, node.inputs
        return [g * cast(le(x, y), g.dtype), g * cast(gt(x, y), g.dtype)]


minimum = Minimum()


class Neg(Elemwise):
    ufunc = "negative"
    nin, symbol = 1, "-"
    def impl(self, xp, a): return -a
    def grad(self, node, grads): return [-grads[0]]


neg = Neg()


class Abs(Elemwise):
    ufunc = "absolute"
    nin = 1
    def impl(self, xp, a): return xp.abs(a)
    def grad(self, node, grads): return [grads[0] * sgn(node.inputs[0])]


abs_ = Abs()


class Sgn(Elemwise):
    ufunc = "sign"
    nin = 1
    def impl(self, xp, a): return xp.sign(a)
    def grad(self, node, grads): return [None]


sgn = Sgn()


# Functions --------------------------------------------------------------------------------

class Exp(UnaryFloat):
    ufunc = "exp"
    def impl(self, xp, a): return xp.exp(a)
    def grad(self, node, grads): return [grads[0] * node.outputs[0]]


exp = Exp()


class Log(UnaryFloat):
    ufunc = "log"
    def impl(self, xp, a): return xp.log(a)
    def grad(self, node, grads): return [grads[0] / node.inputs[0]]


log = Log()


class Log1p(UnaryFloat):
    ufunc = "log1p"
    def impl(self, xp, a): return xp.log1p(a)
    def grad(self, node, grads): return [grads[0] / (1 + node.inputs[0])]


log1p = Log1p()


class Sqrt(UnaryFloat):
    ufunc = "sqrt"
    def impl(self, xp, a): return xp.sqrt(a)
    def grad(self, node, grads): return [grads[0] * 0.5 / node.outputs[0]]


sqrt = Sqrt()


class Square(Elemwise):
    ufunc = "square"
    nin = 1
    def impl(self, xp, a): return a * a
    def grad(self, node, grads): return [grads[0] * 2 * node.inputs[0]]


square = Square()


class Sin(UnaryFloat):
    ufunc = "sin"
    def impl(self, xp, a): return xp.sin(a)
    def grad(self, node, grads): return [grads[0] * cos(node.inputs[0])]


sin = Sin()


class Cos(UnaryFloat):
    ufunc = "cos"
    def impl(self, xp, a): return xp.cos(a)
    def grad(self, node, grads): return [-grads[0] * sin(node.inputs[0])]


cos = Cos()


class Sigmoid(UnaryFloat):
    """The logistic function, computed as 0.5 + 0.5 tanh(x/2): exact and overflow-free."""
    def impl(self, xp, a): return 0.5 + 0.5 * xp.tanh(0.5 * a)
    def grad(self, node, grads):
        s = node.outputs[0]
        return [grads[0] * s * (1 - s)]


sigmoid = Sigmoid()


class Tanh(UnaryFloat):
    ufunc = "tanh"
    def impl(self, xp, a): return xp.tanh(a)
    def grad(self, node, grads):
        t = node.outputs[0]
        return [grads[0] * (1 - t * t)]


tanh = Tanh()


class Softplus(UnaryFloat):
    """log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|))."""
    def impl(self, xp, a): return xp.maximum(a, 0) + xp.log1p(xp.exp(-xp.abs(a)))
    def grad(self, node, grads): return [grads[0] * sigmoid(node.inputs[0])]


softplus = Softplus()


class Relu(Elemwise):
    nin = 1
    def impl(self, xp, a): return xp.maximum(a, 0)
    def grad(self, node, grads): return [relu_grad(node.inputs[0], grads[0])]


relu = Relu()


class ReluGrad(Elemwise):
    """``g`` where ``x > 0``, else 0: the gradient of relu in one pass instead of three."""
    def output_dtype(self, x, g): return g
    def impl(self, xp, x, g): return xp.where(x > 0, g, 0)
    def grad(self, node, grads): return [None, relu_grad(node.inputs[0], grads[0])]
    def pp(self, node, args): return f"relu_grad({args[0]}, {args[1]})"


relu_grad = ReluGrad()


class Clip(Elemwise):
    nin = 3
    def impl(self, xp, a, lo, hi): return xp.clip(a, lo, hi)
    def grad(self, node, grads):
        x, lo, hi = node.inputs
        return [grads[0] * cast(ge(x, lo) & le(x, hi), grads[0].dtype), None, None]


clip = Clip()


# Comparisons and logic (integer results, no gradient) ---------------------------------------

class Comparison(Elemwise):
    def output_dtype(self, *dtypes): return "int8"
    def grad(self, node, grads): return [None] * len(node.inputs)


class LT(Comparison):
    symbol = "<"
    def impl(self, xp, a, b): return a < b
class GT(Comparison):
    symbol = ">"
    def impl(self, xp, a, b): return a > b
class LE(Comparison):
    symbol = "<="
    def impl(self, xp, a, b): return a <= b
class GE(Comparison):
    symbol = ">="
    def impl(self, xp, a, b): return a >= b
class EQ(Comparison):
    symbol = "=="
    def impl(self, xp, a, b): return a == b
class NEQ(Comparison):
    symbol = "!="
    def impl(self, xp, a, b): return a != b
class And(Comparison):
    symbol = "&"
    def impl(self, xp, a, b): return xp.logical_and(a, b)
class Or(Comparison):
    symbol = "|"
    def impl(self, xp, a, b): return xp.logical_or(a, b)
class Invert(Comparison):
    nin = 1
    def impl(self, xp, a): return xp.logical_not(a)
class IsNan(Comparison):
    nin = 1
    def impl(self, xp, a): return xp.isnan(a)


lt, gt, le, ge, eq, neq = LT(), GT(), LE(), GE(), EQ(), NEQ()
and_, or_, invert, isnan = And(), Or(), Invert(), IsNan()


class Switch(Elemwise):
    """``switch(cond, a, b)``: a where cond is nonzero, else b."""
    nin = 3
    def output_dtype(self, c, a, b): return upcast(a, b)
    def impl(self, xp, c, a, b): return xp.where(c, a, b)
    def grad(self, node, grads):
        (g,), c = grads, node.inputs[0]
        zero = zeros_like(g)
        return [None, switch(c, g, zero), switch(c, zero, g)]


switch = Switch()


class Cast(Elemwise):
    nin = 1
    __props__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype).name

    @property
    def name(self):
        return f"cast<{self.dtype}>"

    def output_dtype(self, dtype): return self.dtype
    def impl(self, xp, a): return a.astype(self.dtype)

    def grad(self, node, grads):
        x = node.inputs[0]
        return [cast(grads[0], x.dtype) if np.dtype(self.dtype).kind == "f" else None]


def cast(x, dtype):
    """``x`` converted to ``dtype`` ('floatX' means config.floatX)."""
    x = as_variable(x)
    dtype = config.floatX if dtype == "floatX" else np.dtype(dtype).name
    return x if x.dtype == dtype else Cast(dtype)(x)


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
        kept = [a for a in range(g.ndim) if a not in axes]
        if len(kept) == 1:
            # One axis kept (a bias gradient): sum rows of a 2-d view when memory allows it, which
            # is much faster than numpy's reduction over several strided axes.
            moved = xp.moveaxis(g, kept[0], -1)
            if moved.flags.c_contiguous:
                return moved.reshape(-1, moved.shape[-1]).sum(axis=0).reshape(like.shape)
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
