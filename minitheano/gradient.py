"""Symbolic differentiation by reverse-mode accumulation, and a finite-difference check.

``grad(cost, wrt)`` walks the graph from the cost back to ``wrt``, asking each op for the
gradients of its inputs given those of its outputs. The results are ordinary symbolic
variables: they can be printed, compiled, and differentiated again.
"""
import warnings
from collections import namedtuple

import numpy as np

from .graph import Variable, ancestors, as_variable, constant, toposort
from .rewrites import stabilize


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
            from .tensor import zeros_like
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
        from .tensor import zeros_like
        out_grads = [zeros_like(o) if g is None else g for g, o in zip(out_grads, node.outputs)]
        in_grads = node.op.grad(node, out_grads)
        if len(in_grads) != len(node.inputs):
            raise ValueError(f"{node.op}.grad returned {len(in_grads)} gradients for {len(node.inputs)} inputs")
        for inp, g in zip(node.inputs, in_grads):
            if g is None or inp in blocked or inp not in relevant:
                continue
            g = as_variable(g)
            if g.ndim != inp.ndim:
                raise ValueError(f"{node.op}.grad gave a {g.ndim}-d gradient for the {inp.ndim}-d input {inp!r}")
            if g.dtype != inp.dtype:
                from .tensor import cast
                g = cast(g, inp.dtype)
            pending.setdefault(inp, []).append(g)
    return {v: _total(pending.get(v)) for v in wrt}


def _total(parts):
    if not parts:
        return None
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


GradCheck = namedtuple("GradCheck", "max_rel_error worst_input worst_index")


def verify_grad(fn, inputs, n_tests=2, eps=1e-6, rel_tol=1e-4, abs_tol=1e-6, seed=0):
    """Check ``grad`` of ``fn`` against central finite differences, in float64.

    ``fn`` takes symbolic variables (one per array in ``inputs``) and returns a symbolic
    tensor. Its output is projected onto a random direction to make a scalar cost. Raises
    GradientError naming the worst input and element; returns a GradCheck otherwise.
    """
    from . import tensor as T
    from .compile import function

    rng = np.random.default_rng(seed)
    points = [np.array(x, dtype="float64") for x in inputs]
    names = [f"input {i}" for i in range(len(points))]
    symbols = [T.tensor("float64", p.ndim, name=f"x{i}") for i, p in enumerate(points)]
    out = as_variable(fn(*symbols))
    if np.dtype(out.dtype).kind != "f":
        raise TypeError(f"verify_grad: fn must return a float tensor, got {out!r} of dtype {out.dtype}")
    worst = GradCheck(0.0, None, None)
    for _ in range(n_tests):
        out_value = function(symbols, out, mode="FAST_COMPILE")(*points)
        projection = rng.normal(size=np.shape(out_value))
        cost = T.sum(T.cast(out, "float64") * T.constant(projection))
        cost_fn = function(symbols, cost, mode="FAST_COMPILE")
        grads = grad(cost, symbols, disconnected_inputs="ignore")
        analytic = function(symbols, grads, mode="FAST_COMPILE")(*points)
        for k, point in enumerate(points):
            numeric = np.zeros_like(point)
            for idx in np.ndindex(point.shape):
                shifted = [p.copy() for p in points]
                shifted[k][idx] = point[idx] + eps
                plus = float(cost_fn(*shifted))
                shifted[k][idx] = point[idx] - eps
                minus = float(cost_fn(*shifted))
                numeric[idx] = (plus - minus) / (2 * eps)
            a = np.asarray(analytic[k], dtype="float64")
            err = np.abs(a - numeric)
            rel = err / np.maximum(np.abs(a) + np.abs(numeric), abs_tol)
            if rel.size == 0:
                continue
            i = np.unravel_index(np.argmax(rel), rel.shape)
            where = tuple(int(j) for j in i)
            if rel[i] >= worst.max_rel_error:
                worst = GradCheck(float(rel[i]), names[k], where)
            if err[i] > abs_tol and rel[i] > rel_tol:
                raise GradientError(
                    f"verify_grad: the gradient w.r.t. {names[k]} (shape {point.shape}) disagrees with finite "
                    f"differences: at index {where} the symbolic gradient is {a[i]:.6g}, the "
                    f"numeric one {numeric[i]:.6g} (relative error {rel[i]:.3g} > {rel_tol}).")
    return worst
