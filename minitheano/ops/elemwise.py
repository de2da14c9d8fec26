"""Elementwise ops: arithmetic, comparisons, nonlinearities, with numpy broadcasting
(the rules and the ``Elemwise`` base are in ``broadcast.py``).
"""
import numpy as np

from ..config import config
from ..graph import as_variable
from ..kernels import elemwise as kernels
from .broadcast import (  # noqa: F401 (re-exported: the elementwise vocabulary in one place)
    BroadcastLike, Elemwise, ShapeError, SumToShape, UnaryFloat, broadcast_like, broadcast_shape, ones_like, sum_to,
    sum_to_shape, upcast, zeros_like)


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
    def impl(self, xp, a): return kernels.relu(xp, a)
    def impl_into(self, xp, a, out): return kernels.relu(xp, a, out)
    # The mask reads the output (y > 0 exactly where x > 0), so the input need not be kept: the
    # bias add before a relu then has one reader and fuses into the convolution or dot before it.
    def grad(self, node, grads): return [relu_grad(node.outputs[0], grads[0])]


relu = Relu()


class ReluGrad(Elemwise):
    """``g`` where ``x > 0``, else 0: the gradient of relu in one pass instead of three."""
    def output_dtype(self, x, g): return g
    # g * (x > 0): one multiply by a mask, in g's dtype (where(x > 0, g, 0) upcast to float64 and
    # was 30x slower); it differs only where x <= 0 and g is not finite (nan instead of 0).
    def impl(self, xp, x, g): return g * (x > 0)
    def impl_into(self, xp, x, g, out): return xp.multiply(g, x > 0, out=out)
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


