"""The user's vocabulary (``import minitheano.tensor as T``): typed variables with Python
operators, the functions that build graphs from them (named as in Theano), and a few
composites written with those functions.

Every function but the composites is defined in an ``ops`` module right under its op class;
this module gathers them and gives variables their operators (``x + y`` is ``add(x, y)``).
"""
import numpy as np

from .config import config
from .graph import Constant, SharedVariable, TensorType, Variable, as_variable, constant, shared  # noqa: F401
from .ops.conv import conv2d
from .ops.elemwise import (  # noqa: F401
    ShapeError, abs_, add, and_, broadcast_like, cast, clip, cos, eq, exp, floor_div, ge, gt, invert, isnan, le,
    log, log1p, lt, maximum, minimum, mod, mul, neg, neq, ones_like, or_, pow, relu, sgn, sigmoid, sin, softplus,
    sqrt, square, sub, switch, tanh, true_div, zeros_like)
from .ops.linalg import dot, outer  # noqa: F401
from .ops.nnet import log_softmax, softmax
from .ops.pool import pool_2d
from .ops.reduce import argmax, argmin, max, mean, min, norm, prod, std, sum, var  # noqa: F401
from .ops.shape import (  # noqa: F401
    alloc, arange, as_shape, concatenate, dimshuffle, flatten, ones, reshape, shape, stack, transpose, zeros)
from .ops.subtensor import getitem, inc_subtensor, set_subtensor  # noqa: F401

abs = abs_
div = true_div
where = switch


# Variables --------------------------------------------------------------------------------

class TensorOperators:
    """Python operators and methods of symbolic tensors: ``x + y``, ``x[0]``, ``x.sum()``.

    A mixin (as in PyTensor), so graph.py stays free of ops. numpy defers to these operators
    (``__array_ufunc__ = None``), so ``np.ones(2) * x`` builds a graph, not an object array.
    """

    __array_ufunc__ = None

    def __add__(self, other): return add(self, other)
    def __radd__(self, other): return add(other, self)
    def __sub__(self, other): return sub(self, other)
    def __rsub__(self, other): return sub(other, self)
    def __mul__(self, other): return mul(self, other)
    def __rmul__(self, other): return mul(other, self)
    def __truediv__(self, other): return true_div(self, other)
    def __rtruediv__(self, other): return true_div(other, self)
    def __floordiv__(self, other): return floor_div(self, other)
    def __rfloordiv__(self, other): return floor_div(other, self)
    def __mod__(self, other): return mod(self, other)
    def __pow__(self, other): return pow(self, other)
    def __rpow__(self, other): return pow(other, self)
    def __neg__(self): return neg(self)
    def __pos__(self): return self
    def __abs__(self): return abs_(self)
    def __lt__(self, other): return lt(self, other)
    def __le__(self, other): return le(self, other)
    def __gt__(self, other): return gt(self, other)
    def __ge__(self, other): return ge(self, other)
    def __and__(self, other): return and_(self, other)
    def __or__(self, other): return or_(self, other)
    def __invert__(self): return invert(self)
    def __getitem__(self, index): return getitem(self, index)
    def __matmul__(self, other): return dot(self, other)

    T = property(lambda self: transpose(self))
    shape = property(lambda self: shape(self))
    size = property(lambda self: prod(shape(self)))

    def dimshuffle(self, *pattern): return dimshuffle(self, *pattern)
    def transpose(self, *axes): return transpose(self, axes or None)
    def flatten(self, ndim=1): return flatten(self, ndim)
    def dot(self, other): return dot(self, other)
    def astype(self, dtype): return cast(self, dtype)
    def sum(self, axis=None, keepdims=False): return sum(self, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return mean(self, axis, keepdims)
    def max(self, axis=None, keepdims=False): return max(self, axis, keepdims)
    def min(self, axis=None, keepdims=False): return min(self, axis, keepdims)
    def prod(self, axis=None, keepdims=False): return prod(self, axis, keepdims)
    def var(self, axis=None, keepdims=False): return var(self, axis, keepdims)
    def std(self, axis=None, keepdims=False): return std(self, axis, keepdims)
    def argmax(self, axis=None, keepdims=False): return argmax(self, axis, keepdims)
    def argmin(self, axis=None, keepdims=False): return argmin(self, axis, keepdims)
    def norm(self, L=2, axis=None): return norm(self, L, axis)
    def clip(self, lo, hi): return clip(self, lo, hi)
    def exp(self): return exp(self)
    def log(self): return log(self)
    def sqrt(self): return sqrt(self)

    def reshape(self, *shape, ndim=None):
        one = len(shape) == 1 and isinstance(shape[0], (tuple, list, Variable))
        return reshape(self, shape[0] if one else shape, ndim=ndim)


class TensorVariable(TensorOperators, Variable):
    """A symbolic tensor with operators: an input, or the output of a node."""


class TensorConstant(TensorOperators, Constant):
    """A constant tensor with operators."""


class TensorSharedVariable(TensorOperators, SharedVariable):
    """A shared tensor with operators."""


TensorType.variable_type, TensorType.constant_type = TensorVariable, TensorConstant
TensorType.shared_type = TensorSharedVariable


def tensor(dtype=None, ndim=None, name=None, shape=None):
    """A symbolic input of ``dtype`` with ``ndim`` dims (or a static ``shape``: ints or None)."""
    if shape is None:
        shape = (None,) * (ndim or 0)
    elif ndim is not None and len(shape) != ndim:
        raise ValueError(f"shape {shape} does not have {ndim} dims")
    return TensorType(dtype or config.floatX, shape)(name)


def _maker(ndim, dtype=None):
    def make(name=None, dtype=dtype, shape=None):
        return tensor(dtype, ndim, name, shape)
    make.__doc__ = f"A symbolic {ndim}-d input ({dtype or 'floatX'} unless ``dtype`` says otherwise)."
    return make


scalar, vector, matrix, tensor3, tensor4 = (_maker(n) for n in range(5))
iscalar, ivector, imatrix, itensor3, itensor4 = (_maker(n, "int32") for n in range(5))
lscalar, lvector, lmatrix, ltensor3, ltensor4 = (_maker(n, "int64") for n in range(5))
fscalar, fvector, fmatrix, ftensor3, ftensor4 = (_maker(n, "float32") for n in range(5))
dscalar, dvector, dmatrix, dtensor3, dtensor4 = (_maker(n, "float64") for n in range(5))
bscalar, bvector, bmatrix = (_maker(n, "int8") for n in range(3))


def fill(model, value):
    """``value`` broadcast to the shape of ``model`` (Theano's fill)."""
    return broadcast_like(value, model)


# Composites -------------------------------------------------------------------------------

def categorical_crossentropy(coding_dist, true_dist):
    """Per-row crossentropy of predicted distributions and integer labels or one-hot rows."""
    coding_dist, true_dist = as_variable(coding_dist), as_variable(true_dist)
    if true_dist.ndim == coding_dist.ndim:
        return -sum(true_dist * log(coding_dist), axis=coding_dist.ndim - 1)
    if true_dist.ndim == coding_dist.ndim - 1 and np.dtype(true_dist.dtype).kind in "iu":
        if coding_dist.ndim == 1:
            return -log(coding_dist[true_dist])
        return -log(coding_dist[arange(coding_dist.shape[0]), true_dist])
    raise TypeError(
        f"categorical_crossentropy: targets {true_dist!r} ({true_dist.ndim}-d, {true_dist.dtype}) must be integer "
        f"labels with one dim fewer than the predictions {coding_dist!r} ({coding_dist.ndim}-d), or one-hot rows "
        "of the same shape.")


def binary_crossentropy(output, target):
    output, target = as_variable(output), as_variable(target)
    return -(target * log(output) + (1 - target) * log(1 - output))


class _Namespace:
    def __init__(self, **members):
        self.__dict__.update(members)


nnet = _Namespace(sigmoid=sigmoid, softmax=softmax, log_softmax=log_softmax, relu=relu, softplus=softplus,
                  categorical_crossentropy=categorical_crossentropy, binary_crossentropy=binary_crossentropy,
                  conv2d=conv2d, pool_2d=pool_2d)
