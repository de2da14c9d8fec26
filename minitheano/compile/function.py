"""``function(inputs, outputs, updates=, givens=)``: turn a graph into a Python callable.

Compiling collects the graph (``collect``: givens substituted, updates explicit and default),
rewrites it (``minitheano.rewrites``), fuses its elementwise chains and the kernels they
finish (``fuse``), then links it
(``link``: one generated Python function calling each node's thunk in schedule order,
elementwise ops overwriting inputs that nothing else needs, new values of shared variables
written into their storage when nothing reads the old value after). Updates are atomic:
every output and new value is computed before any shared value changes. A failing node is
reported with the line that made it (``errors``).
"""
import numpy as np

from .. import rewrites
from ..backend import to_host, xp as array_module
from ..config import config
from ..graph import Variable, as_variable, toposort
from ..kernels import compiler
from ..kernels.parallel import own_cores
from ..tensor import TensorOperators
from .collect import check_graph_inputs, check_inputs, collect
from .errors import compute_error
from .fuse import fuse_elemwise, fuse_epilogues
from .link import link

MODES = ("FAST_RUN", "FAST_COMPILE")


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


def eval_variable(variable, inputs=None):
    """Compile and compute ``variable``; ``inputs`` maps input variables to values (``x.eval()``)."""
    inputs = inputs or {}
    return function(list(inputs), variable)(*inputs.values())


# ``x.eval()``: compiling sits above the tensor vocabulary, so compile gives variables this method.
TensorOperators.eval = eval_variable


class Function:
    """A compiled graph. Call it with one value per input; it returns the output value(s).

    ``graph_before`` / ``graph``: the outputs and new values before and after rewriting;
    ``linked``: ``graph`` with its elementwise chains fused (FAST_RUN), as it runs (``debugprint(f.linked)``);
    ``rewrites_applied``: the rewrites used; ``source``: the generated Python code.
    """

    def __init__(self, inputs, outputs, updates, givens, mode, allow_input_downcast, on_unused_input, name,
                 extra_rewrites=()):
        self.name = name
        self.mode = mode or config.mode
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")
        self.allow_input_downcast = allow_input_downcast
        self.inputs = check_inputs(inputs)
        self.unpack_single = isinstance(outputs, Variable) or not isinstance(outputs, (list, tuple))
        out_list = [] if outputs is None else [outputs] if self.unpack_single else list(outputs)
        self.outputs = [as_variable(o) for o in out_list]
        exprs, update_pairs = collect(self.outputs, updates, givens)
        self.graph_before = exprs + [u for _, u in update_pairs]
        self.rewrites_applied = []
        extra = rewrites.check_rewrites(extra_rewrites, "function: rewrites")
        if self.mode == "FAST_RUN":
            self.graph = rewrites.rewrite_graph(self.graph_before, log=self.rewrites_applied, extra=extra)
        else:
            self.graph = rewrites.apply_local(self.graph_before, extra, log=self.rewrites_applied)
        self.n_outputs = len(exprs)
        self.update_targets = [s for s, _ in update_pairs]
        check_graph_inputs(self.inputs, self.outputs, self.graph, self.graph_before, on_unused_input)
        self._xp = array_module()
        self._on_host = self._xp.__name__ == "numpy"
        fast = self.mode == "FAST_RUN"
        self.linked = self.graph
        if fast:
            self.linked = fuse_epilogues(fuse_elemwise(self.graph, log=self.rewrites_applied),
                                         log=self.rewrites_applied)
        self.program = link(self.linked, self.inputs, self._xp, inplace=fast, name=name,
                            updates=list(zip(self.update_targets, self.linked[self.n_outputs:])))
        compiler.finish()  # the elementwise kernels it started building (kernels.native), side by side
        self.rewrites_applied += ["update_in_place"] * len(self.program.updated_in_place)
        self._run, self._shared = self.program.function, self.program.shared  # looked up once, not per call
        # Kernels that run their own threads (convolutions, pooling) get the cores to themselves.
        self._own_cores = self._on_host and any(node.op.threaded for node in self.program.order)
        # Leaves are copied (a shared value must not leak to the caller), and so are repeats of
        # an earlier result (an output that is also an update's new value).
        self._copy_results = [v.owner is None or v in self.linked[:k] for k, v in enumerate(self.linked)]

    def __call__(self, *args, **kwargs):
        if kwargs:
            args = self._merge_kwargs(args, kwargs)
        if len(args) != len(self.inputs):
            raise TypeError(f"{self.describe()} takes {len(self.inputs)} argument(s) {self.inputs}, got {len(args)}")
        values = [self._filter(var, value) for var, value in zip(self.inputs, args)]
        values += [shared_var.container for shared_var in self._shared]
        try:
            if self._own_cores:
                with own_cores():
                    results = self._run(*values)
            else:
                results = self._run(*values)
        except Exception as exc:
            raise compute_error(self, values, exc) from exc
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
                raise TypeError(f"{self.describe()} has no input named {key!r} (inputs: {self.inputs})")
            values[names[key]] = value
        return values

    def _filter(self, var, value):
        t = var.type
        if type(value) is np.ndarray and value.dtype == t.dtype and value.ndim == t.ndim and self._on_host \
                and all(s is None for s in t.shape):
            return value
        what = f"{self.describe()}, input {self.inputs.index(var)} ({var!r})"
        return self._xp.asarray(t.filter(value, self.allow_input_downcast, what))

    def describe(self):
        return f"function {self.name!r}" if self.name else "the compiled function"

    @property
    def order(self):
        return self.program.order

    @property
    def source(self):
        """The Python code generated for this function: one line per node, in schedule order."""
        return self.program.source

    @property
    def n_nodes(self):
        """The number of nodes of the rewritten graph ``f.graph`` (``len(f.order)`` runs, fused)."""
        return len(toposort(self.graph))

    def __repr__(self):
        return f"<Function {self.name or ''} inputs={self.inputs} outputs={self.outputs} nodes={self.n_nodes}>"
