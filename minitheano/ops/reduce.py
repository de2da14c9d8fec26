"""Reductions along axes: sum, mean, max, min, prod, argmax, argmin (with keepdims)."""
import builtins

import numpy as np

from ..config import config
from ..graph import Apply, Op, TensorType, as_variable
from ..kernels import elemwise as kernels
from .elemwise import abs_, broadcast_like, cast, eq, sqrt, square, switch
from .shape import dimshuffle


def normalize_axis(axis, ndim, what):
    """``axis`` (None, an int or a sequence) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"{what}: axis {a} is out of range for a {ndim}-d input")
        out.append(int(a) % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"{what}: repeated axis in {axis}")
    return tuple(sorted(out))


class Reduce(Op):
    __props__ = ("axis", "keepdims")
    fn = None

    def __init__(self, axis, keepdims=False):
        self.axis = tuple(axis)
        self.keepdims = bool(keepdims)

    @property
    def name(self):
        return type(self).__name__.lower()

    def __str__(self):
        return self.name

    def output_dtype(self, dtype):
        return dtype

    def make_node(self, x):
        shape = tuple(1 if i in self.axis else s for i, s in enumerate(x.type.shape)) if self.keepdims else \
            tuple(s for i, s in enumerate(x.type.shape) if i not in self.axis)
        return Apply(self, [x], [TensorType(self.output_dtype(x.dtype), shape)])

    def perform(self, xp, x):
        if self.fn in ("sum", "mean") and self.axis:
            total = kernels.sum_keeping_axis(xp, x, self.axis)  # channel sums: one product
            if total is not None:
                if self.fn == "mean":
                    total = total / (x.size // total.size)
                return total.reshape([1 if i in self.axis else n for i, n in enumerate(x.shape)]) \
                    if self.keepdims else total
        out = getattr(xp, self.fn)(x, axis=self.axis, keepdims=self.keepdims) if self.axis else x
        return xp.asarray(out, dtype=self.output_dtype(x.dtype))

    def expand(self, g, ndim):
        """``g`` with the reduced axes put back as length-1 axes."""
        if self.keepdims or not self.axis:
            return g
        pattern, it = [], iter(range(g.ndim))
        for i in range(ndim):
            pattern.append("x" if i in self.axis else next(it))
        return dimshuffle(g, *pattern)

    def pp(self, node, args):
        ndim = node.inputs[0].ndim
        axis = self.axis[0] if len(self.axis) == 1 else self.axis
        extra = "" if self.axis == tuple(range(ndim)) else f", axis={axis}"
        extra += ", keepdims=True" if self.keepdims else ""
        return f"{self.name}({args[0]}{extra})"


class Sum(Reduce):
    fn = "sum"

    def output_dtype(self, dtype):
        return "int64" if np.dtype(dtype).kind in "biu" else dtype

    def grad(self, node, grads):
        x = node.inputs[0]
        return [broadcast_like(self.expand(grads[0], x.ndim), x)]


class Mean(Reduce):
    fn = "mean"

    def output_dtype(self, dtype):
        return dtype if np.dtype(dtype).kind == "f" else config.floatX

    def grad(self, node, grads):
        x = node.inputs[0]
        count = ReducedSize(self.axis)(x)
        return [broadcast_like(self.expand(grads[0] / count, x.ndim), x)]


class Prod(Reduce):
    """Product over axes. Its gradient, the product of the other elements, is exact with zeros:
    with no zero it is prod / x, with one zero only that element gets the product of the rest."""
    fn = "prod"

    def grad(self, node, grads):
        x = node.inputs[0]
        is_zero = eq(x, 0)
        nonzero = switch(is_zero, 1, x)
        prod_nonzero = prod(nonzero, self.axis, keepdims=True)
        n_zeros = sum(is_zero, self.axis, keepdims=True)
        others = switch(eq(n_zeros, 0), prod_nonzero / nonzero, switch(is_zero & eq(n_zeros, 1), prod_nonzero, 0))
        return [others * self.expand(grads[0], x.ndim)]


class Max(Reduce):
    fn = "max"

    def grad(self, node, grads):
        x = node.inputs[0]
        at_max = cast(eq(x, self.expand(node.outputs[0], x.ndim)), x.dtype)
        return [at_max * self.expand(grads[0], x.ndim)]


class Min(Max):
    fn = "min"


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


sum = _accumulating(_reduce(Sum, "sum"))
mean = _accumulating(_reduce(Mean, "mean"))
prod = _accumulating(_reduce(Prod, "prod"))
max = _reduce(Max, "max")
min = _reduce(Min, "min")


def var(x, axis=None, keepdims=False):
    """Variance (population, like numpy's default) over ``axis``."""
    x = as_variable(x)
    centred = x - mean(x, axis, keepdims=True)
    return mean(square(centred), axis, keepdims)


def std(x, axis=None, keepdims=False):
    return sqrt(var(x, axis, keepdims))


def norm(x, L=2, axis=None):
    if L == 1:
        return sum(abs_(x), axis)
    if L == 2:
        return sqrt(sum(square(x), axis))
    return sum(abs_(x) ** L, axis) ** (1.0 / L)


class Argmax(Reduce):
    """Index of the largest element along one axis (or of the flattened array)."""
    fn = "argmax"

    def output_dtype(self, dtype):
        return "int64"

    def make_node(self, x):
        if len(self.axis) not in (1, x.ndim):
            raise ValueError(f"{self.fn} takes one axis or all of them, not {self.axis}")
        return super().make_node(x)

    def perform(self, xp, x):
        if len(self.axis) == 1:
            return xp.asarray(getattr(xp, self.fn)(x, axis=self.axis[0], keepdims=self.keepdims))
        return xp.asarray(getattr(xp, self.fn)(x)).reshape((1,) * x.ndim if self.keepdims else ())

    def grad(self, node, grads):
        return [None]


class Argmin(Argmax):
    fn = "argmin"


argmax = _reduce(Argmax, "argmax")
argmin = _reduce(Argmin, "argmin")


class ReducedSize(Op):
    """How many elements each reduction over ``axis`` combines, as a float scalar."""

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = tuple(axis)

    def make_node(self, x):
        dtype = x.dtype if np.dtype(x.dtype).kind == "f" else config.floatX
        return Apply(self, [x], [TensorType(dtype, ())])

    def perform(self, xp, x):
        dtype = x.dtype if x.dtype.kind == "f" else config.floatX
        return xp.asarray(int(np.prod([x.shape[a] for a in self.axis])), dtype=dtype)

    def grad(self, node, grads):
        return [None]

    def pp(self, node, args):
        return f"size({args[0]}, axis={self.axis})"
