"""The in-place pass: a node may overwrite an input array that nothing else needs.

An elementwise op's result can go into the memory of one of its inputs when that input is
a fresh array (made by a node, never a view of another value), used by this node alone, and
not itself a result of the function. This saves allocating a new array for each such node.
"""


def inplace_thunks(order, keep, xp):
    """{step: thunk} for the nodes of ``order`` that can overwrite an input (``keep``: the
    variables whose values must survive: inputs, constants, shared variables and results)."""
    clients = {}
    for node in order:
        for v in node.inputs:
            clients[v] = clients.get(v, 0) + 1
    thunks = {}
    for step, node in enumerate(order):
        make = getattr(node.op, "make_inplace_thunk", None)
        if make is None:
            continue
        for i, v in enumerate(node.inputs):
            if v.owner is not None and v.owner.op.fresh_output and clients[v] == 1 and v not in keep:
                thunk = make(node, xp, i)
                if thunk is not None:
                    thunks[step] = thunk
                    break
    return thunks
