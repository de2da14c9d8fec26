"""Correlation kernels behind the conv2d ops (``xp`` is numpy or cupy).

One idea does all the work: pad the images, copy each filter-sized patch into one row of
a matrix (im2col, with stride tricks), and make one matrix product with the filters. On
the CPU the batch is cut into chunks of a few images, so the patch matrix (nine times the
images for 3x3 filters) is still in the cache when the product reads it. Arrays are laid
out channels-last (NHWC) inside: patches are then contiguous runs of memory, and the
product's result is already the next layer's input. Results are channels-first *views* of
that memory, so callers see NCHW while the next convolution keeps the fast layout.
"""
import threading

import numpy as np

_scratch = threading.local()
# 16 MB measured best on a 2-core machine, with one BLAS thread (against 1-64 MB) and with two
# (larger products synchronise the BLAS threads less often).
_CHUNK_BYTES = 16 << 20


def correlate2d(xp, x, w, pad, stride):
    """Cross-correlation of images ``x`` (N, C, H, W) with kernels ``w`` (K, C, kh, kw), zero
    padded by ``pad`` = (rows, cols) on each side and moved by ``stride``: (N, K, Ho, Wo)."""
    return _nchw(_correlate(xp, _pad(xp, _nhwc(xp, x), *pad), w, stride))


def correlate2d_grad_input(xp, gy, w, x_shape, pad, stride):
    """The gradient of ``correlate2d`` w.r.t. ``x``: ``gy`` spread out by the stride and
    correlated with the kernels rotated by 180 degrees."""
    f, c, kr, kc = w.shape
    rows, cols = x_shape[2], x_shape[3]
    (pr, pc), (sr, sc) = pad, stride
    g = _nhwc(xp, gy)
    n, gr, gc, _ = g.shape
    # framed so that a valid correlation with the rotated kernel gives exactly x's rows and columns
    lo_r, lo_c = kr - 1 - pr, kc - 1 - pc
    full_r, full_c = rows + kr - 1, cols + kc - 1
    if (lo_r, lo_c, sr, sc) == (0, 0, 1, 1) and (gr, gc) == (full_r, full_c):
        framed = g
    else:
        r0, r1 = _inside(lo_r, sr, gr, full_r)
        c0, c1 = _inside(lo_c, sc, gc, full_c)
        rows_at = slice(lo_r + r0 * sr, lo_r + (r1 - 1) * sr + 1, sr)
        cols_at = slice(lo_c + c0 * sc, lo_c + (c1 - 1) * sc + 1, sc)
        if (sr, sc) == (1, 1) and r1 > r0 and c1 > c0:  # zero only the frame
            framed = xp.empty((n, full_r, full_c, f), dtype=g.dtype)
            framed[:, :rows_at.start] = 0
            framed[:, rows_at.stop:] = 0
            framed[:, rows_at, :cols_at.start] = 0
            framed[:, rows_at, cols_at.stop:] = 0
        else:
            framed = xp.zeros((n, full_r, full_c, f), dtype=g.dtype)
        if r1 > r0 and c1 > c0:
            framed[:, rows_at, cols_at] = g[:, r0:r1, c0:c1]
    return _nchw(_correlate(xp, framed, w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3), (1, 1)))


def correlate2d_grad_weights(xp, x, gy, w_shape, pad, stride):
    """The gradient of ``correlate2d`` w.r.t. ``w``: patches of ``x`` times ``gy``, one product."""
    kr, kc = w_shape[2], w_shape[3]
    a = _pad(xp, _nhwc(xp, x), *pad)
    g = _nhwc(xp, gy)
    n, f, c = x.shape[0], g.shape[3], x.shape[1]
    rows, cols = (a.shape[1] - kr) // stride[0] + 1, (a.shape[2] - kc) // stride[1] + 1
    if g.shape[:3] != (n, rows, cols):
        raise ValueError(f"conv2d_grad_weights: the output gradient has shape {tuple(gy.shape)}, but the "
                         f"convolution of an input of shape {tuple(x.shape)} gives {rows}x{cols} maps")
    gk = xp.zeros((kr * kc * c, f), dtype=g.dtype)
    for b, e, patches in _chunks(xp, a, kr, kc, *stride):
        gk += xp.matmul(patches.T, g[b:e].reshape(patches.shape[0], f))  # (kr * kc * C, F)
    return gk.reshape(kr, kc, c, f).transpose(3, 2, 0, 1)


# Layout, padding and patches ------------------------------------------------------------------

def _nhwc(xp, x):
    """The channels-last view of a channels-first array, made contiguous only if it isn't already."""
    t = x.transpose(0, 2, 3, 1)
    return t if t.flags.c_contiguous else xp.ascontiguousarray(t)


def _nchw(a):
    """The channels-first view of a channels-last array (no copy)."""
    return a.transpose(0, 3, 1, 2)


def _pad(xp, a, pad_rows, pad_cols):
    """``a`` (NHWC) with zero rows and columns around it."""
    if pad_rows == 0 and pad_cols == 0:
        return a
    n, h, w, c = a.shape
    out = xp.zeros((n, h + 2 * pad_rows, w + 2 * pad_cols, c), dtype=a.dtype)
    out[:, pad_rows:pad_rows + h, pad_cols:pad_cols + w] = a
    return out


def _inside(lo, stride, n, length):
    """The range [i0, i1) of the indices i < n whose position lo + i * stride lies in [0, length)."""
    i0 = max(0, (stride - 1 - lo) // stride)
    i1 = min(n, (length - 1 - lo) // stride + 1)
    return i0, max(i0, i1)


def _workspace(xp, shape, dtype):
    """A per-thread buffer reused for the patch matrices (so they aren't allocated per call)."""
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    buffers = _scratch.__dict__.setdefault("buffers", {})
    buf = buffers.get(xp.__name__)
    if buf is None or buf.nbytes < nbytes:
        buf = buffers[xp.__name__] = xp.empty(max(nbytes, 1), dtype=np.uint8)
    return buf[:nbytes].view(dtype).reshape(shape)


def _chunks(xp, a, kr, kc, sr, sc):
    """Yield (first image, last image + 1, their patch matrix) over the batch ``a`` (NHWC).

    A patch matrix has one row per output pixel and kr * kc * C columns, (i, j, channel)
    ordered. It is copied pixel by pixel (runs of kc * C values) or, when output rows are
    the longer runs (few channels, as in a first layer), filter offset by filter offset and
    returned transposed. It lives in the workspace: use it before asking for the next one.
    """
    n, h, w, c = a.shape
    rows, cols = (h - kr) // sr + 1, (w - kc) // sc + 1
    row_bytes = rows * cols * kr * kc * c * a.dtype.itemsize
    step = n if xp.__name__ != "numpy" else max(1, min(n, _CHUNK_BYTES // max(row_bytes, 1)))
    by_offset = cols > kc * c
    s0, s1, s2, s3 = a.strides
    for b in range(0, n, step):
        e = min(n, b + step)
        if by_offset:
            shape, strides = (kr, kc, c, e - b, rows, cols), (s1, s2, s3, s0, s1 * sr, s2 * sc)
        else:
            shape, strides = (e - b, rows, cols, kr, kc, c), (s0, s1 * sr, s2 * sc, s1, s2, s3)
        out = _workspace(xp, shape, a.dtype)
        out[...] = xp.lib.stride_tricks.as_strided(a[b:e], shape, strides)
        m = (e - b) * rows * cols
        yield b, e, out.reshape(kr * kc * c, m).T if by_offset else out.reshape(m, kr * kc * c)


def _correlate(xp, a, kernel, stride):
    """Valid cross-correlation of ``a`` (NHWC) with ``kernel`` (F, C, kr, kc): NHWC result."""
    f, c, kr, kc = kernel.shape
    matrix = xp.ascontiguousarray(kernel.transpose(2, 3, 1, 0)).reshape(kr * kc * c, f)
    n, h, w, _ = a.shape
    out = xp.empty((n, (h - kr) // stride[0] + 1, (w - kc) // stride[1] + 1, f), dtype=a.dtype)
    for b, e, patches in _chunks(xp, a, kr, kc, *stride):
        xp.matmul(patches, matrix, out=out[b:e].reshape(patches.shape[0], f))
    return out
