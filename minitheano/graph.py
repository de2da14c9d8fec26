"""Graph objects: typed variables, constants, shared variables, and Apply nodes linking ops.

Nothing computes here. A graph is a set of ``Variable`` objects, each either a leaf
(an input, a ``Constant`` or a ``SharedVariable``) or the output of an ``Apply`` node
that records which ``Op`` produced it from which input variables.
"""
import itertools
import linecache
import os
import sys

import numpy as np

from .backend import asarray, on_device, to_host
from .config import config

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class TensorType:
    """The type of a tensor variable: a dtype and a static shape (an int or None per axis)."""

    def __init__(self, dtype, shape):
        self.dtype = np.dtype(dtype).name
        self.shape = tuple(None if s is None else int(s) for s in shape)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def broadcastable(self):
        return tuple(s == 1 for s in self.shape)

    def __eq__(self, other):
        return type(other) is TensorType and (self.dtype, self.shape) == (other.dtype, other.shape)

    def __hash__(self):
        return hash((self.dtype, self.shape))

    # The classes of the variables this type makes: the tensor vocabulary (minitheano.tensor)
    # replaces them with subclasses that have Python operators, as PyTensor does.
    variable_type = constant_type = shared_type = None

    def __call__(self, name=None):
        return self.variable_type(self, name=name)

    def __repr__(self):
        kind = {0: "scalar", 1: "vector", 2: "matrix", 3: "tensor3", 4: "tensor4"}.get(self.ndim, f"tensor{self.ndim}")
        if any(s is not None for s in self.shape):
            return f"{kind}({self.dtype}, shape={self.shape})"
        return f"{kind}({self.dtype})"

    def describe_value(self, value):
        dtype, shape = getattr(value, "dtype", "?"), getattr(value, "shape", "?")
        return f"{type(value).__name__} of dtype {dtype} and shape {shape}"

    def filter(self, value, allow_downcast=False, what="value"):
        """``value`` as a numpy array of this type, or a TypeError naming ``what`` and the mismatch."""
        from_python = not hasattr(value, "dtype")
        arr = value if isinstance(value, np.ndarray) or on_device(value) else np.asarray(value)
        if arr.ndim != self.ndim:
            raise TypeError(
                f"{what}: expected a {self.ndim}-d array ({self!r}), got {arr.ndim}-d with shape {tuple(arr.shape)}."
            )
        for axis, (want, got) in enumerate(zip(self.shape, arr.shape)):
            if want is not None and want != got:
                raise TypeError(f"{what}: axis {axis} must have length {want}, got shape {tuple(arr.shape)}.")
        if arr.dtype != self.dtype:
            target = np.dtype(self.dtype)
            lossless = np.can_cast(arr.dtype, target, "safe")
            python_ok = from_python and (target.kind == "f" or arr.dtype.kind in "biu")
            if lossless or python_ok or allow_downcast:
                arr = arr.astype(target)
            else:
                raise TypeError(
                    f"{what}: expected dtype {self.dtype}, got {arr.dtype}; converting would lose precision. "
                    f"Pass an array of dtype {self.dtype} (e.g. x.astype('{self.dtype}')) or compile with "
                    f"allow_input_downcast=True."
                )
        return arr


class Variable:
    """A symbolic tensor: a leaf, or the output number ``index`` of the Apply node ``owner``.

    Its Python operators (``x + y``, ``x[0]``, ``x.sum()``) come from ``minitheano.tensor``,
    whose TensorVariable adds them; this module knows no op.
    """

    def __init__(self, type, owner=None, index=None, name=None):
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name

    dtype = property(lambda self: self.type.dtype)
    ndim = property(lambda self: self.type.ndim)
    broadcastable = property(lambda self: self.type.broadcastable)

    def __repr__(self):
        if self.name:
            return self.name
        if self.owner is not None:
            suffix = f".{self.index}" if len(self.owner.outputs) > 1 else ""
            return f"{self.owner.op}{suffix}"
        return f"<{self.type!r}>"

    def __bool__(self):
        raise TypeError(
            f"The truth value of a symbolic variable ({self!r}) is unknown until the graph is computed. "
            "Use T.switch / T.eq / T.lt ... to build the condition into the graph."
        )

    def __iter__(self):
        raise TypeError(f"Cannot iterate over a symbolic variable ({self!r}); index it (x[i]) instead.")

    def __len__(self):
        raise TypeError(f"len() of a symbolic variable ({self!r}) is unknown; use x.shape[0].")

    def clone(self):
        return type(self)(self.type, name=self.name)

    # Identity-based equality keeps variables usable as dict keys (use T.eq for values).
    __hash__ = object.__hash__

    def __eq__(self, other):
        return self is other


class Constant(Variable):
    """A leaf whose value is fixed when the graph is built."""

    def __init__(self, type, data, name=None):
        super().__init__(type, name=name)
        self.data = data

    def __repr__(self):
        if self.name:
            return self.name
        if self.data.size == 1:
            value = self.data.item()
            return repr(value) if not isinstance(value, float) else f"{value:g}"
        if self.data.size <= 6:
            return np.array2string(self.data, separator=", ")
        return f"Constant{{shape={self.data.shape}}}"

    def signature(self):
        """What makes two constants interchangeable (used by the merge rewrite)."""
        return (self.type, self.data.tobytes()) if self.data.size <= 1024 else (self.type, id(self.data))

    def clone(self):
        return type(self)(self.type, self.data, name=self.name)


class SharedVariable(Variable):
    """A leaf holding a value that persists across calls; compiled functions read and update it.

    ``default_update``, if set, is the expression a compiled function uses to update this
    variable when the caller's ``updates`` don't name it (how random streams advance).
    """

    def __init__(self, type, value, name=None, borrow=False):
        super().__init__(type, name=name)
        self.default_update = None
        self.container = None
        self.set_value(value, borrow=borrow)

    def get_value(self, borrow=False):
        """The current value as a numpy array (a copy unless ``borrow``)."""
        value = to_host(self.container)
        return value if borrow else value.copy()

    def set_value(self, value, borrow=False):
        """Replace the value; it must keep this variable's dtype (or cast safely) and ndim."""
        what = f"set_value of shared variable {self.name or '(unnamed)'}"
        if not (borrow and getattr(value, "dtype", None) == self.dtype):
            value = self.type.filter(value, what=what)
        self.container = asarray(value) if borrow else asarray(value).copy()

    def clone(self):
        return self


TensorType.variable_type, TensorType.constant_type, TensorType.shared_type = Variable, Constant, SharedVariable


class Apply:
    """One application of an op: ``outputs = op(*inputs)``. ``trace`` is the user line that made it."""

    def __init__(self, op, inputs, output_types):
        self.op = op
        self.inputs = list(inputs)
        self.outputs = [t.variable_type(t, owner=self, index=i) for i, t in enumerate(output_types)]
        self.trace = None

    @property
    def out(self):
        return self.outputs[0]

    def clone_with_new_inputs(self, inputs):
        node = self.op.make_node(*inputs)
        node.trace = self.trace
        return node

    def __repr__(self):
        return f"Apply({self.op}, inputs={self.inputs})"


class Op:
    """An operation: types out of types (``make_node``), values out of values (``perform``),
    and gradients out of gradients (``grad``, symbolic, so it can be differentiated again).

    ``__props__`` names the attributes that make two instances the same operation.
    """

    __props__ = ()
    random = False
    # True when an input may be broadcast against the others (elementwise ops): ``grad`` then
    # sums that input's gradient back to its shape, even where static shapes cannot tell.
    broadcasts = False
    # True when perform always returns newly allocated arrays (never a view of an input), so
    # the linker may let a later elementwise op overwrite them in place.
    fresh_output = False
    # True when perform runs threads of its own on all cores (kernels.parallel): a function made
    # mostly of such nodes keeps BLAS on one thread while it runs (compile.function).
    threaded = False

    def _props(self):
        return tuple(getattr(self, p) for p in self.__props__)

    def __eq__(self, other):
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self):
        return hash((type(self), self._props()))

    def __str__(self):
        name = type(self).__name__
        props = self._props()
        return f"{name}{{{', '.join(map(str, props))}}}" if props else name

    def __call__(self, *inputs):
        node = self.make_node(*[as_variable(i) for i in inputs])
        node.trace = user_trace()
        return node.outputs[0] if len(node.outputs) == 1 else node.outputs

    def make_node(self, *inputs):
        raise NotImplementedError

    def perform(self, xp, *inputs):
        """Compute the output value(s) with the array module ``xp`` (numpy or cupy)."""
        raise NotImplementedError(f"{self} has no perform")

    def grad(self, node, output_grads):
        """Symbolic gradients of a scalar cost w.r.t. each input, given those w.r.t. each output.

        Return one variable per input, or None where the input has no gradient (integers, indices).
        """
        raise NotImplementedError(f"{self} does not define a gradient")

    def make_thunk(self, node, xp):
        """A callable computing this node's outputs from its input values (the linker calls it)."""
        perform = self.perform
        return lambda *args: perform(xp, *args)


def user_trace():
    """(filename, line number, source line) of the first caller frame outside minitheano."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return None
    filename, lineno = frame.f_code.co_filename, frame.f_lineno
    return filename, lineno, linecache.getline(filename, lineno, frame.f_globals).strip()


def format_trace(trace):
    if not trace:
        return "(unknown place)"
    filename, lineno, line = trace
    return f'File "{filename}", line {lineno}\n    {line}' if line else f'File "{filename}", line {lineno}'


def _weak_dtype(value):
    """The dtype a Python number takes in a graph: floats follow floatX, ints the smallest fit."""
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        for dt in ("int8", "int16", "int32", "int64"):
            if np.iinfo(dt).min <= value <= np.iinfo(dt).max:
                return dt
        return "int64"
    if isinstance(value, (float, np.floating)):
        return config.floatX
    return None


def constant(value, dtype=None, name=None):
    """A Constant holding ``value`` (Python numbers take a weak dtype: floats become floatX)."""
    if dtype is None and (np.isscalar(value) or isinstance(value, np.generic)):
        dtype = _weak_dtype(value)
    data = np.asarray(value, dtype=dtype)
    if data.dtype == np.float64 and dtype is None and not isinstance(value, np.ndarray):
        data = data.astype(config.floatX)
    if data.dtype.kind not in "biuf":
        raise TypeError(f"Cannot make a constant of {value!r} (dtype {data.dtype})")
    return TensorType.constant_type(TensorType(data.dtype, data.shape), data, name=name)


def as_variable(value, name=None):
    """``value`` if it is a Variable, else a Constant made from it (numbers, lists, arrays)."""
    if isinstance(value, Variable):
        return value
    if isinstance(value, Apply):
        return value.out
    try:
        return constant(value, name=name)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"Cannot use {type(value).__name__} {value!r} in a graph: {exc}") from None


_shared_names = itertools.count()


def shared(value, name=None, borrow=False, dtype=None):
    """A shared variable holding ``value``: part of every graph it appears in, kept between calls.

    Arrays keep their dtype, float64 included (like Theano): pass ``dtype`` or a float32
    array for float32 parameters. Python floats take floatX, Python ints int64.
    """
    arr = np.asarray(value, dtype=dtype)
    if isinstance(value, (float, int)) and dtype is None:
        arr = np.asarray(value, dtype=_weak_dtype(value) if isinstance(value, float) else "int64")
    return TensorType.shared_type(TensorType(arr.dtype, (None,) * arr.ndim), arr, name=name, borrow=borrow)


# Graph walking ---------------------------------------------------------------------------

def toposort(outputs):
    """Apply nodes needed to compute ``outputs``, every node after the nodes it depends on."""
    order, seen = [], set()
    stack = [(v.owner, False) for v in reversed(outputs) if v.owner is not None]
    while stack:
        node, expanded = stack.pop()
        if node in seen:
            continue
        if expanded:
            seen.add(node)
            order.append(node)
            continue
        stack.append((node, True))
        for inp in reversed(node.inputs):
            if inp.owner is not None and inp.owner not in seen:
                stack.append((inp.owner, False))
    return order


def graph_inputs(outputs):
    """Leaf variables (inputs, constants, shared variables) that ``outputs`` depend on, in order."""
    leaves, seen = [], set()
    for node in toposort(outputs):
        for inp in node.inputs:
            if inp.owner is None and inp not in seen:
                seen.add(inp)
                leaves.append(inp)
    for v in outputs:
        if v.owner is None and v not in seen:
            seen.add(v)
            leaves.append(v)
    return leaves


def ancestors(outputs):
    """Every variable ``outputs`` depend on, themselves included."""
    found = set(outputs)
    for node in toposort(outputs):
        found.update(node.inputs)
        found.update(node.outputs)
    return found


def clone_replace(outputs, replace):
    """Copies of ``outputs`` with the variables in ``replace`` (old -> new) substituted."""
    memo = {old: as_variable(new) for old, new in replace.items()}
    for node in toposort(outputs):
        new_inputs = [memo.get(i, i) for i in node.inputs]
        if any(n is not o for n, o in zip(new_inputs, node.inputs)):
            if any(o in memo for o in node.outputs):
                continue
            new_node = node.clone_with_new_inputs(new_inputs)
            for old, new in zip(node.outputs, new_node.outputs):
                memo[old] = new
    return [memo.get(v, v) for v in outputs]
