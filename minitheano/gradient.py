"""Symbolic differentiation by reverse-mode accumulation.

``grad(cost, wrt)`` walks the graph from the cost back to ``wrt``, asking each op for the
gradients of its inputs given those of its outputs. The results are ordinary symbolic
variables: they can be printed, compiled, and differentiated again. (``verify_grad``, which
compiles, is in ``gradcheck.py``.)
"""
import warnings

import numpy as np

from .graph import Variable, ancestors, as_variable, constant, toposort
from .ops.broadcast import sum_to
from .rewrites import stabilize
from .tensor import cast, zeros_like


class DisconnectedInputError(ValueError):
    """``grad`` was asked for the gradient w.r.t. a variable the cost does not depend on."""


class GradientError(AssertionError):
    """``verify_grad`` found a symbolic gradient that disagrees with finite differences."""


def grad(cost, wrt, consider_constant=None, disconnected_inputs="raise", known_grads=None):
    """Gradient(s) of the scalar ``cost`` with respect to ``wrt`` (a variable or a list).

    ``consider_constant``: variables treated as constants (no gradient flows through them).
    ``disconnected_inputs``: 'raise', 'warn' or 'ignore' when ``cost`` doesn't depend on one of
    ``wrt`` (its gradient is then zero). ``known_grads``: {variable: its gradient} to start
    from instead of d cost / d cost = 1 (``cost`` may then be None).
    """
    single = not isinstance(wrt, (list, tuple))
    wrt_list = [wrt] if single else list(wrt)
    if not wrt_list:
        return []
    for w in wrt_list:
        if not isinstance(w, Variable):
            raise TypeError(f"grad: wrt must be symbolic variables, got {type(w).__name__} {w!r}")
        if np.dtype(w.dtype).kind != "f":
            raise TypeError(f"grad: cannot differentiate with respect to {w!r} of integer dtype {w.dtype}")
    if disconnected_inputs not in ("raise", "warn", "ignore"):
        raise ValueError("disconnected_inputs must be 'raise', 'warn' or 'ignore'")

    start = dict(known_grads or {})
    if cost is not None:
        cost = as_variable(cost)
        if cost.ndim != 0:
            raise TypeError(
                f"grad: the cost must be a scalar, but {cost!r} has {cost.ndim} dims (shape {cost.type.shape}). "
                "Reduce it first, e.g. loss.mean() or loss.sum().")
        if np.dtype(cost.dtype).kind != "f":
            raise TypeError(f"grad: the cost {cost!r} has integer dtype {cost.dtype}; cast it to a float first")
        cost = _stable_cost(cost, set(wrt_list) | set(consider_constant or ()) | set(start))
        start[cost] = constant(1.0, dtype=cost.dtype)
    if not start:
        raise ValueError("grad needs a cost or known_grads")

    blocked = set(consider_constant or ())
    grads = _backpropagate(list(start), start, set(wrt_list), blocked)

    results = []
    for w in wrt_list:
        g = grads.get(w)
        if g is None:
            message = (f"grad: the cost does not depend on {w!r} (it is not in the graph, or only reaches "
                       "it through integer ops or consider_constant). Pass disconnected_inputs='ignore' to get zeros.")
            if disconnected_inputs == "raise":
                raise DisconnectedInputError(message)
            if disconnected_inputs == "warn":
                warnings.warn(message, stacklevel=2)
            g = zeros_like(w)
        results.append(g)
    return results[0] if single else results


def _stable_cost(cost, named):
    """``cost`` after the stabilizing rewrites, unless they bypass a variable the caller named
    (``grad(log(softmax(x)).sum(), softmax(x))`` must still see the softmax)."""
    (stable,) = stabilize([cost])
    return stable if named & ancestors([cost]) <= ancestors([stable]) else cost


def _backpropagate(outputs, start, wrt, blocked):
    order = toposort(outputs)
    # Only nodes on a path from ``wrt`` to the outputs need gradients.
    relevant = set(wrt)
    for node in order:
        if any(i in relevant and i not in blocked for i in node.inputs):
            relevant.update(node.outputs)

    pending = {v: [g] for v, g in start.items()}
    for node in reversed(order):
        if not any(o in relevant for o in node.outputs):
            continue
        out_grads = [_total(pending.get(o)) for o in node.outputs]
        if all(g is None for g in out_grads):
            continue
        out_grads = [zeros_like(o) if g is None else g for g, o in zip(out_grads, node.outputs)]
        in_grads = node.op.grad(node, out_grads)
        if len(in_grads) != len(node.inputs):
            raise ValueError(f"{node.op}.grad returned {len(in_grads)} gradients for {len(node.inputs)} inputs")
        for inp, g in zip(node.inputs, in_grads):
            if g is None or inp in blocked or inp not in relevant or np.dtype(inp.dtype).kind != "f":
                continue
            pending.setdefault(inp, []).append(_fit(as_variable(g), inp, node))
    return {v: _total(pending.get(v)) for v in wrt}


def _fit(g, inp, node):
    """The gradient ``g`` that ``node``'s op gave for ``inp``, summed back over broadcast axes and
    cast to ``inp``'s dtype, so that each op's ``grad`` need say only its own mathematics."""
    if g.ndim < inp.ndim:
        raise ValueError(f"{node.op}.grad gave a {g.ndim}-d gradient for the {inp.ndim}-d input {inp!r}")
    differs = g.ndim > inp.ndim or any(a is not None and b is not None and a != b
                                       for a, b in zip(g.type.shape, inp.type.shape))
    if differs or (node.op.broadcasts and _may_be_broadcast(inp, node)):
        g = sum_to(g, inp)
    return cast(g, inp.dtype)


def _may_be_broadcast(inp, node):
    """False when static shapes show that ``node`` does not broadcast ``inp``: along every axis
    it has the result's known length, or every other input has length 1 (a bias added to it)."""
    out = node.outputs[0]
    if inp.ndim < out.ndim:
        return True
    for axis, (n, m) in enumerate(zip(inp.type.shape, out.type.shape)):
        if n is not None and n == m:
            continue
        others = [v.type.shape[axis - out.ndim + v.ndim] for v in node.inputs
                  if v is not inp and axis >= out.ndim - v.ndim]
        if n is None and all(d == 1 for d in others):
            continue
        return True
    return False


def _total(parts):
    if not parts:
        return None
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total
