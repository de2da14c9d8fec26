"""Fast thunks for elementwise ops: the bare array-module ufunc when it already gives the
declared dtype, and a variant that writes its result into an input's memory; relu at numpy's
vector speed; and the sums over all axes but one (a bias's gradient, batch norm's channel
means) as one matrix product."""
import functools

import numpy as np


def elemwise_thunk(op, node, xp):
    """The fastest callable for ``node``: the ufunc itself if it gives the declared dtype, else
    a wrapper that casts."""
    fn = getattr(xp, op.ufunc) if op.ufunc else functools.partial(op.impl, xp)
    if _gives_declared_dtype(op, node):
        return fn
    dtype = np.dtype(node.outputs[0].dtype)

    def thunk(*args):
        out = fn(*args)
        return out if out.dtype == dtype else out.astype(dtype)

    return thunk


def into_thunk(op, node, xp):
    """``f(*args, out=array)`` writing the node's result into ``out``, or None where the op cannot:
    its ufunc when that gives the declared dtype, else the op's own ``impl_into`` (relu, relu's
    gradient). It raises TypeError or ValueError when the result does not fit."""
    if op.ufunc:
        return getattr(xp, op.ufunc) if _gives_declared_dtype(op, node) else None
    impl_into = getattr(op, "impl_into", None)
    return None if impl_into is None else functools.partial(impl_into, xp)


def inplace_thunk(op, node, xp, i):
    """A thunk writing the result into input ``i`` when shapes allow, or None if the op can't."""
    into = into_thunk(op, node, xp) if node.inputs[i].dtype == node.outputs[0].dtype else None
    if into is None:
        return None
    compute = elemwise_thunk(op, node, xp)

    def thunk(*args):
        try:
            return into(*args, out=args[i])
        except (TypeError, ValueError):  # a scalar, or the result is larger than that input
            return compute(*args)

    return thunk


def out_thunk(op, node, xp):
    """A thunk ``t(*args, out=storage)`` computing into ``storage`` when the result has its shape
    (it falls back to a new array when it hasn't), or None if the op cannot write into an array."""
    into = into_thunk(op, node, xp)
    if into is None:
        return None
    compute = elemwise_thunk(op, node, xp)

    def thunk(*args, out):
        # An argument of out's shape makes the result at least that large; numpy refuses larger.
        if any(a.shape == out.shape for a in args):
            try:
                return into(*args, out=out)
            except (TypeError, ValueError):
                pass
        return compute(*args)

    return thunk


def relu(xp, a, out=None):
    """max(a, 0). On numpy, floats are compared with a row of zeros: numpy 2.4's maximum against
    a scalar misses its vector loop (921,600 float32: 0.48 ms against 0.12 ms)."""
    if xp is np and a.ndim and a.dtype.kind == "f" and a.shape[-1] >= 16:
        return np.maximum(a, _zeros(a.shape[-1], a.dtype), out=out)
    return xp.maximum(a, 0, out=out)


@functools.lru_cache(maxsize=64)
def _zeros(n, dtype):
    zeros = np.zeros(n, dtype=dtype)
    zeros.flags.writeable = False
    return zeros


def _gives_declared_dtype(op, node):
    """Whether ``op.impl`` returns the node's output dtype, probed once on tiny arrays."""
    try:
        probe = op.impl(np, *[np.ones((1,) * v.ndim, dtype=v.dtype) for v in node.inputs])
    except Exception:
        return False
    return np.asarray(probe).dtype == np.dtype(node.outputs[0].dtype)


# Smaller sums are left to numpy, whose time they do not matter to.
SUM_MIN_SIZE = 1 << 15


def sum_keeping_axis(xp, x, axes):
    """``x`` (floats) summed over ``axes``, all its axes but one, as a matrix-vector product
    (10x faster than numpy's reduction over the strided axes of channels-last maps), or None
    where moving the kept axis last does not leave ``x`` C-contiguous."""
    kept = [a for a in range(x.ndim) if a not in axes]
    if len(kept) != 1 or x.dtype.kind != "f" or x.size < SUM_MIN_SIZE:
        return None
    moved = xp.moveaxis(x, kept[0], -1)
    if not moved.flags.c_contiguous:
        return None
    rows = moved.reshape(-1, moved.shape[-1])
    return xp.ones(rows.shape[0], dtype=rows.dtype) @ rows
