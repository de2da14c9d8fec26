"""2-D cross-correlation of image batches and its two gradients, at matrix-product speed.

Each kernel is im2col: copy every filter-sized patch of the (padded) images into one row of
a patch matrix and multiply it with the filters. To keep that fast on numpy:
- the batch is cut into one part per core (see ``parallel``), each worker with BLAS on one
  thread, and each part into chunks of a few images whose patch matrix fits in the cache;
- the images are laid out channels-last (NHWC): a patch is then a few contiguous runs, and
  the product's result is already the next layer's input; results are channels-first views;
- every product has contiguous operands and the long axis (the patches) outside: the filter
  gradient is gy^T (F x patches) @ patches (patches x kr*kc*C), summed over the chunks
  (patches^T @ gy, a skinny product over a huge sum, runs at a tenth of the speed); and
  each product is a stack of small ones (STACK_ROWS patches each), which OpenBLAS runs
  without packing its operands.
The forward's patch matrix is not kept for the filter gradient: making it again, a chunk at
a time from the cache, costs less than writing the whole of it to memory and reading it back.
Padding (and the stride's dilation for the input gradient) is written into a small per-chunk
frame, so no padded copy of the whole batch is made.

Where there is a C++ compiler, a float32 correlation with 8 or a multiple of 16 filters (the
forward pass and the input gradient) runs as the compiled direct loop of ``conv_direct`` on the
same framed channels-last chunks instead of patch matrices and products.

Shapes: x (N, C, H, W), w (F, C, kr, kc) (already flipped for a true convolution),
pad = (pad_rows, pad_cols) zeros on each side, stride = (rows, cols); any strides.
"""
import math
import threading

import numpy as np

from . import parallel
from .conv_direct import correlator, filter_gradient
from ..shapes import conv_output_length

# Products of the patches with the filters are made this many patches (rows) at a time.
STACK_ROWS = 96
# One row of the patch matrix makes up to COLUMN_BLOCK neighbouring output columns, while the
# product is at most MAX_BLOCK_FILTERS wide (``_blocked``). Measured on the benchmark ConvNet:
# 16 filters in pairs of columns, 1.1-1.45x faster; 32 filters (64 wide) 1.3x slower.
COLUMN_BLOCK = 2
MAX_BLOCK_FILTERS = 32
# A chunk's patch matrix is at most this big: it is still in the core's cache when the
# product reads it, and the product is big enough to run at full speed.
CHUNK_BYTES = 1 << 20

_scratch = threading.local()


def _buffer(xp, slot, shape, dtype):
    """A per-thread buffer (one per ``slot``) reused across calls, on numpy; a fresh array elsewhere."""
    if xp is not np:
        return xp.empty(shape, dtype=dtype)
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    buffers = _scratch.__dict__.setdefault("buffers", {})
    buf = buffers.get(slot)
    if buf is None or buf.nbytes < nbytes:
        buf = buffers[slot] = np.empty(max(nbytes, 64), dtype=np.uint8)
    return buf[:nbytes].view(dtype).reshape(shape)


class _Frame:
    """Where a source map lands in the zero frame a valid correlation reads: rows (and columns)
    ``i`` of the source go to ``lo + i * step`` of a frame ``size`` long; what falls outside is cut."""

    def __init__(self, src_len, lo, step, size):
        self.size, self.step = size, step
        self.i0 = max(0, (step - 1 - lo) // step)
        self.i1 = max(self.i0, min(src_len, (size - 1 - lo) // step + 1))
        self.dst = slice(lo + self.i0 * step, lo + (self.i1 - 1) * step + 1, step)
        self.identity = lo == 0 and step == 1 and src_len == size
        self.inside = self.i1 > self.i0

    def src(self):
        """The source rows (or columns) that land inside the frame."""
        return slice(self.i0, self.i1)


class _Im2col:
    """The patch matrices of ``src`` (N, C, H, W, any strides) framed by ``rows`` and ``cols``, made
    ``step`` images at a time in this thread's buffers: one copy into the frame (channels-last,
    zero border; skipped when ``src`` is channels-last and unframed), one into the patches.

    A patch matrix is (pixels, kr * kc * C), (i, j, c) ordered: copied pixel by pixel (runs of
    kc * C values) or, when output rows are the longer runs (few channels, as in a first
    layer), filter offset by filter offset and returned transposed.
    """

    def __init__(self, xp, src, rows, cols, kr, kc, stride, step, patches=True):
        self.rows, self.cols = rows, cols
        n, c = src.shape[:2]
        self.src = src.transpose(0, 2, 3, 1)
        framed = not (rows.identity and cols.identity and self.src.flags.c_contiguous)
        self.frame = _buffer(xp, "frame", (step, rows.size, cols.size, c), src.dtype) if framed else None
        a = self.frame if framed else self.src
        sr, sc = stride
        ho, wo = (rows.size - kr) // sr + 1, (cols.size - kc) // sc + 1
        self.pixels, self.k = ho * wo, kr * kc * c
        s0, s1, s2, s3 = a.strides
        self.by_offset = wo > kc * c
        if self.by_offset:
            shape, strides = (kr, kc, c, a.shape[0], ho, wo), (s1, s2, s3, s0, s1 * sr, s2 * sc)
        else:
            shape, strides = (a.shape[0], ho, wo, kr, kc, c), (s0, s1 * sr, s2 * sc, s1, s2, s3)
        self.windows = xp.lib.stride_tricks.as_strided(a, shape, strides)
        self.patches = _buffer(xp, "patches", (step * self.pixels * self.k,), src.dtype) if patches else None
        if framed and not (rows.step == 1 and cols.step == 1 and rows.inside and cols.inside):
            self.frame[...] = 0  # zero once: the copies below write the same places each time
        elif framed:
            d0, d1 = rows.dst, cols.dst
            self.frame[:, :d0.start] = 0
            self.frame[:, d0.stop:] = 0
            self.frame[:, d0, :d1.start] = 0
            self.frame[:, d0, d1.stop:] = 0

    def maps(self, b, e):
        """Images b..e-1 framed, channels-last and C-contiguous (n, rows, cols, C): valid until the next call."""
        if self.frame is None:
            return self.src[b:e]
        if self.rows.inside and self.cols.inside:
            self.frame[:e - b, self.rows.dst, self.cols.dst] = self.src[b:e, self.rows.src(), self.cols.src()]
        return self.frame[:e - b]

    def __call__(self, b, e):
        """The patch matrix of images b..e-1 (e - b <= step): valid until the next call."""
        n = e - b
        self.maps(b, e)
        images = slice(0, n) if self.frame is not None else slice(b, e)
        sel = (slice(None),) * 3 + (images,) if self.by_offset else (images,)
        windows = self.windows[sel]
        out = self.patches[:n * self.pixels * self.k].reshape(windows.shape)
        out[...] = windows
        if self.by_offset:
            return out.reshape(self.k, n * self.pixels).T
        return out.reshape(n * self.pixels, self.k)


def _stacked(a, rows):
    """The first len(a) // rows * rows rows of the matrix ``a`` as a stack of (rows, K) matrices
    (a view; ``a`` C- or F-contiguous)."""
    m, k = a.shape
    blocks = m // rows
    if a.flags.c_contiguous:
        return a[:blocks * rows].reshape(blocks, rows, k)
    return a.T[:, :blocks * rows].reshape(k, blocks, rows).transpose(1, 2, 0)


def _product(xp, a, b, out):
    """``out[...] = a @ b`` for a tall ``a``, as a stack of small products on numpy: OpenBLAS runs
    a (STACK_ROWS, K) @ (K, N) product from the cache, with no packing, 1.3-1.5x faster here."""
    m = a.shape[0]
    if xp is not np or m < 2 * STACK_ROWS:
        return xp.matmul(a, b, out=out)
    head = m // STACK_ROWS * STACK_ROWS
    xp.matmul(_stacked(a, STACK_ROWS), b, out=_stacked(out, STACK_ROWS))
    if head < m:
        xp.matmul(a[head:], b, out=out[head:])


def _gram(xp, g, p, total):
    """``total += g.T @ p`` for tall ``g`` (pixels, F) and ``p`` (pixels, K), as stacked small products."""
    m = g.shape[0]
    if xp is not np or m < 2 * STACK_ROWS:
        total += g.T @ p
        return
    head = m // STACK_ROWS * STACK_ROWS
    parts = xp.matmul(_stacked(g, STACK_ROWS).transpose(0, 2, 1), _stacked(p, STACK_ROWS))
    total += parts.sum(axis=0)
    if head < m:
        total += g[head:].T @ p[head:]


def _chunk_images(xp, n, pixels, k, itemsize):
    """Images per chunk: the patch matrix within CHUNK_BYTES (the whole part off numpy)."""
    if xp is not np:
        return n
    return max(1, min(n, CHUNK_BYTES // max(1, pixels * k * itemsize)))


def _parts(xp, n, flops):
    """The batch's parts, one per worker."""
    return parallel.split(n, parallel.workers(xp, flops))


def _geometry(x_shape, w_shape, pad, stride):
    """(rows, cols) of the correlation's output."""
    h, w, kr, kc = x_shape[2], x_shape[3], w_shape[2], w_shape[3]
    return (conv_output_length(h, kr, stride[0], pad[0]), conv_output_length(w, kc, stride[1], pad[1]))


def _columns_per_row(xp, wo, filters):
    """How many neighbouring output columns one row of the patch matrix makes (see ``_blocked``)."""
    if xp is not np:
        return 1
    for q in range(COLUMN_BLOCK, 1, -1):
        if wo % q == 0 and q * filters <= MAX_BLOCK_FILTERS:
            return q
    return 1


def _blocked(kernel, q, sc):
    """The filters (F, C, kr, kc) as the (kr * kc' * C, q * F) matrix that makes q neighbouring
    output columns from one patch kc' = kc + (q - 1) * sc columns wide: output column t reads
    the patch's columns t * sc ... t * sc + kc - 1 (zeros elsewhere). Products with q * F columns
    run near BLAS's full speed where F = 16 alone runs at half of it, and the patch matrix is
    smaller (each row covers q outputs), for (kc + (q - 1) * sc) / (q * kc) more multiplications."""
    f, c, kr, kc = kernel.shape
    kcq = kc + (q - 1) * sc
    matrix = np.zeros((kr, kcq, c, q, f), dtype=kernel.dtype)
    taps = kernel.transpose(2, 3, 1, 0)  # (kr, kc, C, F)
    for t in range(q):
        matrix[:, t * sc:t * sc + kc, :, t, :] = taps
    return matrix.reshape(kr * kcq * c, q * f)


def _correlate(xp, src, kernel, rows, cols, stride, then=None):
    """Valid correlation of ``src`` (N, C, H, W) framed by ``rows``/``cols`` with ``kernel``
    (F, C, kr, kc): the channels-last (N, Ho, Wo, F) result, each chunk finished by the
    ``Epilogue`` ``then`` (when given) as soon as it is made."""
    f, c, kr, kc = kernel.shape
    sr, sc = stride
    dtype = np.result_type(src.dtype, kernel.dtype)
    src = src.astype(dtype, copy=False)
    ho, wo = (rows.size - kr) // sr + 1, (cols.size - kc) // sc + 1
    direct = correlator(xp, kernel, dtype)
    q = 1 if direct else _columns_per_row(xp, wo, f)
    if direct:
        matrix = None
    elif q > 1:
        matrix = xp.asarray(_blocked(np.asarray(kernel, dtype=dtype), q, sc))
    else:
        matrix = xp.ascontiguousarray(kernel.transpose(2, 3, 1, 0), dtype=dtype).reshape(kr * kc * c, f)
    kcq = kc + (q - 1) * sc
    n = src.shape[0]
    out = xp.empty((n, ho, wo, f), dtype=dtype)
    step = _chunk_images(xp, n, ho * wo // q, kr * kcq * c, dtype.itemsize)
    finish = then and then.channels_last(xp, (n, f, ho, wo))

    def part(start, stop):
        im2col = _Im2col(xp, src, rows, cols, kr, kcq, (sr, q * sc), min(step, stop - start), patches=not direct)
        for b in range(start, stop, step):
            e = min(stop, b + step)
            if direct:
                direct(im2col.maps(b, e), out[b:e], (sr, sc))
            else:
                patches = im2col(b, e)
                _product(xp, patches, matrix, out[b:e].reshape(patches.shape[0], q * f))
            if finish is not None:
                finish(out[b:e], b, e)

    parallel.run([lambda b=b, e=e: part(b, e) for b, e in _parts(xp, n, out.size * kr * kc * c)])
    return out


def _check(what, x_shape, w_shape, pad, stride):
    n, c, h, w = x_shape
    f, wc, kr, kc = w_shape
    if c != wc:
        raise ValueError(f"{what}: the input has {c} channels (shape {tuple(x_shape)}) but the filters "
                         f"expect {wc} (shape {tuple(w_shape)})")
    if h + 2 * pad[0] < kr or w + 2 * pad[1] < kc:
        raise ValueError(f"{what}: the image (shape {tuple(x_shape)}, padding {tuple(pad)}) is smaller "
                         f"than the filters (shape {tuple(w_shape)})")
    if min(stride) < 1 or min(pad) < 0:
        raise ValueError(f"{what}: stride must be positive and pad non-negative, got {stride}, {pad}")


def correlate2d(xp, x, w, pad, stride, then=None):
    """Cross-correlation of images x (N, C, H, W) with filters w (F, C, kr, kc): (N, F, Ho, Wo),
    a channels-first view of channels-last memory (finished by the ``Epilogue`` ``then``)."""
    _check("correlate2d", x.shape, w.shape, pad, stride)
    _, _, h, wd = x.shape
    rows = _Frame(h, pad[0], 1, h + 2 * pad[0])
    cols = _Frame(wd, pad[1], 1, wd + 2 * pad[1])
    return _correlate(xp, x, w, rows, cols, stride, then).transpose(0, 3, 1, 2)


def correlate2d_grad_input(xp, gy, w, x_shape, pad, stride, then=None):
    """The gradient of ``correlate2d`` w.r.t. its input (shape ``x_shape``): the correlation of gy,
    spread out by the stride and framed by kr - 1 - pad zeros, with the rotated filters
    (finished by the ``Epilogue`` ``then``)."""
    _check("correlate2d_grad_input", x_shape, w.shape, pad, stride)
    _, _, h, wd = x_shape
    f, c, kr, kc = w.shape
    expected = (x_shape[0], f) + _geometry(x_shape, w.shape, pad, stride)
    if tuple(gy.shape) != expected:
        raise ValueError(f"correlate2d_grad_input: the output gradient has shape {tuple(gy.shape)}, but the "
                         f"correlation of an input of shape {tuple(x_shape)} gives {expected}")
    rows = _Frame(gy.shape[2], kr - 1 - pad[0], stride[0], h + kr - 1)
    cols = _Frame(gy.shape[3], kc - 1 - pad[1], stride[1], wd + kc - 1)
    kernel = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    return _correlate(xp, gy, kernel, rows, cols, (1, 1), then).transpose(0, 3, 1, 2)


def correlate2d_grad_weights(xp, x, gy, w_shape, pad, stride):
    """The gradient of ``correlate2d`` w.r.t. its filters (shape ``w_shape``): gy^T times the
    patches of x, summed over chunks of the batch."""
    _check("correlate2d_grad_weights", x.shape, w_shape, pad, stride)
    n, c, h, wd = x.shape
    f, _, kr, kc = w_shape
    ho, wo = _geometry(x.shape, w_shape, pad, stride)
    if tuple(gy.shape) != (n, f, ho, wo):
        raise ValueError(f"correlate2d_grad_weights: the output gradient has shape {tuple(gy.shape)}, but the "
                         f"correlation of an input of shape {tuple(x.shape)} gives {(n, f, ho, wo)}")
    dtype = np.result_type(x.dtype, gy.dtype)
    x, g = x.astype(dtype, copy=False), gy.astype(dtype, copy=False).transpose(0, 2, 3, 1)
    rows = _Frame(h, pad[0], 1, h + 2 * pad[0])
    cols = _Frame(wd, pad[1], 1, wd + 2 * pad[1])
    sr, sc = stride
    direct = filter_gradient(xp, w_shape, dtype)
    q = 1 if direct else _columns_per_row(xp, wo, f)
    kcq = kc + (q - 1) * sc
    k = kr * kcq * c
    step = _chunk_images(xp, n, ho * wo // q, k, dtype.itemsize)

    def part(start, stop):
        total = xp.zeros((kr, kc, c, f) if direct else (q * f, k), dtype=dtype)
        im2col = _Im2col(xp, x, rows, cols, kr, kcq, (sr, q * sc), min(step, stop - start), patches=not direct)
        for b in range(start, stop, step):
            e = min(stop, b + step)
            gc = g[b:e]
            if not gc.flags.c_contiguous:
                gc = _buffer(xp, "grad", gc.shape, dtype)
                gc[...] = g[b:e]
            if direct:
                direct(im2col.maps(b, e), gc, total, stride)
                continue
            patches = im2col(b, e)
            _gram(xp, gc.reshape(patches.shape[0], q * f), patches, total)  # (q * F, pixels / q) @ (pixels / q, k)
        return total

    totals = parallel.run([lambda b=b, e=e: part(b, e) for b, e in _parts(xp, n, gy.size * k)])
    total = totals[0]
    for t in totals[1:]:
        total += t
    if direct:
        return xp.ascontiguousarray(total.transpose(3, 2, 0, 1))
    # Output column t of a patch row read the patch's columns t * sc ... t * sc + kc - 1.
    blocks = total.reshape(q, f, kr, kcq, c)
    gw = blocks[0, :, :, :kc]
    for t in range(1, q):
        gw = gw + blocks[t, :, :, t * sc:t * sc + kc]
    return xp.ascontiguousarray(gw.transpose(0, 3, 1, 2))
