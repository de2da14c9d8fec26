"""2-D pooling over the last two axes and its gradients, as a few whole-array operations.

Windows are visited by offset: for each of the ws[0] * ws[1] positions inside a window, one
strided slice of the (padded) input holds that position for every window at once. Max
pooling pads with the dtype's lowest value, so padding never wins, and sends each window's
gradient to its first maximum in row-major order. Average pooling divides by the window's
size counted with ('average_inc_pad') or without ('average_exc_pad') the padding.
Channels-last memory (what the convolution kernels return) is kept: results are views in
the input's layout. On numpy the batch is cut into one part per core, run in threads.
Where windows tile the maps (stride = window, no padding), the max-pooling gradient is one
compiled loop (``TILED_MAX_GRAD``) when there is a compiler: the same values, 1.6x faster.
"""
import ctypes

import numpy as np

from . import compiler, parallel
from ..config import config
from ..shapes import pool_output_length

# Each window's gradient to its first maximum (row-major), zero elsewhere, as hit * gy (NaN * 0
# stays NaN, as in numpy); maps (n, rows, cols, c) C-contiguous, windows wr x wc tiling them.
TILED_MAX_GRAD = r"""
#include <cstring>
template <typename T>
static void grad(long n, long rows, long cols, long c, long orows, long ocols, long wr, long wc,
                 const T* __restrict__ x, const T* __restrict__ y, const T* __restrict__ gy, T* __restrict__ out) {
  T taken[64];
  for (long b = 0; b < n; ++b) {
    for (long i = orows * wr; i < rows; ++i)
      memset(out + (b * rows + i) * cols * c, 0, cols * c * sizeof(T));
    for (long i = 0; i < orows * wr && ocols * wc < cols; ++i)
      memset(out + ((b * rows + i) * cols + ocols * wc) * c, 0, (cols - ocols * wc) * c * sizeof(T));
    for (long i = 0; i < orows; ++i)
      for (long j = 0; j < ocols; ++j) {
        const T* __restrict__ yy = y + ((b * orows + i) * ocols + j) * c;
        const T* __restrict__ gg = gy + ((b * orows + i) * ocols + j) * c;
        for (long c0 = 0; c0 < c; c0 += 64) {
          const long m = c - c0 < 64 ? c - c0 : 64;
          for (long k = 0; k < m; ++k) taken[k] = 0;
          for (long di = 0; di < wr; ++di)
            for (long dj = 0; dj < wc; ++dj) {
              const long at = ((b * rows + i * wr + di) * cols + j * wc + dj) * c + c0;
              const T* __restrict__ xx = x + at;
              T* __restrict__ oo = out + at;
              for (long k = 0; k < m; ++k) {
                const T hit = (T)(xx[k] == yy[c0 + k]) * ((T)1 - taken[k]);
                oo[k] = hit * gg[c0 + k];
                taken[k] += hit;
              }
            }
        }
      }
  }
}
extern "C" void grad_float32(long n, long rows, long cols, long c, long orows, long ocols, long wr, long wc,
                             const float* x, const float* y, const float* gy, float* out) {
  grad<float>(n, rows, cols, c, orows, ocols, wr, wc, x, y, gy, out);
}
extern "C" void grad_float64(long n, long rows, long cols, long c, long orows, long ocols, long wr, long wc,
                             const double* x, const double* y, const double* gy, double* out) {
  grad<double>(n, rows, cols, c, orows, ocols, wr, wc, x, y, gy, out);
}
"""

MODES = ("max", "average_inc_pad", "average_exc_pad")


def _is_channels_last(x):
    """True for a 4-d array whose memory is channels-last (what the convolutions return)."""
    return x.ndim == 4 and not x.flags.c_contiguous and x.transpose(0, 2, 3, 1).flags.c_contiguous


def _view(x, channels_last):
    """``x`` as (B, rows, cols, C): a transposed view of channels-last memory, else
    (everything but the last two axes, rows, cols, 1)."""
    if channels_last:
        return x.transpose(0, 2, 3, 1)
    return x.reshape((-1,) + tuple(x.shape[-2:]) + (1,))


def _unview(a, like, channels_last):
    """A (B, rows', cols', C) result mapped back to the axes of ``like``."""
    if channels_last:
        return a.transpose(0, 3, 1, 2)
    return a.reshape(tuple(like.shape[:-2]) + tuple(a.shape[1:3]))


class _Windows:
    """The geometry of one pooling: padding, output size, and the slices of each window offset."""

    def __init__(self, rows, cols, ws, stride, pad, ignore_border):
        self.ws, self.stride, self.pad = tuple(ws), tuple(stride), tuple(pad)
        self.out = tuple(pool_output_length(n, w, s, p, ignore_border)
                         for n, w, s, p in zip((rows, cols), ws, stride, pad))
        # padded extent that every window fits in (ignore_border=False adds partial windows)
        self.extent = tuple(max(n + 2 * p, (o - 1) * s + w) if o else n + 2 * p
                            for n, w, s, p, o in zip((rows, cols), ws, stride, pad, self.out))
        self.size = (rows, cols)
        if min(self.out) <= 0:
            raise ValueError(f"pool2d: input of {rows}x{cols} is smaller than the window ws={self.ws} "
                             f"(pad={self.pad})")

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


def _lowest(dtype):
    dtype = np.dtype(dtype)
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _in_parts(xp, a, part):
    """Run ``part(start, stop)`` over the batch of ``a``, one part per core on numpy (for big ``a``)."""
    parts = parallel.split(a.shape[0], parallel.workers(xp, 4 * a.size))
    parallel.run([lambda b=b, e=e: part(b, e) for b, e in parts])


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


def _setup(x, ws, stride, pad, ignore_border):
    nhwc = _is_channels_last(x)
    a = _view(x, nhwc)
    return nhwc, a, _Windows(a.shape[1], a.shape[2], ws, stride, pad, ignore_border)


def pool2d(xp, x, ws, stride, pad, ignore_border, mode):
    """Max or average pooling of the last two axes of ``x`` (at least 2 dims)."""
    if mode not in MODES:
        raise ValueError(f"pool2d: mode must be one of {MODES}, got {mode!r}")
    nhwc, a, geo = _setup(x, ws, stride, pad, ignore_border)
    out = xp.empty((a.shape[0],) + geo.out + (a.shape[3],), dtype=x.dtype)
    div = None if mode == "max" else geo.divisor(xp, mode, x.dtype)

    def part(b, e):
        fill = _lowest(a.dtype) if mode == "max" else 0
        padded, o = geo.padded(xp, a[b:e], fill), out[b:e]
        # a running maximum (or sum) over the window offsets; measured faster than reshaping the
        # input into windows and reducing two axes (2.6x for 2x2 windows on channels-last maps)
        for k, index in enumerate(geo.offsets()):
            if k == 0:
                o[...] = padded[index]
            elif mode == "max":
                xp.maximum(o, padded[index], out=o)
            else:
                xp.add(o, padded[index], out=o)
        if div is not None:
            xp.divide(o, div, out=o)

    _in_parts(xp, a, part)
    return _unview(out, x, nhwc)


def max_pool2d_grad(xp, x, y, gy, ws, stride, pad, ignore_border, then=None):
    """The gradient of max pooling w.r.t. ``x``: each window's ``gy`` goes to its first maximum.
    A channels-last gradient is finished part by part by the ``Epilogue`` ``then`` (when given)."""
    nhwc, a, geo = _setup(x, ws, stride, pad, ignore_border)
    yv, gv = _view(y, nhwc), _view(gy, nhwc)
    if nhwc:  # the gradient of a flattened layer comes channels-first: one small copy, fast loops after
        yv, gv = xp.ascontiguousarray(yv), xp.ascontiguousarray(gv)
    tiled = geo.stride == geo.ws  # every position in at most one window: plain writes
    out = xp.empty((a.shape[0],) + geo.extent + (a.shape[3],), dtype=gy.dtype)
    uncropped = geo.pad == (0, 0) and geo.extent == geo.size
    finish = then.channels_last(xp, x.shape) if then is not None and nhwc and uncropped else None

    compiled = _tiled_max_grad(xp, a, yv, gv, geo) if tiled and uncropped else None

    def part(b, e):
        if compiled is not None:
            compiled(b, e, out)
            if finish is not None:
                finish(out[b:e], b, e)
            return
        padded, o, g = geo.padded(xp, a[b:e], _lowest(a.dtype)), out[b:e], gv[b:e]
        if tiled:
            (orows, ocols), (sr, sc) = geo.out, geo.stride
            o[:, orows * sr:] = 0
            o[:, :, ocols * sc:] = 0
        else:
            o[...] = 0
        for index, hit in _first_max_masks(xp, geo, padded, yv[b:e]):
            if tiled:
                xp.multiply(hit, g, out=o[index])
            else:
                o[index] += hit * g
        if finish is not None:
            finish(o, b, e)

    _in_parts(xp, a, part)
    return _unview(geo.cropped(out), x, nhwc)


def _tiled_max_grad(xp, a, yv, gv, geo):
    """``run(b, e, out)`` writing images b..e-1 of the gradient with the compiled loop, or None
    (not numpy, no compiler, another dtype or layout)."""
    dtype = a.dtype
    if (xp is not np or not config.cxx or dtype.name not in ("float32", "float64")
            or not (yv.dtype == gv.dtype == dtype) or not all(v.flags.c_contiguous for v in (a, yv, gv))):
        return None
    library = compiler.build(TILED_MAX_GRAD).library()
    if library is None:
        return None
    function = getattr(library, f"grad_{dtype.name}")
    _, rows, cols, c = a.shape
    (orows, ocols), (wr, wc) = geo.out, geo.ws

    def run(b, e, out):
        at = [v[b:e].__array_interface__["data"][0] for v in (a, yv, gv, out)]
        function(*[ctypes.c_long(v) for v in (e - b, rows, cols, c, orows, ocols, wr, wc)],
                 *[ctypes.c_void_p(p) for p in at])

    return run


def max_pool2d_grad_grad(xp, x, y, gg, ws, stride, pad, ignore_border):
    """Per window, the value of ``gg`` (shaped like ``x``) at the window's first maximum."""
    nhwc, a, geo = _setup(x, ws, stride, pad, ignore_border)
    yv, gv = _view(y, nhwc), _view(gg, nhwc)
    out = xp.zeros(yv.shape, dtype=gg.dtype)

    def part(b, e):
        padded, g = geo.padded(xp, a[b:e], _lowest(a.dtype)), geo.padded(xp, gv[b:e], 0)
        for index, hit in _first_max_masks(xp, geo, padded, yv[b:e]):
            xp.copyto(out[b:e], g[index], where=hit)

    _in_parts(xp, a, part)
    return _unview(out, y, nhwc)


def average_pool2d_grad(xp, x, gy, ws, stride, pad, ignore_border, mode):
    """The gradient of average pooling w.r.t. ``x``: each window's ``gy`` shared over the window."""
    if mode not in MODES[1:]:
        raise ValueError(f"average_pool2d_grad: mode must be one of {MODES[1:]}, got {mode!r}")
    nhwc, a, geo = _setup(x, ws, stride, pad, ignore_border)
    gv = _view(gy, nhwc)
    div = geo.divisor(xp, mode, gy.dtype)
    out = xp.zeros((a.shape[0],) + geo.extent + (a.shape[3],), dtype=gy.dtype)

    def part(b, e):
        share, o = gv[b:e] / div, out[b:e]
        for index in geo.offsets():
            o[index] += share

    _in_parts(xp, a, part)
    return _unview(geo.cropped(out), x, nhwc)
