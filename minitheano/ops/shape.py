"""Shape ops: dimshuffle (transpose, add/drop length-1 axes), reshape, flatten, shape,
concatenate, arange and alloc."""
import math

import numpy as np

from ..backend import to_host
from ..config import config
from ..graph import Apply, Constant, Op, TensorType, Variable, as_variable, constant
from .elemwise import ShapeError, cast, upcast, zeros_like


class DimShuffle(Op):
    """Reorder axes; 'x' inserts a length-1 axis; an input axis left out must have length 1.

    ``x.dimshuffle(1, 0)`` is the transpose of a matrix, ``b.dimshuffle('x', 0)`` a row.
    """

    __props__ = ("pattern",)

    def __init__(self, pattern):
        self.pattern = tuple(pattern)

    def make_node(self, x):
        kept = [p for p in self.pattern if p != "x"]
        if sorted(set(kept)) != sorted(kept) or any(not 0 <= p < x.ndim for p in kept):
            raise ValueError(f"dimshuffle{self.pattern}: not a valid pattern for {x!r} with {x.ndim} dims")
        for axis in set(range(x.ndim)) - set(kept):
            if x.type.shape[axis] not in (1, None):
                raise ShapeError(f"dimshuffle{self.pattern} drops axis {axis} of {x!r}, which has length "
                                 f"{x.type.shape[axis]}, not 1")
        shape = tuple(1 if p == "x" else x.type.shape[p] for p in self.pattern)
        return Apply(self, [x], [TensorType(x.dtype, shape)])

    def perform(self, xp, x):
        kept = [p for p in self.pattern if p != "x"]
        order = kept + sorted(set(range(x.ndim)) - set(kept))
        out = x.transpose(order) if order != list(range(x.ndim)) else x
        if len(kept) == len(self.pattern) == x.ndim:
            return out
        return out.reshape([1 if p == "x" else x.shape[p] for p in self.pattern])

    def __str__(self):
        return f"dimshuffle{{{','.join(map(str, self.pattern))}}}"

    def is_transpose(self, ndim):
        return ndim == 2 and self.pattern == (1, 0)

    def grad(self, node, grads):
        x = node.inputs[0]
        g = grads[0]
        kept = [p for p in self.pattern if p != "x"]
        # drop the inserted axes, undo the permutation, re-insert dropped axes
        if len(kept) != len(self.pattern):
            g = DimShuffle([i for i, p in enumerate(self.pattern) if p != "x"])(g)
        g_kept = g
        inverse = [kept.index(i) if i in kept else "x" for i in range(x.ndim)]
        return [DimShuffle(inverse)(g_kept) if inverse != list(range(x.ndim)) else g_kept]

    def pp(self, node, args):
        if self.is_transpose(node.inputs[0].ndim):
            return f"{args[0]}.T"
        return f"{args[0]}.dimshuffle({', '.join(repr(p) for p in self.pattern)})"


def dimshuffle(x, *pattern):
    if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
        pattern = pattern[0]
    return DimShuffle(pattern)(x)


def transpose(x, axes=None):
    x = as_variable(x)
    axes = tuple(reversed(range(x.ndim))) if axes is None else tuple(axes)
    return x if axes == tuple(range(x.ndim)) else DimShuffle(axes)(x)


class Shape(Op):
    """The runtime shape of a tensor, as an int64 vector."""

    def make_node(self, x):
        return Apply(self, [x], [TensorType("int64", (x.ndim,))])

    def perform(self, xp, x):
        return xp.asarray(x.shape, dtype="int64")

    def grad(self, node, grads):
        return [None]

    def pp(self, node, args):
        return f"{args[0]}.shape"


def shape(x):
    return Shape()(as_variable(x))


def as_shape(shape):
    """A symbolic int64 vector from a tuple of ints / scalar variables, or a vector variable."""
    if isinstance(shape, Variable):
        if shape.ndim != 1:
            raise TypeError(f"a shape must be a vector, got {shape!r}")
        return shape
    parts = [as_variable(s) for s in shape]
    if all(isinstance(p, Constant) for p in parts):
        return constant(np.array([int(p.data) for p in parts], dtype="int64"))
    return stack([cast(p, "int64") for p in parts])


def _static_dims(shape_var, n):
    if isinstance(shape_var, Constant):
        return tuple(int(s) for s in shape_var.data)
    owner = shape_var.owner
    if owner is not None and isinstance(owner.op, Join) and len(owner.inputs) == n:
        dims = []
        for part in owner.inputs:
            src = part.owner.inputs[0] if part.owner and isinstance(part.owner.op, DimShuffle) else part
            dims.append(int(src.data.item()) if isinstance(src, Constant) and src.data.size == 1 else None)
        return tuple(dims)
    return (None,) * n


class Reshape(Op):
    """``x`` with a new shape (one entry may be -1, inferred from the size)."""

    __props__ = ("ndim",)

    def __init__(self, ndim):
        self.ndim = ndim

    def make_node(self, x, shape):
        shape = as_variable(shape)
        if shape.ndim != 1 or np.dtype(shape.dtype).kind not in "iu":
            raise TypeError(f"reshape: the shape must be an integer vector, got {shape!r}")
        dims = _static_dims(shape, self.ndim)
        if dims.count(-1) > 1:
            raise ValueError(f"reshape of {x!r}: at most one -1 in the shape {dims}")
        known_in = None if None in x.type.shape else int(np.prod(x.type.shape))
        if known_in is not None and None not in dims:
            if -1 in dims:
                rest = int(np.prod([d for d in dims if d != -1]))
                if rest == 0 or known_in % rest:
                    raise ShapeError(f"reshape: cannot reshape {x!r} of shape {x.type.shape} into {dims}")
                dims = tuple(known_in // rest if d == -1 else d for d in dims)
            elif int(np.prod(dims)) != known_in:
                raise ShapeError(f"reshape: cannot reshape {x!r} of shape {x.type.shape} ({known_in} elements) "
                                 f"into {dims}")
        dims = tuple(None if d is None or d < 0 else d for d in dims)
        return Apply(self, [x, shape], [TensorType(x.dtype, dims)])

    def perform(self, xp, x, shape):
        return x.reshape(tuple(int(s) for s in to_host(shape)))

    def grad(self, node, grads):
        x = node.inputs[0]
        return [Reshape(x.ndim)(grads[0], Shape()(x)), None]

    def pp(self, node, args):
        return f"reshape({args[0]}, {args[1]})"


def reshape(x, newshape, ndim=None):
    """``x`` with shape ``newshape`` (a tuple of ints and scalar variables, one may be -1)."""
    x = as_variable(x)
    shape_var = as_shape(newshape if isinstance(newshape, (tuple, list, Variable)) else (newshape,))
    ndim = ndim if ndim is not None else shape_var.type.shape[0]
    if ndim is None:
        raise ValueError("reshape with a symbolic shape vector needs ndim=")
    return Reshape(int(ndim))(x, shape_var)


class Flatten(Op):
    """Keep the first ``outdim - 1`` axes and merge the rest into one."""

    __props__ = ("outdim",)

    def __init__(self, outdim=1):
        self.outdim = int(outdim)

    def make_node(self, x):
        if not 1 <= self.outdim <= max(x.ndim, 1):
            raise ValueError(f"flatten of {x!r} ({x.ndim} dims) to {self.outdim} dims is not possible")
        rest = x.type.shape[self.outdim - 1:]
        last = None if None in rest else int(np.prod(rest))
        return Apply(self, [x], [TensorType(x.dtype, x.type.shape[:self.outdim - 1] + (last,))])

    def perform(self, xp, x):
        return x.reshape(x.shape[:self.outdim - 1] + (-1,))

    def grad(self, node, grads):
        x = node.inputs[0]
        return [Reshape(x.ndim)(grads[0], Shape()(x))]

    def pp(self, node, args):
        return f"flatten({args[0]}, {self.outdim})"


def flatten(x, ndim=1):
    """Keep the first ``ndim - 1`` axes, merge the rest (``x.flatten(2)`` gives a matrix)."""
    return Flatten(ndim)(as_variable(x))


class Join(Op):
    """Concatenate tensors along ``axis`` (dtypes combine as in elementwise ops)."""

    fresh_output = True

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = axis

    def make_node(self, *tensors):
        if not tensors:
            raise ValueError("concatenate needs at least one tensor")
        ndim = tensors[0].ndim
        if any(t.ndim != ndim for t in tensors):
            raise ShapeError("concatenate: all tensors need the same number of dims, got "
                             f"{[(t, t.ndim) for t in tensors]}")
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"concatenate: axis {self.axis} out of range for {ndim}-d tensors")
        axis = self.axis % ndim
        shape = []
        for i in range(ndim):
            dims = [t.type.shape[i] for t in tensors]
            if i == axis:
                shape.append(None if None in dims else sum(dims))
            else:
                known = {d for d in dims if d is not None}
                if len(known) > 1:
                    raise ShapeError(f"concatenate along axis {axis}: axis {i} lengths differ: "
                                     + ", ".join(f"{t!r} {t.type.shape}" for t in tensors))
                shape.append(known.pop() if known else None)
        dtype = upcast(*[t.dtype for t in tensors])
        return Apply(self, list(tensors), [TensorType(dtype, tuple(shape))])

    def perform(self, xp, *tensors):
        return xp.concatenate(tensors, axis=self.axis, dtype=upcast(*[t.dtype for t in tensors]))

    def grad(self, node, grads):
        return [JoinPart(self.axis, k)(grads[0], *node.inputs) if np.dtype(t.dtype).kind == "f" else None
                for k, t in enumerate(node.inputs)]

    def pp(self, node, args):
        return f"concatenate([{', '.join(args)}], axis={self.axis})"


def concatenate(tensors, axis=0):
    return Join(axis)(*[as_variable(t) for t in tensors])


def stack(tensors, axis=0):
    tensors = [as_variable(t) for t in tensors]
    return concatenate([dimshuffle(t, [*range(axis), "x", *range(axis, t.ndim)]) for t in tensors], axis)


class JoinPart(Op):
    """The slice of ``g`` (a concatenation's gradient) that belongs to tensor number ``k``."""

    __props__ = ("axis", "k")

    def __init__(self, axis, k):
        self.axis, self.k = axis, k

    def make_node(self, g, *tensors):
        return Apply(self, [g, *tensors], [TensorType(g.dtype, tensors[self.k].type.shape)])

    def perform(self, xp, g, *tensors):
        axis = self.axis % g.ndim
        start = sum(t.shape[axis] for t in tensors[:self.k])
        index = [slice(None)] * g.ndim
        index[axis] = slice(start, start + tensors[self.k].shape[axis])
        return g[tuple(index)]

    def grad(self, node, grads):
        g, *tensors = node.inputs
        parts = [grads[0] if i == self.k else zeros_like(t) for i, t in enumerate(tensors)]
        return [Join(self.axis)(*parts)] + [None] * len(tensors)


class ARange(Op):
    """Numbers from ``start`` to ``stop`` (exclusive) in steps of ``step``: int64 for integer
    bounds, else the widest float among them (as in elementwise ops)."""

    def make_node(self, start, stop, step):
        for v in (start, stop, step):
            if v.ndim != 0:
                raise TypeError(f"arange takes scalars, got {v!r}")
        length = None
        if all(isinstance(v, Constant) for v in (start, stop, step)):
            first, last, delta = (v.data.item() for v in (start, stop, step))
            if delta == 0:
                raise ValueError("arange: the step must not be zero")
            length = max(0, math.ceil((last - first) / delta))
        return Apply(self, [start, stop, step], [TensorType(self._dtype(start, stop, step), (length,))])

    def perform(self, xp, start, stop, step):
        return xp.arange(start.item(), stop.item(), step.item(), dtype=self._dtype(start, stop, step))

    @staticmethod
    def _dtype(*values):
        dtypes = [v.dtype for v in values]
        return "int64" if all(np.dtype(d).kind in "iu" for d in dtypes) else upcast(*dtypes)

    def grad(self, node, grads):
        return [None, None, None]

    def pp(self, node, args):
        return f"arange({args[1]})" if args[0] == "0" and args[2] == "1" else f"arange({', '.join(args)})"


def arange(start, stop=None, step=1):
    if stop is None:
        start, stop = 0, start
    return ARange()(as_variable(start), as_variable(stop), as_variable(step))


class Alloc(Op):
    """A tensor of the given shape filled with ``value`` (a scalar)."""

    fresh_output = True

    __props__ = ("ndim",)

    def __init__(self, ndim):
        self.ndim = ndim

    def make_node(self, value, shape):
        if value.ndim != 0:
            raise TypeError(f"alloc fills with a scalar, got {value!r}")
        return Apply(self, [value, shape], [TensorType(value.dtype, _static_dims(shape, self.ndim))])

    def perform(self, xp, value, shape):
        return xp.full(tuple(int(s) for s in to_host(shape)), value, dtype=value.dtype)

    def grad(self, node, grads):
        g = grads[0]
        return [g.sum() if np.dtype(node.inputs[0].dtype).kind == "f" else None, None]

    def pp(self, node, args):
        return f"alloc({args[0]}, {args[1]})"


def alloc(value, *shape):
    value = as_variable(value)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Variable)):
        shape = shape[0]
    shape_var = as_shape(shape)
    return Alloc(int(shape_var.type.shape[0]))(value, shape_var)


def zeros(shape, dtype=None):
    return alloc(constant(0, dtype=dtype or config.floatX), shape)


def ones(shape, dtype=None):
    return alloc(constant(1, dtype=dtype or config.floatX), shape)
