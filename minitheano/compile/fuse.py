"""``fuse_elemwise``: chains of elementwise ops become one ``Composite`` node each, computed in
one call that reuses its temporaries. ``fuse_epilogues``: a kernel that can finish its result
chunk by chunk (a convolution) absorbs the elementwise node that alone reads it (``Finished``).
``function`` applies both to the rewritten graph when linking in FAST_RUN: ``f.graph`` stays
the readable graph, ``f.linked`` is what runs.
"""
from ..graph import toposort
from ..ops.broadcast import Elemwise
from ..ops.composite import Composite, Finished
from ..rewrites import _rebuild


def fuse_elemwise(outputs, log=None):
    """Chains of elementwise ops -> one ``Composite`` node each (one call, reused temporaries).

    A node joins the chain of the node that reads it when that is its only reader, it is not a
    result, and its value is as large as the chain's (a smaller one, such as a bias, would be
    recomputed for every element). Runs after ``grad``: composites have no gradient.
    """
    order = toposort(outputs)
    clients, results = {}, set(outputs)
    for node in order:
        for v in node.inputs:
            clients[v] = clients.get(v, 0) + 1
    absorbed, groups = set(), {}
    for root in reversed(order):
        if not _fusable(root) or root in absorbed:
            continue
        members, frontier = [root], [root]
        while frontier:
            for v in frontier.pop().inputs:
                p = v.owner
                if p is not None and _fusable(p) and p not in absorbed and clients[v] == 1 and v not in results \
                        and _as_large(v, root.outputs[0]):
                    absorbed.add(p)
                    members.append(p)
                    frontier.append(p)
        if len(members) > 1:
            groups[root] = set(members)
    if not groups:
        return outputs
    memo = {}
    for node in order:
        if node in absorbed:
            continue
        if node not in groups:
            _rebuild(node, memo)
            continue
        steps = [n for n in order if n in groups[node]]
        produced = {n.outputs[0] for n in steps}
        inputs = list(dict.fromkeys(v for n in steps for v in n.inputs if v not in produced))
        refs = {v: k for k, v in enumerate(inputs)}
        for k, n in enumerate(steps):
            refs[n.outputs[0]] = len(inputs) + k
        op = Composite([(n.op, [refs[v] for v in n.inputs]) for n in steps], len(inputs))
        fused = op(*[memo.get(v, v) for v in inputs])
        fused.owner.trace = node.trace
        memo[node.outputs[0]] = fused
        if log is not None:
            log.append("fuse_elemwise")
    return [memo.get(v, v) for v in outputs]


def _fusable(node):
    return isinstance(node.op, Elemwise) and not isinstance(node.op, Composite) and len(node.outputs) == 1


def _as_large(v, out):
    """True unless ``v``'s static shape shows it smaller than ``out``."""
    return v.ndim == out.ndim and not any(a == 1 and b != 1 for a, b in zip(v.type.shape, out.type.shape))



def fuse_epilogues(outputs, log=None):
    """Each node whose op accepts an epilogue (``perform(..., then=)``) and whose result only one
    elementwise node reads, once, becomes one ``Finished`` node with it: the bias and relu of a
    convolution are applied to each chunk of its result while the chunk is in the cache."""
    order = toposort(outputs)
    readers, results = {}, set(outputs)
    for node in order:
        for i, v in enumerate(node.inputs):
            readers.setdefault(v, []).append((node, i))
    finishing = {}
    for node in order:
        if not getattr(node.op, "accepts_epilogue", False) or len(node.outputs) != 1:
            continue
        v = node.outputs[0]
        if v in results or len(readers.get(v, ())) != 1:
            continue
        reader, slot = readers[v][0]
        out = reader.outputs[0]
        if isinstance(reader.op, Elemwise) and len(reader.outputs) == 1 and out.dtype == v.dtype \
                and _as_large(out, v) and reader not in finishing:
            finishing[reader] = (node, slot)
    if not finishing:
        return outputs
    absorbed = {producer for producer, _ in finishing.values()}
    memo = {}
    for node in order:
        if node in absorbed:
            continue
        if node not in finishing:
            _rebuild(node, memo)
            continue
        producer, slot = finishing[node]
        op = node.op if isinstance(node.op, Composite) else Composite([(node.op, range(len(node.inputs)))],
                                                                     len(node.inputs))
        extras = [memo.get(v, v) for i, v in enumerate(node.inputs) if i != slot]
        fused = Finished(producer.op, op, slot, len(producer.inputs))(
            *[memo.get(v, v) for v in producer.inputs], *extras)
        fused.owner.trace = node.trace
        memo[node.outputs[0]] = fused
        if log is not None:
            log.append("fuse_epilogues")
    return [memo.get(v, v) for v in outputs]
