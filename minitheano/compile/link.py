"""Linking: schedule the nodes once and generate the Python function that runs them.

Every variable becomes a local of the generated function, each node one call of its thunk
(the callable ``op.make_thunk`` returns), and a value is dropped (``del``) right after its
last use to free memory. The generated source is kept (``f.source``) so it can be read.
"""
from collections import namedtuple

from ..graph import Constant, SharedVariable, graph_inputs, toposort
from .inplace import inplace_thunks, update_in_place

# function: the generated callable; order: the scheduled nodes; source: its text;
# line_step: {line number: step} for error reports; shared: the shared variables it reads;
# updated_in_place: the shared variables whose new value is written into their own storage.
Program = namedtuple("Program", "function order source line_step shared updated_in_place")


def link(graph, inputs, xp, inplace=True, name=None, updates=()):
    """A Program computing the variables ``graph`` from ``inputs`` then the shared variables' values.

    ``updates``: the (shared variable, new value) pairs among ``graph``; with ``inplace``, new
    values that may overwrite the old one are computed into its storage (``compile.inplace``).
    """
    order = toposort(graph)
    names = {}

    def name_of(v):
        if v not in names:
            names[v] = f"v{len(names)}"
        return names[v]

    params = [name_of(v) for v in inputs]
    namespace, constants, shared = {}, [], []
    for leaf in graph_inputs(graph):
        if isinstance(leaf, Constant):
            namespace[name_of(leaf)] = xp.asarray(leaf.data)
            constants.append(leaf)
        elif isinstance(leaf, SharedVariable):
            params.append(name_of(leaf))
            shared.append(leaf)
    keep = set(graph) | set(inputs) | set(constants) | set(shared)
    frees = _frees(order, keep)
    into_shared = update_in_place(order, graph, updates, xp) if inplace else {}
    overwriting = inplace_thunks(order, keep, xp, skip=into_shared) if inplace else {}

    lines, line_step = [f"def program({', '.join(params)}):"], {}
    for step, node in enumerate(order):
        args = [name_of(v) for v in node.inputs]
        if step in into_shared:
            target, namespace[f"t{step}"] = into_shared[step]
            args.append(f"out={name_of(target)}")
        else:
            namespace[f"t{step}"] = overwriting.get(step) or node.op.make_thunk(node, xp)
        line_step[len(lines) + 1] = step
        outs = ", ".join(name_of(v) for v in node.outputs)
        lines.append(f"    {outs} = t{step}({', '.join(args)})")
        if step in frees:
            lines.append(f"    del {', '.join(name_of(v) for v in frees[step])}")
    lines.append(f"    return ({''.join(name_of(v) + ', ' for v in graph)})")
    source = "\n".join(lines)
    exec(compile(source, f"<minitheano program {name or ''}>", "exec"), namespace)
    return Program(namespace["program"], order, source, line_step, shared, [s for s, _ in into_shared.values()])


def _frees(order, keep):
    """{step: the variables last used at that step}, leaving out those in ``keep``."""
    last_use = {}
    for step, node in enumerate(order):
        for v in node.inputs:
            last_use[v] = step
    frees = {}
    for v, step in last_use.items():
        if v not in keep:
            frees.setdefault(step, []).append(v)
    return frees
