"""The in-place passes: a node may write its result into memory that nothing else needs.

``inplace_thunks``: an elementwise op's result goes into the memory of one of its inputs when
that input is a fresh array (made by a node, never a view of another value), used by this node
alone, and not itself a result of the function. This saves allocating a new array per node.

``update_in_place``: a shared variable's new value is computed into the shared variable's own
storage (``out=`` in ``f.source``) when no later node reads the old value, nor any view of it,
and neither the old value nor a view of it is a result (an output, or another update's new
value, as in a swap). Updates stay atomic: every reader of the old value has run by then.
As in Theano, an array from ``get_value(borrow=True)`` (or given to ``set_value(v, borrow=True)``)
is that storage and changes with it; and if a later node raises, a value written stays written.
"""


def inplace_thunks(order, keep, xp, skip=()):
    """{step: thunk} for the nodes of ``order`` that can overwrite an input (``keep``: the
    variables whose values must survive: inputs, constants, shared variables and results;
    ``skip``: steps that write elsewhere already)."""
    clients = {}
    for node in order:
        for v in node.inputs:
            clients[v] = clients.get(v, 0) + 1
    thunks = {}
    for step, node in enumerate(order):
        make = getattr(node.op, "make_inplace_thunk", None)
        if make is None or step in skip:
            continue
        for i, v in enumerate(node.inputs):
            if v.owner is not None and v.owner.op.fresh_output and clients[v] == 1 and v not in keep:
                thunk = make(node, xp, i)
                if thunk is not None:
                    thunks[step] = thunk
                    break
    return thunks


def update_in_place(order, graph, updates, xp):
    """{step: (shared variable, thunk(*inputs, out=storage))} for the update nodes that may write
    the new value into the shared variable's storage (see the module docstring)."""
    step_of = {node: k for k, node in enumerate(order)}
    last_read = {}
    for step, node in enumerate(order):
        for v in node.inputs:
            last_read[v] = step
    results = set(graph)
    chosen = {}
    for shared, new in updates:
        node = new.owner
        make = getattr(node.op, "make_update_thunk", None) if node is not None else None
        if make is None or len(node.outputs) != 1 or new.dtype != shared.dtype or new.ndim != shared.ndim:
            continue
        step = step_of[node]
        aliases = _aliases(shared, order)
        if step in chosen or aliases & results or any(last_read.get(a, -1) > step for a in aliases):
            continue
        if any(v in aliases and v is not shared for v in node.inputs):
            continue  # reads a view of the storage it would write (cupy does not order such overlaps)
        thunk = make(node, xp)
        if thunk is not None:
            chosen[step] = (shared, thunk)
    return chosen


def _aliases(shared, order):
    """``shared`` and the variables that may be views of its storage (made by ops whose result
    is not always a fresh array, from such variables)."""
    aliases = {shared}
    for node in order:
        if not node.op.fresh_output and any(v in aliases for v in node.inputs):
            aliases.update(node.outputs)
    return aliases
