"""The user's vocabulary (``import minitheano.tensor as T``): typed variables and the
functions that build graphs from them, named as in Theano.
"""
import numpy as np

from .config import config
from .graph import Constant, TensorType, Variable, as_variable, constant, shared  # noqa: F401
from .ops import elemwise as E
from .ops import linalg, nnet as _nnet, reduce as R, shape as S, subtensor as ST
from .ops.conv import conv2d
from .ops.pool import pool_2d
from .ops.reduce import normalize_axis

ShapeError = E.ShapeError


# Variables --------------------------------------------------------------------------------

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


# Elementwise ------------------------------------------------------------------------------

def _binary(op_class):
    op = op_class()
    return lambda a, b: op(a, b)


def _unary(op_class):
    op = op_class()
    return lambda a: op(a)


add, sub, mul, true_div = _binary(E.Add), _binary(E.Sub), _binary(E.Mul), _binary(E.TrueDiv)
floor_div, mod, pow = _binary(E.FloorDiv), _binary(E.Mod), _binary(E.Pow)
maximum, minimum = _binary(E.Maximum), _binary(E.Minimum)
lt, gt, le, ge, eq, neq = (_binary(c) for c in (E.LT, E.GT, E.LE, E.GE, E.EQ, E.NEQ))
and_, or_ = _binary(E.And), _binary(E.Or)
invert, isnan = _unary(E.Invert), _unary(E.IsNan)
neg, abs, sgn = _unary(E.Neg), _unary(E.Abs), _unary(E.Sgn)
exp, log, log1p, sqrt, square = (_unary(c) for c in (E.Exp, E.Log, E.Log1p, E.Sqrt, E.Square))
sin, cos = _unary(E.Sin), _unary(E.Cos)
sigmoid, tanh, softplus, relu = (_unary(c) for c in (E.Sigmoid, E.Tanh, E.Softplus, E.Relu))
div = true_div
abs_ = abs


def switch(cond, a, b):
    """Elementwise ``a`` where ``cond`` is nonzero, else ``b``."""
    return E.Switch()(cond, a, b)


where = switch


def clip(x, lo, hi):
    return E.Clip()(x, lo, hi)


def cast(x, dtype):
    """``x`` converted to ``dtype`` ('floatX' means config.floatX)."""
    x = as_variable(x)
    dtype = config.floatX if dtype == "floatX" else np.dtype(dtype).name
    return x if x.dtype == dtype else E.Cast(dtype)(x)


def zeros_like(x, dtype=None):
    x = as_variable(x)
    return E.BroadcastLike()(constant(0, dtype=dtype or x.dtype), x)


def ones_like(x, dtype=None):
    x = as_variable(x)
    return E.BroadcastLike()(constant(1, dtype=dtype or x.dtype), x)


def fill(model, value):
    """``value`` broadcast to the shape of ``model`` (Theano's fill)."""
    return E.BroadcastLike()(value, model)


def as_shape(shape):
    return S._shape_vector(shape)


def alloc(value, *shape):
    value = as_variable(value)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Variable)):
        shape = shape[0]
    shape_var = as_shape(shape)
    return S.Alloc(int(shape_var.type.shape[0]))(value, shape_var)


def zeros(shape, dtype=None):
    return alloc(constant(0, dtype=dtype or config.floatX), shape)


def ones(shape, dtype=None):
    return alloc(constant(1, dtype=dtype or config.floatX), shape)


# Reductions -------------------------------------------------------------------------------

def _reduce(op_class, name):
    def reduce(x, axis=None, keepdims=False):
        x = as_variable(x)
        return op_class(normalize_axis(axis, x.ndim, name), keepdims)(x)
    reduce.__name__ = name
    reduce.__doc__ = f"{name} over ``axis`` (all axes when None); ``keepdims`` keeps them as length 1."
    return reduce


def _accumulating(reduce):
    """``reduce`` with Theano's ``dtype=``: compute in (and return) that dtype, e.g.
    T.mean(T.eq(a, b), dtype='floatX') for an accuracy."""
    def with_dtype(x, axis=None, keepdims=False, dtype=None):
        return reduce(x if dtype is None else cast(x, dtype), axis, keepdims)
    with_dtype.__name__ = reduce.__name__
    with_dtype.__doc__ = reduce.__doc__ + " ``dtype``: the dtype to compute in and return."
    return with_dtype


sum = _accumulating(_reduce(R.Sum, "sum"))
mean = _accumulating(_reduce(R.Mean, "mean"))
prod = _accumulating(_reduce(R.Prod, "prod"))
max = _reduce(R.Max, "max")
min = _reduce(R.Min, "min")
argmax = _reduce(R.Argmax, "argmax")
argmin = _reduce(R.Argmin, "argmin")


def var(x, axis=None, keepdims=False):
    """Variance (population, like numpy's default) over ``axis``."""
    x = as_variable(x)
    centred = x - mean(x, axis, keepdims=True)
    return mean(square(centred), axis, keepdims)


def std(x, axis=None, keepdims=False):
    return sqrt(var(x, axis, keepdims))


def norm(x, L=2, axis=None):
    if L == 1:
        return sum(abs(x), axis)
    if L == 2:
        return sqrt(sum(square(x), axis))
    return sum(abs(x) ** L, axis) ** (1.0 / L)


# Shapes -----------------------------------------------------------------------------------

def dimshuffle(x, *pattern):
    if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
        pattern = pattern[0]
    return S.DimShuffle(pattern)(x)


def transpose(x, axes=None):
    x = as_variable(x)
    axes = tuple(reversed(range(x.ndim))) if axes is None else tuple(axes)
    return x if axes == tuple(range(x.ndim)) else S.DimShuffle(axes)(x)


def shape(x):
    return S.Shape()(as_variable(x))


def reshape(x, newshape, ndim=None):
    """``x`` with shape ``newshape`` (a tuple of ints and scalar variables, one may be -1)."""
    x = as_variable(x)
    shape_var = as_shape(newshape if isinstance(newshape, (tuple, list, Variable)) else (newshape,))
    ndim = ndim if ndim is not None else shape_var.type.shape[0]
    if ndim is None:
        raise ValueError("reshape with a symbolic shape vector needs ndim=")
    return S.Reshape(int(ndim))(x, shape_var)


def flatten(x, ndim=1):
    """Keep the first ``ndim - 1`` axes, merge the rest (``x.flatten(2)`` gives a matrix)."""
    return S.Flatten(ndim)(as_variable(x))


def concatenate(tensors, axis=0):
    return S.Join(axis)(*[as_variable(t) for t in tensors])


def stack(tensors, axis=0):
    tensors = [as_variable(t) for t in tensors]
    pattern = lambda t: [*range(axis), "x", *range(axis, t.ndim)]  # noqa: E731
    return concatenate([dimshuffle(t, pattern(t)) for t in tensors], axis)


def arange(start, stop=None, step=1):
    if stop is None:
        start, stop = 0, start
    return S.ARange()(as_variable(start), as_variable(stop), as_variable(step))


def _parse_index(x, index):
    if not isinstance(index, tuple):
        index = (index,)
    n_axes = builtins_sum(1 for i in index if i is not None and i is not Ellipsis)
    if builtins_sum(1 for i in index if i is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    expanded = []
    for item in index:
        if item is Ellipsis:
            expanded.extend([slice(None)] * (x.ndim - n_axes))
        else:
            expanded.append(item)
    spec, values = [], []
    for item in expanded:
        if item is None:
            spec.append("none")
        elif isinstance(item, slice):
            parts = (item.start, item.stop, item.step)
            spec.append(("slice", *(p is not None for p in parts)))
            values.extend(as_variable(p) for p in parts if p is not None)
        else:
            v = as_variable(np.asarray(item) if isinstance(item, list) else item)
            if v.dtype == "bool":
                raise IndexError("boolean masks are not supported as indices; use T.switch or integer indices")
            spec.append("int" if v.ndim == 0 else "array")
            values.append(v)
    return spec, values


def getitem(x, index):
    """``x[index]``: ints, slices, None, ``...`` and integer arrays, as in numpy."""
    spec, values = _parse_index(x, index)
    return ST.Subtensor(spec)(x, *values)


def inc_subtensor(x_indexed, y):
    """A copy of the tensor that ``x_indexed`` (``x[index]``) indexes, with ``y`` added there."""
    return _write_subtensor(x_indexed, y, set=False)


def set_subtensor(x_indexed, y):
    """A copy of the tensor that ``x_indexed`` (``x[index]``) indexes, with ``y`` written there."""
    return _write_subtensor(x_indexed, y, set=True)


def _write_subtensor(x_indexed, y, set):
    node = getattr(x_indexed, "owner", None)
    if node is None or not isinstance(node.op, ST.Subtensor):
        raise TypeError(f"{'set' if set else 'inc'}_subtensor needs an indexed variable such as x[0:2], got {x_indexed!r}")
    x, *values = node.inputs
    return ST.IncSubtensor(node.op.spec, set=set)(x, as_variable(y), *values)


# Linear algebra and neural-network functions ---------------------------------------------

_dot = linalg.Dot()


def dot(a, b):
    """Matrix/vector product; a product with a scalar is elementwise."""
    a, b = as_variable(a), as_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    return _dot(a, b)


def outer(a, b):
    return dimshuffle(a, 0, "x") * dimshuffle(b, "x", 0)


def softmax(x):
    """Row-wise softmax of a matrix (or of a vector)."""
    return _nnet.Softmax()(as_variable(x))


def log_softmax(x):
    return _nnet.LogSoftmax()(as_variable(x))


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

import builtins as _builtins  # noqa: E402

builtins_sum = _builtins.sum
