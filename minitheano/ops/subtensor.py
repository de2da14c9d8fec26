"""Indexing: ``x[i]``, slices, ``None`` (new axis), integer-array indexing (``p[T.arange(n), y]``),
and the ops that write into a copy (``inc_subtensor``, ``set_subtensor``), which are their gradients.

An index is described by a static ``spec`` (one entry per indexing item) plus the symbolic
values it consumes as extra inputs: 'int' takes one scalar, 'array' one integer array,
('slice', has_start, has_stop, has_step) one scalar per part present, 'none' nothing.
"""
import numpy as np

from ..backend import to_host
from ..graph import Apply, Constant, Op, TensorType, as_variable
from .broadcast import ShapeError, sum_to, zeros_like


def _n_values(entry):
    if entry in ("int", "array"):
        return 1
    if entry == "none":
        return 0
    return sum(entry[1:])


def build_index(spec, values):
    """The concrete numpy index tuple for ``spec`` and the runtime index ``values``."""
    index, it = [], iter(values)
    for entry in spec:
        if entry == "int":
            index.append(int(to_host(next(it))))
        elif entry == "array":
            index.append(next(it))
        elif entry == "none":
            index.append(None)
        else:
            index.append(slice(*(int(to_host(next(it))) if present else None for present in entry[1:])))
    return tuple(index)


def _static(var):
    return int(var.data) if isinstance(var, Constant) else None


def index_shape(x, spec, values, what):
    """Static shape of ``x[index]`` (None where it depends on runtime values)."""
    dims = list(x.type.shape)
    n_axes = sum(1 for e in spec if e != "none")
    if n_axes > x.ndim:
        raise IndexError(f"{what}: too many indices ({n_axes}) for {x!r}, which has {x.ndim} dims")
    advanced = any(e == "array" for e in spec)
    out, groups, it, axis = [], [], iter(values), 0
    for entry in spec:
        if entry == "none":
            out.append(1)
            continue
        n = dims[axis]
        if entry == "int":
            v = next(it)
            k = _static(v)
            if k is not None and n is not None and not -n <= k < n:
                raise IndexError(f"{what}: index {k} is out of bounds for axis {axis} of {x!r} (length {n})")
            if advanced:
                groups.append((len(out), v))
        elif entry == "array":
            v = next(it)
            if np.dtype(v.dtype).kind not in "iu":
                raise IndexError(f"{what}: index arrays must be integers, got {v!r} of dtype {v.dtype}")
            groups.append((len(out), v))
        else:
            parts = [_static(next(it)) if present else None for present in entry[1:]]
            bounds_known = all(p is not None for p, present in zip(parts, entry[1:]) if present)
            out.append(len(range(*slice(*parts).indices(n))) if n is not None and bounds_known else None)
        axis += 1
    out.extend(dims[axis:])
    if groups:
        arrays = [v for _, v in groups]
        bshape = _broadcast_index_shapes(arrays, what)
        positions = [p for p, _ in groups]
        spec_positions = [i for i, e in enumerate(spec) if e in ("int", "array")]
        adjacent = spec_positions == list(range(spec_positions[0], spec_positions[0] + len(spec_positions)))
        at = positions[0] if adjacent else 0
        out[at:at] = bshape
    return tuple(out)


def _broadcast_index_shapes(arrays, what):
    ndim = max(a.ndim for a in arrays)
    shape = []
    for axis in range(ndim):
        dims = {((1,) * (ndim - a.ndim) + a.type.shape)[axis] for a in arrays} - {1}
        known = {d for d in dims if d is not None}
        if len(known) > 1:
            raise ShapeError(f"{what}: index arrays cannot be broadcast together: {arrays}")
        shape.append(known.pop() if known else (None if None in dims else 1))
    return shape


class Subtensor(Op):
    """``x[index]`` for basic and integer-array indices (numpy semantics)."""

    __props__ = ("spec",)

    def __init__(self, spec):
        self.spec = tuple(spec)
        self.advanced = "array" in self.spec

    def make_node(self, x, *values):
        shape = index_shape(x, self.spec, values, f"indexing {x!r}")
        return Apply(self, [x, *values], [TensorType(x.dtype, shape)])

    def perform(self, xp, x, *values):
        return x[build_index(self.spec, values)]

    def grad(self, node, grads):
        x, *values = node.inputs
        return [IncSubtensor(self.spec)(zeros_like(x), grads[0], *values)] + [None] * len(values)

    def pp(self, node, args):
        return f"{args[0]}[{format_index(self.spec, args[1:])}]"


def format_index(spec, args):
    parts, it = [], iter(args)
    for entry in spec:
        if entry in ("int", "array"):
            parts.append(next(it))
        elif entry == "none":
            parts.append("None")
        else:
            start, stop, step = (next(it) if present else "" for present in entry[1:])
            parts.append(f"{start}:{stop}" + (f":{step}" if step else ""))
    return ", ".join(parts)


class IncSubtensor(Op):
    """A copy of ``x`` with ``y`` added at (or, with ``set=True``, written to) ``x[index]``.

    Repeated integer indices accumulate (``numpy.add.at``), as a gradient must.
    """

    fresh_output = True

    __props__ = ("spec", "set")

    def __init__(self, spec, set=False):
        self.spec = tuple(spec)
        self.set = set
        self.advanced = "array" in self.spec

    def make_node(self, x, y, *values):
        target = index_shape(x, self.spec, values, f"inc_subtensor of {x!r}")
        if y.ndim > len(target):
            raise ShapeError(f"inc_subtensor: {y!r} has more dims ({y.ndim}) than {x!r}[...] ({len(target)})")
        return Apply(self, [x, y, *values], [TensorType(x.dtype, x.type.shape)])

    def perform(self, xp, x, y, *values):
        out = x.copy()
        index = build_index(self.spec, values)
        if self.set:
            out[index] = y
        elif self.advanced:
            xp.add.at(out, index, y)
        else:
            out[index] += y
        return out

    def grad(self, node, grads):
        x, y, *values = node.inputs
        g = grads[0]
        gx = IncSubtensor(self.spec, set=True)(g, zeros_like(y), *values) if self.set else g
        gy = sum_to(Subtensor(self.spec)(g, *values), y)  # y was broadcast into the indexed region
        return [gx, gy] + [None] * len(values)

    def pp(self, node, args):
        verb = "set_subtensor" if self.set else "inc_subtensor"
        return f"{verb}({args[0]}[{format_index(self.spec, args[2:])}], {args[1]})"


def _parse_index(x, index):
    if not isinstance(index, tuple):
        index = (index,)
    n_axes = sum(1 for i in index if i is not None and i is not Ellipsis)
    if sum(1 for i in index if i is Ellipsis) > 1:
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
    return Subtensor(spec)(x, *values)


def inc_subtensor(x_indexed, y):
    """A copy of the tensor that ``x_indexed`` (``x[index]``) indexes, with ``y`` added there."""
    return _write_subtensor(x_indexed, y, set=False)


def set_subtensor(x_indexed, y):
    """A copy of the tensor that ``x_indexed`` (``x[index]``) indexes, with ``y`` written there."""
    return _write_subtensor(x_indexed, y, set=True)


def _write_subtensor(x_indexed, y, set):
    node = getattr(x_indexed, "owner", None)
    if node is None or not isinstance(node.op, Subtensor):
        verb = "set" if set else "inc"
        raise TypeError(f"{verb}_subtensor needs an indexed variable such as x[0:2], got {x_indexed!r}")
    x, *values = node.inputs
    return IncSubtensor(node.op.spec, set=set)(x, as_variable(y), *values)
