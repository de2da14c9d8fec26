"""The rewriting machinery: declaring a local rewrite, applying local rewrites to a fixed point,
the global rewrites ``merge`` and ``constant_fold``, and ``rewrite_graph``, which runs them all."""
import numpy as np

from ..graph import Constant, Op, Variable, toposort
from ..tensor import cast

GROUPS = {"canonicalize": [], "stabilize": [], "specialize": []}
# A graph reaches its fixed point in a few passes; this many means a rewrite undoes another.
MAX_PASSES = 100


def local_rewrite(*tracks, group=None):
    """Declare ``fn(node)`` a local rewrite, returning replacement outputs or None; its name is
    the rewrite's name (listed in ``f.rewrites_applied``).

    ``tracks``: the ops it looks at, as op classes (any instance, subclasses included) or ops
    (``T.exp``: nodes whose op equals it). It is offered only nodes with those ops. ``group``
    ('canonicalize', 'stabilize' or 'specialize') adds it to the rewrites every compile runs;
    without one, pass it to a single compile: ``function(..., rewrites=[fn])``.
    """
    if not tracks or not all(isinstance(t, Op) or (isinstance(t, type) and issubclass(t, Op)) for t in tracks):
        raise TypeError(f"local_rewrite: name the ops the rewrite tracks (op classes such as E.Log, or ops such "
                        f"as T.exp), got {tracks!r}")
    if group is not None and group not in GROUPS:
        raise ValueError(f"local_rewrite: group must be one of {list(GROUPS)} or None, got {group!r}")

    def declare(fn):
        fn.tracks = tracks
        if group is not None:
            GROUPS[group].append(fn)
        return fn
    return declare


def tracks_op(rewrite, op):
    """True if ``rewrite`` tracks ``op``."""
    return any(isinstance(op, t) if isinstance(t, type) else t == op for t in rewrite.tracks)


def check_rewrites(rewrites, what="rewrites"):
    """``rewrites`` as a list of declared local rewrites, or a TypeError naming the first that isn't."""
    rewrites = [rewrites] if callable(rewrites) else list(rewrites)
    for fn in rewrites:
        if not callable(fn) or not hasattr(fn, "tracks"):
            raise TypeError(f"{what}: {fn!r} is not a declared rewrite; define it under @local_rewrite(<ops it "
                            "tracks>) (from minitheano.rewrites)")
    return rewrites


# Matching helpers (for the rules) ---------------------------------------------------------

def _op(var, *classes):
    """The op of the node producing ``var`` if it is one of ``classes``, else None."""
    node = var.owner
    return node.op if node is not None and isinstance(node.op, classes) else None


def _is_const(var, value):
    return isinstance(var, Constant) and var.data.size >= 1 and np.all(var.data == value)


def _broadcasts_into(small, big):
    """True if ``small`` broadcast against ``big`` provably gives ``big``'s shape."""
    if small.ndim > big.ndim:
        return False
    for s, b in zip(reversed(small.type.shape), reversed(big.type.shape)):
        if s != 1 and (s is None or b is None or s != b):
            return False
    return True


def _same_static_shape(a, b):
    return a.type.shape == b.type.shape and None not in a.type.shape


# Global rewrites --------------------------------------------------------------------------

def _rebuild(node, memo):
    """``node`` with its inputs replaced through ``memo`` (a new node only if something changed)."""
    inputs = [memo.get(i, i) for i in node.inputs]
    if all(a is b for a, b in zip(inputs, node.inputs)):
        return node
    new = node.clone_with_new_inputs(inputs)
    for old, fresh in zip(node.outputs, new.outputs):
        memo[old] = fresh
    return new


def merge(outputs, log=None):
    """One node per distinct (op, inputs), one constant per distinct value."""
    memo, seen, constants = {}, {}, {}
    for node in toposort(outputs):
        for inp in node.inputs:
            if isinstance(inp, Constant) and inp not in memo:
                memo[inp] = constants.setdefault(inp.signature(), inp)
        original, node = node, _rebuild(node, memo)
        if node.op.random:
            continue
        key = (node.op, tuple(id(i) for i in node.inputs))
        twin = seen.setdefault(key, node)
        if twin is not node:  # the readers of the original (not of its rebuilt copy) read the twin
            for old, kept in zip(original.outputs, twin.outputs):
                memo[old] = kept
            if log is not None:
                log.append("merge")
    return [memo.get(v, v) for v in outputs]


def constant_fold(outputs, log=None, max_size=1_000_000):
    """Compute now every node whose inputs are all constants."""
    memo = {}
    for node in toposort(outputs):
        node = _rebuild(node, memo)
        if node.op.random or not all(isinstance(i, Constant) for i in node.inputs):
            continue
        try:
            values = node.op.make_thunk(node, np)(*[i.data for i in node.inputs])
        except Exception:
            continue  # leave it for run time, where the error is reported with its context
        values = values if len(node.outputs) > 1 else (values,)
        if any(np.asarray(v).size > max_size for v in values):
            continue
        for out, value in zip(node.outputs, values):
            memo[out] = out.type.constant_type(out.type, np.asarray(value, dtype=out.dtype))
        if log is not None:
            log.append("constant_fold")
    return [memo.get(v, v) for v in outputs]


def apply_local(outputs, rewrites, log=None):
    """Apply local ``rewrites`` everywhere, pass after pass, until none fires (a fixed point).

    Each node is offered only to the rewrites that track its op, looked up by ``type(node.op)``.
    """
    by_type = {}
    for _ in range(MAX_PASSES):
        memo, fired = {}, []
        for node in toposort(outputs):
            original = node
            node = _rebuild(node, memo)
            kind = type(node.op)
            if kind not in by_type:
                by_type[kind] = [r for r in rewrites if any(_may_track(t, kind) for t in r.tracks)]
            for rewrite in by_type[kind]:
                replacement = rewrite(node) if tracks_op(rewrite, node.op) else None
                if replacement is None:
                    continue
                replacement = [replacement] if isinstance(replacement, Variable) else replacement
                for old, new in zip(original.outputs, replacement):
                    memo[old] = _match_type(new, old, rewrite)
                fired.append(rewrite.__name__)
                break
        outputs = [memo.get(v, v) for v in outputs]
        if log is not None:
            log.extend(fired)
        if not fired:
            return outputs
    raise RuntimeError(f"rewrites did not settle after {MAX_PASSES} passes: {sorted(set(fired))} keep firing. "
                       "A rewrite must return None when it has nothing to change, and not undo another.")


def _may_track(track, kind):
    """Whether a rewrite tracking ``track`` (an op class or an op) may apply to ops of class ``kind``."""
    return issubclass(kind, track) if isinstance(track, type) else type(track) is kind


def _match_type(new, old, rewrite):
    if not isinstance(new, Variable):
        raise TypeError(f"rewrite {rewrite.__name__} returned {new!r} for {old!r}: it must return a list of "
                        "variables (one per output of the node) or None")
    if new.ndim != old.ndim:
        raise TypeError(f"rewrite {rewrite.__name__} changed the number of dims of {old!r}: "
                        f"{old.ndim} -> {new.ndim}")
    return cast(new, old.dtype)


def rewrite_graph(outputs, groups=("canonicalize", "stabilize", "specialize"), log=None, extra=()):
    """``outputs`` after every rewrite: merge, fold, the ``extra`` local rewrites (the caller's),
    the local groups, fold, merge."""
    outputs = merge(list(outputs), log)
    outputs = constant_fold(outputs, log)
    if extra:
        outputs = apply_local(outputs, check_rewrites(extra), log)
    for group in groups:
        outputs = apply_local(outputs, GROUPS[group], log)
    outputs = constant_fold(outputs, log)
    return merge(outputs, log)


def stabilize(outputs):
    """Only the stabilizing rewrites (``grad`` differentiates the stable form of a cost)."""
    return apply_local(list(outputs), GROUPS["stabilize"])

