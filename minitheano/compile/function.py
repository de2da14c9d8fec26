"""``function(inputs, outputs, updates=, givens=)``: turn a graph into a Python callable.

Compiling substitutes ``givens``, collects shared variables' updates (explicit and default),
rewrites the graph, then links it: each node becomes a thunk, and a Python function is
generated that calls the thunks in schedule order on local variables (no graph walk per
call). Elementwise ops overwrite inputs that nothing else needs (no new allocation).
Updates are atomic: every output and new value is computed before any shared value changes.
"""
from collections import OrderedDict

import numpy as np

from .. import rewrites
from ..backend import to_host, xp as array_module
from ..config import config
from ..tensor import TensorOperators
from ..graph import Constant, SharedVariable, TensorType, Variable, as_variable, clone_replace, format_trace, graph_inputs, toposort

MODES = ("FAST_RUN", "FAST_COMPILE")


class UnusedInputError(ValueError):
    """An input given to ``function`` that no output or update depends on."""


class MissingInputError(ValueError):
    """The outputs depend on an input variable that was not listed in ``function``'s inputs."""


class ComputeError(RuntimeError):
    """A node failed while a compiled function ran; the message says which and where it was made."""


def function(inputs, outputs=None, updates=None, givens=None, mode=None, allow_input_downcast=False,
             on_unused_input="raise", name=None, rewrites=()):
    """Compile ``outputs`` (a variable or a list) as a function of the ``inputs`` variables.

    ``updates``: {shared variable: expression for its new value} (a dict, OrderedDict or list of
    pairs), applied after every output is computed. ``givens``: {variable: replacement} applied
    to the graph before compiling. ``mode``: 'FAST_RUN' (rewrites on) or 'FAST_COMPILE' (off).
    ``rewrites``: your own local rewrites (``@local_rewrite``), applied for this function only,
    in either mode, before the standard ones.
    """
    return Function(inputs, outputs, updates, givens, mode, allow_input_downcast, on_unused_input, name,
                    rewrites)


def _as_pairs(updates):
    if updates is None:
        return []
    if isinstance(updates, dict):
        if not isinstance(updates, OrderedDict) and len(updates) > 1:
            pass  # plain dicts keep insertion order in Python 3.7+
        return list(updates.items())
    return [tuple(pair) for pair in updates]


def eval_variable(variable, inputs=None):
    """Compile and compute ``variable``; ``inputs`` maps input variables to values (``x.eval()``)."""
    inputs = inputs or {}
    return function(list(inputs), variable)(*inputs.values())


# ``x.eval()``: compiling sits above the tensor vocabulary, so compile gives variables this method.
TensorOperators.eval = eval_variable


class Function:
    """A compiled graph. Call it with one value per input; it returns the output value(s)."""

    def __init__(self, inputs, outputs, updates, givens, mode, allow_input_downcast, on_unused_input, name,
                 extra_rewrites=()):
        self.name = name
        self.mode = mode or config.mode
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")
        self.allow_input_downcast = allow_input_downcast
        self.inputs = self._check_inputs(inputs)
        self.unpack_single = isinstance(outputs, Variable) or not isinstance(outputs, (list, tuple))
        out_list = [] if outputs is None else [outputs] if self.unpack_single else list(outputs)
        self.outputs = [as_variable(o) for o in out_list]
        update_pairs = self._check_updates(_as_pairs(updates))

        exprs = self.outputs + [new for _, new in update_pairs]
        if givens:
            exprs = clone_replace(exprs, self._check_givens(givens))
        update_pairs = list(zip([s for s, _ in update_pairs], exprs[len(self.outputs):]))
        exprs = exprs[:len(self.outputs)]
        update_pairs += self._check_updates(
            self._default_updates(exprs + [u for _, u in update_pairs], {s for s, _ in update_pairs}))
        all_exprs = exprs + [u for _, u in update_pairs]

        self.graph_before = list(all_exprs)
        self.rewrites_applied = []
        extra = rewrites.check_rewrites(extra_rewrites, "function: rewrites")
        if self.mode == "FAST_RUN":
            all_exprs = rewrites.rewrite_graph(all_exprs, log=self.rewrites_applied, extra=extra)
        elif extra:
            all_exprs = rewrites.apply_local(all_exprs, extra, log=self.rewrites_applied)
        self.graph = all_exprs
        self.n_outputs = len(exprs)
        self.update_targets = [s for s, _ in update_pairs]
        self._check_graph_inputs(on_unused_input)
        self._link()

    # Checks at compile time -------------------------------------------------------------

    def _check_inputs(self, inputs):
        if isinstance(inputs, Variable):
            raise TypeError("function: inputs must be a list of variables, e.g. function([x], y), not function(x, y)")
        inputs = list(inputs)
        for i, v in enumerate(inputs):
            if not isinstance(v, Variable):
                raise TypeError(f"function: input {i} is {type(v).__name__} {v!r}, not a symbolic variable")
            if isinstance(v, SharedVariable):
                raise TypeError(f"function: input {i} ({v!r}) is a shared variable; shared variables are part "
                                "of the graph already and must not be listed as inputs")
            if isinstance(v, Constant) or v.owner is not None:
                raise TypeError(f"function: input {i} ({v!r}) is not an input variable (it is a constant or the "
                                "result of a computation); use givens to substitute a value for it")
        for i, v in enumerate(inputs):
            if v in inputs[:i]:
                raise ValueError(f"function: input {v!r} is listed twice")
        return inputs

    @staticmethod
    def _check_givens(givens):
        """{old: replacement}; a replacement keeps the dtype and ndim (so updates keep theirs)."""
        checked = {}
        for old, new in _as_pairs(givens):
            if not isinstance(old, Variable):
                raise TypeError(f"givens keys must be variables, got {old!r}")
            new = as_variable(new)
            if isinstance(new, Constant) and np.can_cast(new.dtype, old.dtype, "same_kind"):
                new = Constant(TensorType(old.dtype, new.type.shape), new.data.astype(old.dtype))
            if new.ndim != old.ndim or new.dtype != old.dtype:
                raise TypeError(
                    f"givens: {old!r} ({old.type!r}) cannot be replaced by {new!r} ({new.type!r}): the replacement "
                    f"needs the same dtype and number of dims (e.g. replacement.astype('{old.dtype}')).")
            checked[old] = new
        return checked

    def _check_updates(self, pairs):
        seen = set()
        checked = []
        for shared_var, new in pairs:
            if not isinstance(shared_var, SharedVariable):
                raise TypeError(f"updates: the key {shared_var!r} is not a shared variable; only shared "
                                "variables (made with shared(...)) can be updated")
            if shared_var in seen:
                raise ValueError(f"updates: {shared_var!r} is updated twice")
            seen.add(shared_var)
            new = as_variable(new)
            if new.ndim != shared_var.ndim:
                raise TypeError(f"updates: the new value of {shared_var!r} has {new.ndim} dims but {shared_var!r} "
                                f"has {shared_var.ndim} (new value: {new!r})")
            if new.dtype != shared_var.dtype:
                if np.can_cast(new.dtype, shared_var.dtype, "same_kind") and isinstance(new, Constant):
                    new = Constant(shared_var.type, new.data.astype(shared_var.dtype))
                else:
                    raise TypeError(
                        f"updates: the new value of {shared_var!r} has dtype {new.dtype}, but the shared variable "
                        f"is {shared_var.dtype}. Cast the expression (expr.astype('{shared_var.dtype}')) or make the "
                        "shared variable with the dtype you want.")
            checked.append((shared_var, new))
        return checked

    @staticmethod
    def _default_updates(exprs, explicit):
        """(shared, default_update) for shared variables in the graph whose update nobody gave."""
        pairs, seen, frontier = [], set(explicit), list(exprs)
        while frontier:
            new_frontier = []
            for leaf in graph_inputs(frontier):
                if isinstance(leaf, SharedVariable) and leaf not in seen and leaf.default_update is not None:
                    seen.add(leaf)
                    pairs.append((leaf, leaf.default_update))
                    new_frontier.append(leaf.default_update)
            frontier = new_frontier
        return pairs

    def _check_graph_inputs(self, on_unused_input):
        leaves = graph_inputs(self.graph)
        leaf_set = set(leaves)
        for leaf in leaves:
            if leaf.owner is None and not isinstance(leaf, (Constant, SharedVariable)) and leaf not in self.inputs:
                users = [i for i, out in enumerate(self.outputs) if leaf in graph_inputs([out])]
                where = f"output {users[0]} ({self.outputs[users[0]]!r})" if users else "an update"
                raise MissingInputError(
                    f"function: {where} depends on the input {leaf!r} ({leaf.type!r}), which is not in the inputs "
                    f"list {self.inputs}. Add it to the inputs, or give it a value with givens.")
        unused = [v for v in self.inputs if v not in leaf_set and v not in set(graph_inputs(self.graph_before))]
        if unused and on_unused_input != "ignore":
            message = (f"function: the input(s) {unused} are not used to compute any output or update. "
                       "Remove them, or pass on_unused_input='ignore'.")
            if on_unused_input == "raise":
                raise UnusedInputError(message)
            import warnings
            warnings.warn(message, stacklevel=3)

    # Linking ----------------------------------------------------------------------------

    def _link(self):
        """Schedule the nodes once and generate a Python function that runs them in order.

        Every variable becomes a local of the generated function, each node one call of its
        thunk, and a value is dropped (``del``) right after its last use to free memory.
        """
        xp = array_module()
        self.order = toposort(self.graph)
        names = {}

        def name(v):
            if v not in names:
                names[v] = f"v{len(names)}"
            return names[v]

        params = [name(v) for v in self.inputs]
        namespace, constants, self._shared_inputs = {}, [], []
        for leaf in graph_inputs(self.graph):
            if isinstance(leaf, Constant):
                namespace[name(leaf)] = xp.asarray(leaf.data)
                constants.append(leaf)
            elif isinstance(leaf, SharedVariable):
                params.append(name(leaf))
                self._shared_inputs.append(leaf)
        keep = set(self.graph) | set(self.inputs) | set(constants) | set(self._shared_inputs)
        last_use = {}
        for step, node in enumerate(self.order):
            for v in node.inputs:
                last_use[v] = step
        frees = {}
        for v, step in last_use.items():
            if v not in keep:
                frees.setdefault(step, []).append(name(v))
        clients = {}
        for node in self.order:
            for v in node.inputs:
                clients[v] = clients.get(v, 0) + 1
        lines = [f"def program({', '.join(params)}):"]
        self._line_step = {}
        self.n_inplace = 0
        for step, node in enumerate(self.order):
            namespace[f"t{step}"] = self._inplace_thunk(node, xp, clients, keep) or node.op.make_thunk(node, xp)
            outs = ", ".join(name(v) for v in node.outputs)
            self._line_step[len(lines) + 1] = step
            lines.append(f"    {outs} = t{step}({', '.join(name(v) for v in node.inputs)})")
            if step in frees:
                lines.append(f"    del {', '.join(frees[step])}")
        lines.append(f"    return ({''.join(name(v) + ', ' for v in self.graph)})")
        exec(compile("\n".join(lines), f"<minitheano program {self.name or ''}>", "exec"), namespace)
        self._namespace = namespace
        self._program = namespace["program"]
        self._source = "\n".join(lines)
        # Leaves are copied (a shared value must not leak to the caller), and so are repeats of
        # an earlier result (an output that is also an update's new value).
        self._copy_results = [v.owner is None or v in self.graph[:k] for k, v in enumerate(self.graph)]
        self._on_host = xp.__name__ == "numpy"
        self._xp = xp

    def _inplace_thunk(self, node, xp, clients, keep):
        """A thunk that overwrites an input no one else needs (saves allocating a new array)."""
        make = getattr(node.op, "make_inplace_thunk", None)
        if make is None or self.mode != "FAST_RUN":
            return None
        for i, v in enumerate(node.inputs):
            if v.owner is not None and v.owner.op.fresh_output and clients[v] == 1 and v not in keep:
                thunk = make(node, xp, i)
                if thunk is not None:
                    self.n_inplace += 1
                    return thunk
        return None

    # Calling ----------------------------------------------------------------------------

    def __call__(self, *args, **kwargs):
        if kwargs:
            args = self._merge_kwargs(args, kwargs)
        if len(args) != len(self.inputs):
            raise TypeError(f"{self._what()} takes {len(self.inputs)} argument(s) {self.inputs}, got {len(args)}")
        values = [self._filter(var, value) for var, value in zip(self.inputs, args)]
        values += [shared_var.container for shared_var in self._shared_inputs]
        try:
            results = self._program(*values)
        except Exception as exc:
            raise self._compute_error(self._failed_step(exc), values, exc) from exc
        results = [r.copy() if copy else r for r, copy in zip(results, self._copy_results)]
        for shared_var, value in zip(self.update_targets, results[self.n_outputs:]):
            shared_var.container = value if value.ndim else self._xp.asarray(value)
        outputs = results[:self.n_outputs]
        if not self._on_host:
            outputs = [to_host(o) for o in outputs]
        outputs = [o if type(o) is np.ndarray else np.asarray(o) for o in outputs]
        if self.unpack_single:
            return outputs[0] if outputs else None
        return outputs

    def _merge_kwargs(self, args, kwargs):
        names = {v.name: i for i, v in enumerate(self.inputs) if v.name}
        values = list(args) + [None] * (len(self.inputs) - len(args))
        for key, value in kwargs.items():
            if key not in names:
                raise TypeError(f"{self._what()} has no input named {key!r} (inputs: {self.inputs})")
            values[names[key]] = value
        return values

    def _what(self):
        return f"function {self.name!r}" if self.name else "the compiled function"

    def _filter(self, var, value):
        t = var.type
        if type(value) is np.ndarray and value.dtype == t.dtype and value.ndim == t.ndim and self._on_host \
                and None not in t.shape[:0] and all(s is None for s in t.shape):
            return value
        what = f"{self._what()}, input {self.inputs.index(var)} ({var!r})"
        return array_module().asarray(t.filter(value, self.allow_input_downcast, what))

    def _failed_step(self, exc):
        """Which node failed, from the line of the generated program in the traceback."""
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code is self._program.__code__:
                return self._line_step.get(tb.tb_lineno)
            tb = tb.tb_next
        return None

    def _compute_error(self, step, values, exc):
        if step is None:
            return exc
        node = self.order[step]
        described = []
        for k, var in enumerate(node.inputs):
            shape = "?"
            if var in self.inputs:
                shape = tuple(values[self.inputs.index(var)].shape)
            elif isinstance(var, SharedVariable):
                shape = tuple(var.container.shape)
            elif isinstance(var, Constant):
                shape = var.data.shape
            described.append(f"  input {k}: {var!r}, {var.type!r}" + (f", shape {shape}" if shape != "?" else ""))
        shapes = _runtime_shapes(exc)
        return ComputeError(
            f"{type(exc).__name__} while computing {node.op} in {self._what()}: {exc}\n"
            f"Inputs of that node:\n" + "\n".join(described) + shapes + "\n"
            f"The node was created at:\n  {format_trace(node.trace)}")

    # Looking inside ---------------------------------------------------------------------

    @property
    def n_nodes(self):
        return len(self.order)

    def __repr__(self):
        return f"<Function {self.name or ''} inputs={self.inputs} outputs={self.outputs} nodes={self.n_nodes}>"


def _runtime_shapes(exc):
    """The shapes of the failing node's input values, read from the failing thunk's frame."""
    tb = exc.__traceback__
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<minitheano program"):
        tb = tb.tb_next
    if tb is None or tb.tb_next is None:
        return ""
    code, local = tb.tb_next.tb_frame.f_code, tb.tb_next.tb_frame.f_locals
    n_args = code.co_argcount + bool(code.co_flags & 0x04)
    args = []
    for n in code.co_varnames[:n_args]:
        args.extend(local[n] if isinstance(local.get(n), tuple) else [local.get(n)])
    shapes = [f"{tuple(a.shape)} {a.dtype}" for a in args if hasattr(a, "shape")]
    return "\nShapes of the input values: " + ", ".join(shapes) if shapes else ""
