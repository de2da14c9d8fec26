"""Graph rewrites: small named transformations that keep values and improve the graph.

A local rewrite declares the ops it tracks (``@local_rewrite(E.Log, group="stabilize")``),
looks at one node with such an op, and returns replacement outputs or None. Groups:
  canonicalize  simpler equivalent forms (x*y/x -> y, x - x -> 0, x*1 -> x, x.T.T -> x)
  stabilize     numerically safer forms (log(1+exp(x)) -> softplus(x), log(softmax) -> log_softmax)
  specialize    drop work that static shapes prove useless (sum_to_shape, broadcast, casts),
                cheaper ops for the same values (x ** 2 -> square(x)), one length of a
                shape read from where it comes from (x.shape[0] of relu(x @ W + b) -> x.shape[0])
Global rewrites: ``merge`` (one node per distinct computation) and ``constant_fold``
(``compile.fuse`` fuses elementwise chains when linking).
``rewrite_graph`` runs them all; ``function`` calls it unless the mode is FAST_COMPILE.
"""
import numpy as np

from .graph import Constant, Op, Variable, constant, toposort
from .ops import elemwise as E
from .ops import linalg as L, nnet, reduce as R, shape as S, subtensor as ST
from .tensor import cast, softplus, zeros_like

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


# Helpers ----------------------------------------------------------------------------------

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


# Canonicalize -----------------------------------------------------------------------------

@local_rewrite(E.TrueDiv, group="canonicalize")
def cancel_mul_div(node):
    """(x * y) / x -> y and (y * x) / x -> y."""
    if not _op(node.inputs[0], E.Mul):
        return None
    a, b = node.inputs[0].owner.inputs
    x = node.inputs[1]
    for same, other in ((a, b), (b, a)):
        if same is x and _broadcasts_into(x, other) and other.ndim == node.outputs[0].ndim:
            return [other]
    return None


@local_rewrite(E.Sub, group="canonicalize")
def sub_self_to_zero(node):
    """x - x -> zeros_like(x)."""
    if node.inputs[0] is node.inputs[1]:
        return [zeros_like(node.inputs[0], dtype=node.outputs[0].dtype)]
    return None


@local_rewrite(E.Add, E.Mul, E.Sub, E.TrueDiv, group="canonicalize")
def neutral_element(node):
    """x + 0 -> x, x - 0 -> x, x * 1 -> x, x / 1 -> x (when the constant changes no shape)."""
    neutral = {E.Add: (0, 0), E.Mul: (1, 1), E.Sub: (None, 0), E.TrueDiv: (None, 1)}
    left, right = neutral.get(type(node.op), (None, None))
    x, y = node.inputs
    out = node.outputs[0]
    if right is not None and _is_const(y, right) and _broadcasts_into(y, x) and x.ndim == out.ndim:
        return [x]
    if left is not None and _is_const(x, left) and _broadcasts_into(x, y) and y.ndim == out.ndim:
        return [y]
    return None


@local_rewrite(E.Neg, group="canonicalize")
def double_negation(node):
    """-(-x) -> x."""
    if _op(node.inputs[0], E.Neg):
        return [node.inputs[0].owner.inputs[0]]
    return None


@local_rewrite(S.DimShuffle, group="canonicalize")
def merge_dimshuffles(node):
    """Two dimshuffles in a row -> one (x.T.T -> x)."""
    if not _op(node.inputs[0], S.DimShuffle):
        return None
    inner = node.inputs[0].owner
    pattern = tuple("x" if p == "x" else inner.op.pattern[p] for p in node.op.pattern)
    source = inner.inputs[0]
    dropped_inner = set(range(source.ndim)) - {p for p in inner.op.pattern if p != "x"}
    if dropped_inner:
        return None
    if pattern == tuple(range(source.ndim)):
        return [source]
    return [S.DimShuffle(pattern)(source)]


# Stabilize --------------------------------------------------------------------------------

@local_rewrite(E.Log1p, E.Log, group="stabilize")
def log1p_exp_to_softplus(node):
    """log(1 + exp(x)) and log1p(exp(x)) -> softplus(x), which never overflows."""
    if isinstance(node.op, E.Log1p) and _op(node.inputs[0], E.Exp):
        return [softplus(node.inputs[0].owner.inputs[0])]
    if isinstance(node.op, E.Log) and _op(node.inputs[0], E.Add):
        a, b = node.inputs[0].owner.inputs
        for one, e in ((a, b), (b, a)):
            if _is_const(one, 1) and one.ndim == 0 and _op(e, E.Exp):
                return [softplus(e.owner.inputs[0])]
    return None


@local_rewrite(E.Log, group="stabilize")
def log_sigmoid_to_softplus(node):
    """log(sigmoid(x)) -> -softplus(-x) and log(1 - sigmoid(x)) -> -softplus(x)."""
    arg = node.inputs[0]
    if _op(arg, E.Sigmoid):
        return [-softplus(-arg.owner.inputs[0])]
    if _op(arg, E.Sub):
        one, s = arg.owner.inputs
        if _is_const(one, 1) and one.ndim == 0 and _op(s, E.Sigmoid):
            return [-softplus(s.owner.inputs[0])]
    return None


@local_rewrite(E.Log, group="stabilize")
def log_softmax_rewrite(node):
    """log(softmax(x)) -> log_softmax(x), also through indexing: the stable crossentropy
    log(softmax(x)[arange(n), y]) -> log_softmax(x)[arange(n), y]."""
    arg = node.inputs[0]
    if _op(arg, nnet.Softmax):
        return [nnet.LogSoftmax()(arg.owner.inputs[0])]
    if _op(arg, ST.Subtensor) and _op(arg.owner.inputs[0], nnet.Softmax):
        sm_node = arg.owner.inputs[0].owner
        x, *values = arg.owner.inputs
        return [arg.owner.op(nnet.LogSoftmax()(sm_node.inputs[0]), *values)]
    return None


# Specialize -------------------------------------------------------------------------------

@local_rewrite(E.SumToShape, group="specialize")
def useless_sum_to_shape(node):
    """sum_to_shape(g, x) -> g when both have the same known shape."""
    if _same_static_shape(node.inputs[0], node.inputs[1]):
        return [node.inputs[0]]
    return None


@local_rewrite(E.BroadcastLike, group="specialize")
def useless_broadcast(node):
    """fill(x, v) -> v when v already has x's known shape."""
    if _same_static_shape(node.inputs[0], node.inputs[1]):
        return [node.inputs[0]]
    return None


@local_rewrite(R.Sum, group="specialize")
def sum_of_broadcast_scalar(node):
    """sum(fill(x, c)) over all axes with a scalar c -> c * size(x) (a common gradient pattern)."""
    if not node.op.keepdims and _op(node.inputs[0], E.BroadcastLike):
        value, like = node.inputs[0].owner.inputs
        if value.ndim == 0 and node.op.axis == tuple(range(like.ndim)):
            return [cast(value * R.ReducedSize(node.op.axis)(like), node.outputs[0].dtype)]
    return None


@local_rewrite(E.Pow, group="specialize")
def pow_specialize(node):
    """x ** 2 -> square(x), x ** 0.5 -> sqrt(x), x ** 1 -> x for a constant exponent that
    broadcasts into x (numpy's power is 3x slower than square: RMSprop's g ** 2)."""
    x, y = node.inputs
    if not isinstance(y, Constant) or y.data.size != 1 or not _broadcasts_into(y, x) \
            or node.outputs[0].dtype != x.dtype:
        return None
    exponent = y.data.item()
    if exponent == 2 or exponent == 0.5 and np.dtype(x.dtype).kind == "f":
        return [E.square(x) if exponent == 2 else E.sqrt(x)]
    return [x] if exponent == 1 else None


@local_rewrite(S.Shape, group="specialize")
def shape_of_shape_preserving(node):
    """shape(f(x)) -> shape(x) when f keeps the shape (softmax, unary elementwise ops), so f
    is not computed only to learn its shape."""
    arg = node.inputs[0]
    op = _op(arg, nnet.Softmax, nnet.LogSoftmax, E.Elemwise)
    if op is None or (isinstance(op, E.Elemwise) and len(arg.owner.inputs) != 1):
        return None
    return [S.Shape()(arg.owner.inputs[0])]


@local_rewrite(ST.Subtensor, group="specialize")
def shape_length_from_source(node):
    """v.shape[i] -> u.shape[j] for the one input u of v's op that sets that length, or a constant
    where the static shape knows it: dropout's mask takes the batch size from the images, not from
    the activations, so its Shape node does not keep the activations' chain from fusing."""
    shape = node.inputs[0]
    if node.op.spec != ("int",) or not _op(shape, S.Shape) or not isinstance(node.inputs[1], Constant):
        return None
    v, dtype = shape.owner.inputs[0], node.outputs[0].dtype
    i = int(node.inputs[1].data) % v.ndim
    if v.type.shape[i] is not None:
        return [constant(v.type.shape[i], dtype=dtype)]
    source = _length_source(v, i)
    return None if source is None else [ST.Subtensor(("int",))(S.Shape()(source[0]), constant(source[1], dtype=dtype))]


def _length_source(v, i):
    """(u, j): the input u of v's op whose length j is v's length i, or None where it is not one input's."""
    if v.owner is None:
        return None
    op, inputs = v.owner.op, v.owner.inputs
    if isinstance(op, E.Elemwise):  # an input whose length there is a static 1 only broadcasts
        setting = [(u, j) for u in inputs for j in [i - v.ndim + u.ndim] if j >= 0 and u.type.shape[j] != 1]
        return setting[0] if len(setting) == 1 else None
    if isinstance(op, (nnet.Softmax, nnet.LogSoftmax)):
        return inputs[0], i
    if isinstance(op, L.Dot):
        x, y = inputs
        return (x, 0) if x.ndim == 2 and i == 0 else (y, 1) if y.ndim == 2 else None
    if isinstance(op, S.Flatten) and i < op.outdim - 1:
        return inputs[0], i
    if isinstance(op, S.DimShuffle) and op.pattern[i] != "x":
        return inputs[0], op.pattern[i]
    return None


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

