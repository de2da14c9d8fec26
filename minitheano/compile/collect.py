"""Collecting what a compiled function computes: its inputs, the ``givens`` substituted, and
the updates of shared variables (the caller's and the default ones), each checked with an
error that names the cause.
"""
import warnings

import numpy as np

from ..graph import Constant, SharedVariable, TensorType, Variable, as_variable, clone_replace, graph_inputs
from .errors import MissingInputError, UnusedInputError


def as_pairs(updates):
    """``updates`` (None, a dict or a list of pairs) as a list of pairs, in the caller's order."""
    if updates is None:
        return []
    if isinstance(updates, dict):
        return list(updates.items())
    return [tuple(pair) for pair in updates]


def collect(outputs, updates, givens):
    """(output expressions, [(shared variable, its new value)]) after substituting ``givens``,
    with the default updates of the shared variables the graph uses."""
    update_pairs = check_updates(as_pairs(updates))
    exprs = outputs + [new for _, new in update_pairs]
    if givens:
        exprs = clone_replace(exprs, check_givens(givens))
    update_pairs = list(zip([s for s, _ in update_pairs], exprs[len(outputs):]))
    exprs = exprs[:len(outputs)]
    update_pairs += check_updates(default_updates(exprs + [u for _, u in update_pairs], {s for s, _ in update_pairs}))
    return exprs, update_pairs


def check_inputs(inputs):
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

def check_givens(givens):
    """{old: replacement}; a replacement keeps the dtype and ndim (so updates keep theirs)."""
    checked = {}
    for old, new in as_pairs(givens):
        if not isinstance(old, Variable):
            raise TypeError(f"givens keys must be variables, got {old!r}")
        new = as_variable(new)
        if isinstance(new, Constant) and np.can_cast(new.dtype, old.dtype, "same_kind"):
            new = TensorType.constant_type(TensorType(old.dtype, new.type.shape), new.data.astype(old.dtype))
        if new.ndim != old.ndim or new.dtype != old.dtype:
            raise TypeError(
                f"givens: {old!r} ({old.type!r}) cannot be replaced by {new!r} ({new.type!r}): the replacement "
                f"needs the same dtype and number of dims (e.g. replacement.astype('{old.dtype}')).")
        checked[old] = new
    return checked

def check_updates(pairs):
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
                new = TensorType.constant_type(shared_var.type, new.data.astype(shared_var.dtype))
            else:
                raise TypeError(
                    f"updates: the new value of {shared_var!r} has dtype {new.dtype}, but the shared variable "
                    f"is {shared_var.dtype}. Cast the expression (expr.astype('{shared_var.dtype}')) or make the "
                    "shared variable with the dtype you want.")
        checked.append((shared_var, new))
    return checked

def default_updates(exprs, explicit):
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

def check_graph_inputs(inputs, outputs, graph, graph_before, on_unused_input):
    """Every input variable the graph needs is listed; every listed one is used (or say so)."""
    leaves = graph_inputs(graph)
    leaf_set = set(leaves)
    for leaf in leaves:
        if leaf.owner is None and not isinstance(leaf, (Constant, SharedVariable)) and leaf not in inputs:
            users = [i for i, out in enumerate(outputs) if leaf in graph_inputs([out])]
            where = f"output {users[0]} ({outputs[users[0]]!r})" if users else "an update"
            raise MissingInputError(
                f"function: {where} depends on the input {leaf!r} ({leaf.type!r}), which is not in the inputs "
                f"list {inputs}. Add it to the inputs, or give it a value with givens.")
    unused = [v for v in inputs if v not in leaf_set and v not in set(graph_inputs(graph_before))]
    if unused and on_unused_input != "ignore":
        message = (f"function: the input(s) {unused} are not used to compute any output or update. "
                   "Remove them, or pass on_unused_input='ignore'.")
        if on_unused_input == "raise":
            raise UnusedInputError(message)
        warnings.warn(message, stacklevel=4)  # the line that called function()
