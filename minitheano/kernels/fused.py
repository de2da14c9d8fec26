"""Evaluating a composite of elementwise ops in one call, writing each step into a temporary
that no later step needs (numpy's ``out=``) instead of allocating one array per step.

numexpr was measured for this and left out: on this 2-core machine it ran the RMSprop update
arithmetic (784x500 float32) 2.5-3x slower than numpy with ``out=`` buffers, one or two threads.
Blocks of rows give the cache-sized temporaries it offered.
On cupy a chain becomes one generated ElementwiseKernel (``kernels.cuda``); where an op has no
C++ form there, or on the strict backend (no kernels), the same plan runs the module's ufuncs.
"""
import math

import numpy as np

from .cuda import elementwise_kernel
from .elemwise import elemwise_thunk, into_thunk
from .native import host_kernel

# A big result is computed in blocks of rows of about this many elements, so that a block's
# temporaries stay in the core's cache from one step of the chain to the next (1.2x faster for
# the RMSprop update of a 784x500 matrix). Sharing the blocks out over two threads was slower:
# the threads' many short ufunc calls queue for the GIL.
BLOCK = 1 << 16


def composite_thunk(nodes, inputs, xp):
    """``thunk(*args, out=None)`` computing the chain ``nodes`` from ``inputs``' values, the last
    step into ``out`` when given and of the result's shape (a new array otherwise); on numpy a
    big result block by block; on cupy one generated kernel."""
    if hasattr(xp, "ElementwiseKernel"):
        kernel = elementwise_kernel(nodes, inputs, xp)
        if kernel is not None:
            return kernel
    chain = _chain_thunk(nodes, inputs, xp)
    if xp is not np:
        return chain
    dtype = np.dtype(nodes[-1].outputs[0].dtype)
    native = host_kernel(nodes, inputs)

    def thunk(*args, out=None):
        if native is not None:
            result = native(*args, out=out)
            if result is not NotImplemented:
                return result
        shape = np.broadcast_shapes(*(a.shape for a in args))
        size = math.prod(shape)
        if size < 2 * BLOCK or shape[0] < 2 or (out is not None and out.shape != shape):
            return chain(*args, out=out)
        rows = channels_last_rows(np, args, shape) if len(shape) == 4 else None
        if rows is not None and (out is None or _is_channels_last(out)):
            n, c, h, w = shape
            if out is None:
                out = np.empty((n, h, w, c), dtype=dtype).transpose(0, 3, 1, 2)
            _in_blocks(chain, rows, out.transpose(0, 2, 3, 1).reshape(n * h, w * c))
            return out
        if out is None:
            out = np.empty(shape, dtype=dtype)
        _in_blocks(chain, args, out)
        return out

    return thunk


def _in_blocks(chain, args, out):
    """``out[...] = chain(*args)``, BLOCK elements (whole rows) at a time."""
    rows = max(1, BLOCK * out.shape[0] // out.size)
    by_row = [a.ndim == out.ndim and a.shape[0] == out.shape[0] for a in args]
    for b in range(0, out.shape[0], rows):
        block = out[b:b + rows]
        result = chain(*[a[b:b + rows] if cut else a for a, cut in zip(args, by_row)], out=block)
        if result is not block:
            block[...] = result


def _is_channels_last(a):
    return a.transpose(0, 2, 3, 1).flags.c_contiguous


def channels_last_rows(xp, args, shape):
    """The operands of a (N, C, H, W) result as rows of its channels-last memory, (N * H, W * C):
    the maps as views, a per-channel operand (a bias, batch norm's mean) as its values tiled
    along one row, so that numpy loops over rows of W * C values rather than C at a time.
    None unless every operand is a channels-last map of the result's shape, per channel, or one value."""
    n, c, h, w = shape
    rows = []
    for a in args:
        if a.shape == tuple(shape) and a.strides[0] == a.strides[2] == a.strides[3] == 0:
            a = a[:1, :, :1, :1]  # a broadcast view of per-channel values (broadcast_like)
        if a.shape == tuple(shape):
            if not _is_channels_last(a):
                return None
            rows.append(a.transpose(0, 2, 3, 1).reshape(n * h, w * c))
        elif a.size == 1:
            rows.append(a.reshape(()))
        else:
            a4 = a.reshape((1,) * (4 - a.ndim) + tuple(a.shape))
            if a4.shape != (1, c, 1, 1):
                return None
            rows.append(xp.ascontiguousarray(xp.broadcast_to(a4.reshape(1, c), (w, c))).reshape(w * c))
    return rows


def _chain_thunk(nodes, inputs, xp):
    """The chain ``nodes`` as one call over whole arrays, reusing its temporaries."""
    index = {v: k for k, v in enumerate(inputs)}
    uses = {}
    for node in nodes:
        for v in node.inputs:
            uses[v] = uses.get(v, 0) + 1
    plan = []
    for node in nodes:
        out = node.outputs[0]
        refs = [index[v] for v in node.inputs]
        into = into_thunk(node.op, node, xp)
        reuse = None
        if into is not None:
            reuse = next((r for r, v in zip(refs, node.inputs)
                          if r >= len(inputs) and uses[v] == 1 and v.dtype == out.dtype), None)
        index[out] = len(index)
        plan.append((elemwise_thunk(node.op, node, xp), into, refs, reuse))
    *steps, (last_fn, last_into, last_refs, last_reuse) = plan

    def thunk(*args, out=None):
        values = list(args)
        for fn, into, refs, reuse in steps:
            values.append(_step(fn, into, [values[r] for r in refs], values[reuse] if reuse is not None else None))
        operands = [values[r] for r in last_refs]
        if out is not None and last_into is not None and any(a.shape == out.shape for a in operands):
            return _step(last_fn, last_into, operands, out)
        return _step(last_fn, last_into, operands, values[last_reuse] if last_reuse is not None else None)

    return thunk


def _step(fn, into, operands, target):
    """One step, written into the array ``target`` when it is given and the result fits."""
    if target is not None:
        try:
            return into(*operands, out=target)
        except (TypeError, ValueError):  # the result is larger than ``target`` (it broadcast)
            pass
    return fn(*operands)
