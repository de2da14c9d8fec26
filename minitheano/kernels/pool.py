"""Pooling kernels behind the pool ops (``xp`` is numpy or cupy), over the last two axes.

Windows are visited by offset: for each of the ws[0] * ws[1] positions inside a window,
one strided slice of the (padded) input holds that position for every window at once,
so the work is a few whole-array operations instead of a loop over pixels. Channels-last
memory (what ``conv2d`` produces) is kept as it is; results are views in the input's layout.
"""
import numpy as np

from ..shapes import pool_output_length


def pool2d(xp, x, ws, stride, pad, ignore_border, mode):
    """Max ('max') or average ('average_inc_pad', 'average_exc_pad') pooling of ``x``."""
    nhwc = _is_channels_last(x)
    a, geo = _view(x, nhwc), _Windows(ws, stride, pad, ignore_border, x.shape[-2], x.shape[-1])
    if min(geo.out) <= 0:
        raise ValueError(f"pool_2d: input of shape {tuple(x.shape)} is smaller than ws={ws}")
    if mode == "max":
        # A running maximum over the window offsets; measured faster than reshaping the input into
        # windows and reducing two axes (2.6x for 2x2 windows on channels-last maps, 18x otherwise).
        padded = geo.padded(xp, a, _lowest(a.dtype))
        out = None
        for index in geo.offsets():
            out = padded[index].copy() if out is None else xp.maximum(out, padded[index], out=out)
        return _unview(out, x, nhwc)
    padded = geo.padded(xp, a, 0)
    total = None
    for index in geo.offsets():
        total = padded[index].copy() if total is None else xp.add(total, padded[index], out=total)
    return _unview(total / geo.divisor(xp, mode, x.dtype), x, nhwc)


def max_pool2d_grad(xp, x, y, gy, ws, stride, pad, ignore_border):
    """The gradient of max pooling: each window's ``gy`` goes to its first maximum in ``x``."""
    nhwc = _is_channels_last(x)
    geo = _Windows(ws, stride, pad, ignore_border, x.shape[-2], x.shape[-1])
    a, y, gy = _view(x, nhwc), _view(y, nhwc), _view(gy, nhwc)
    padded = geo.padded(xp, a, _lowest(a.dtype))
    tiled = geo.stride == geo.ws  # every position in at most one window: plain writes
    out = xp.empty(padded.shape, dtype=gy.dtype) if tiled else xp.zeros(padded.shape, dtype=gy.dtype)
    if tiled:
        (orows, ocols), (sr, sc) = geo.out, geo.stride
        out[:, orows * sr:] = 0
        out[:, :, ocols * sc:] = 0
    for index, hit in _first_max_masks(xp, geo, padded, y):
        if tiled:
            xp.multiply(hit, gy, out=out[index])
        else:
            out[index] += hit * gy
    return _unview(geo.cropped(out), x, nhwc)


def max_pool2d_grad_grad(xp, x, y, gg, ws, stride, pad, ignore_border):
    """Per window, the value of ``gg`` (shaped like ``x``) at the window's first maximum."""
    nhwc = _is_channels_last(x)
    geo = _Windows(ws, stride, pad, ignore_border, x.shape[-2], x.shape[-1])
    a, yv, gg = _view(x, nhwc), _view(y, nhwc), _view(gg, nhwc)
    padded = geo.padded(xp, a, _lowest(a.dtype))
    gg = geo.padded(xp, gg, 0)
    out = xp.zeros(yv.shape, dtype=gg.dtype)
    for index, hit in _first_max_masks(xp, geo, padded, yv):
        xp.copyto(out, gg[index], where=hit)
    return _unview(out, y, nhwc)


def average_pool2d_grad(xp, x, gy, ws, stride, pad, ignore_border, mode):
    """The gradient of average pooling: each window's ``gy`` shared over the window."""
    nhwc = _is_channels_last(x)
    geo = _Windows(ws, stride, pad, ignore_border, x.shape[-2], x.shape[-1])
    a, gy = _view(x, nhwc), _view(gy, nhwc)
    share = gy / geo.divisor(xp, mode, gy.dtype)
    out = xp.zeros((a.shape[0],) + geo.extent + (a.shape[3],), dtype=gy.dtype)
    for index in geo.offsets():
        out[index] += share
    return _unview(geo.cropped(out), x, nhwc)


# Layout and window geometry -------------------------------------------------------------------

def _is_channels_last(x):
    """True for a 4-d array whose memory is channels-last (what ``conv2d`` returns)."""
    return x.ndim == 4 and not x.flags.c_contiguous and x.transpose(0, 2, 3, 1).flags.c_contiguous


def _view(x, channels_last):
    """``x`` as a 4-d (B, rows, cols, C) array: a transposed view of channels-last memory, else
    (everything but the last two axes, rows, cols, 1)."""
    if channels_last:
        return x.transpose(0, 2, 3, 1)
    return x.reshape((-1,) + tuple(x.shape[-2:]) + (1,))


def _unview(a, like, channels_last):
    """A (B, rows', cols', C) result mapped back to the axes of ``like``."""
    if channels_last:
        return a.transpose(0, 3, 1, 2)
    return a.reshape(tuple(like.shape[:-2]) + tuple(a.shape[1:3]))


def _lowest(dtype):
    dtype = np.dtype(dtype)
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


class _Windows:
    """The geometry of one pooling: padding, output size, and the slices of each window offset."""

    def __init__(self, ws, stride, pad, ignore_border, rows, cols):
        self.ws, self.stride, self.pad = ws, stride, pad
        self.out = tuple(pool_output_length(n, w, s, p, ignore_border)
                         for n, w, s, p in zip((rows, cols), ws, stride, pad))
        # padded extent that every window fits in (ignore_border=False adds partial windows)
        self.extent = tuple(max(n + 2 * p, (o - 1) * s + w) if o else n + 2 * p
                            for n, w, s, p, o in zip((rows, cols), ws, stride, pad, self.out))
        self.size = (rows, cols)

    def padded(self, xp, a, fill):
        """``a`` (B, rows, cols, C) framed by ``fill`` up to the padded extent."""
        (pr, pc), (er, ec) = self.pad, self.extent
        if (pr, pc) == (0, 0) and (er, ec) == a.shape[1:3]:
            return a
        out = xp.full((a.shape[0], er, ec, a.shape[3]), fill, dtype=a.dtype)
        out[:, pr:pr + a.shape[1], pc:pc + a.shape[2]] = a
        return out

    def cropped(self, a):
        (pr, pc), (rows, cols) = self.pad, self.size
        return a[:, pr:pr + rows, pc:pc + cols]

    def offsets(self):
        """For every position in a window (row-major), the index that selects that position of
        every window at once from the padded array."""
        (orows, ocols), (sr, sc) = self.out, self.stride
        for i in range(self.ws[0]):
            for j in range(self.ws[1]):
                yield (slice(None), slice(i, i + (orows - 1) * sr + 1, sr), slice(j, j + (ocols - 1) * sc + 1, sc))

    def divisor(self, xp, mode, dtype):
        """(out_rows, out_cols, 1) window sizes for average pooling."""
        counts = []
        for n, w, s, p, o in zip(self.size, self.ws, self.stride, self.pad, self.out):
            start = np.arange(o) * s
            lo, hi = (p, p + n) if mode == "average_exc_pad" else (0, n + 2 * p)
            counts.append(np.minimum(start + w, hi) - np.maximum(start, lo))
        div = np.maximum(np.outer(counts[0], counts[1]), 1)[:, :, None]
        return xp.asarray(div.astype(dtype))


def _first_max_masks(xp, geo, padded, y):
    """For each window offset: (index, mask of the windows whose first maximum is at that offset).

    The mask is one buffer overwritten at each step: use it before taking the next one.
    """
    offsets = list(geo.offsets())
    hit = xp.empty(y.shape, dtype=bool)
    taken = xp.empty(y.shape, dtype=bool) if len(offsets) > 1 else None
    for k, index in enumerate(offsets):
        xp.equal(padded[index], y, out=hit)
        if k == 0:
            if taken is not None:
                taken[...] = hit
        else:
            xp.greater(hit, taken, out=hit)  # hit and not taken
            if k < len(offsets) - 1:
                xp.logical_or(taken, hit, out=taken)
        yield index, hit
