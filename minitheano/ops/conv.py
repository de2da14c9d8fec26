"""2-D convolution of image batches (Theano's ``conv2d``) and its gradients, as ops.

Images are (batch, channels, rows, cols) and filters (out_channels, in_channels, rows,
cols), as in Theano. Every op reduces to one correlation kernel: pad the images, copy
each filter-sized patch into one row of a matrix (im2col, with stride tricks), and make
one matrix product with the filters. On the CPU the batch is cut into chunks of a few
images (one patch matrix and one product per chunk), so the patch matrix, nine times
the size of the images for 3x3 filters, is still in the cache when the product reads it.
Internally the arrays are laid out channels-last (NHWC): patches are then contiguous runs
of memory, and the product's result is already the next layer's input. The ops return
channels-first *views* of that memory, so users see NCHW while elementwise ops and the
next convolution keep the fast layout for free.

The three ops close under differentiation:
  Conv2d(x, w) -> y               grads: Conv2dGradInputs(gy, w), Conv2dGradWeights(x, gy)
  Conv2dGradInputs(gy, w) -> gx   grads: Conv2d(g, w), Conv2dGradWeights(g, gy)
  Conv2dGradWeights(x, gy) -> gw  grads: Conv2dGradInputs(gy, g), Conv2d(x, g)
so a convolution can be differentiated any number of times.
"""
import threading

import numpy as np

from ..config import config
from ..graph import Apply, Op, TensorType, as_variable
from .elemwise import ShapeError, upcast


# Shapes -------------------------------------------------------------------------------------

def _pair(value, what):
    """``value`` (an int or a pair of ints) as a pair of ints."""
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    try:
        pair = tuple(value)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise TypeError(f"{what} must be an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def _check_border_mode(border_mode):
    """``border_mode`` normalised: 'valid' (also for 0), 'full', 'half' or a pair of non-negative ints."""
    if isinstance(border_mode, str):
        if border_mode not in ("valid", "full", "half"):
            raise ValueError(f"conv2d: border_mode must be 'valid', 'full', 'half', an int or a pair of ints, "
                             f"got {border_mode!r}")
        return border_mode
    pad = _pair(border_mode, "conv2d: border_mode")
    if min(pad) < 0:
        raise ValueError(f"conv2d: border_mode padding must be non-negative, got {border_mode!r}")
    return "valid" if pad == (0, 0) else pad


def padding(border_mode, kernel_rows, kernel_cols):
    """The zeros added on each side of the rows and of the columns: (pad_rows, pad_cols)."""
    if border_mode == "valid":
        return 0, 0
    if border_mode == "full":
        return kernel_rows - 1, kernel_cols - 1
    if border_mode == "half":
        return kernel_rows // 2, kernel_cols // 2
    return tuple(border_mode)


def conv_output_length(length, kernel, border_mode_pad, stride):
    """Output length along one axis (None where the input or kernel length is unknown)."""
    if length is None or kernel is None:
        return None
    return (length + 2 * border_mode_pad - kernel) // stride + 1


def get_conv_output_shape(image_shape, kernel_shape, border_mode="valid", subsample=(1, 1)):
    """Static shape of ``conv2d``'s result from the image and filter shapes (ints or None)."""
    border_mode = _check_border_mode(border_mode)
    subsample = _pair(subsample, "conv2d: subsample")
    kr, kc = kernel_shape[2], kernel_shape[3]
    pads = [None if k is None else p for k, p in zip((kr, kc), padding(border_mode, kr or 0, kc or 0))]
    rows, cols = (None if p is None else conv_output_length(n, k, p, s)
                  for n, k, p, s in zip(image_shape[2:], (kr, kc), pads, subsample))
    return image_shape[0], kernel_shape[0], rows, cols


def _merge_shape(static, hint, what):
    """The static shape ``static`` refined by the user's ``hint``; they must not disagree."""
    if hint is None:
        return static
    hint = tuple(None if h is None else int(h) for h in hint)
    if len(hint) != 4:
        raise ValueError(f"conv2d: {what} must have 4 entries (ints or None), got {hint!r}")
    for axis, (s, h) in enumerate(zip(static, hint)):
        if s is not None and h is not None and s != h:
            raise ShapeError(f"conv2d: {what}={hint} disagrees with the variable's static shape {static} "
                             f"(axis {axis})")
    return tuple(s if s is not None else h for s, h in zip(static, hint))


# Numeric kernels (xp is numpy or cupy) ------------------------------------------------------

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


_scratch = threading.local()
# Patches are made and multiplied a few images at a time, so that the patch matrix (9 times
# the images for 3x3 filters) is still in the processor's cache when the product reads it.
# 16 MB measured best on a 2-core machine, with one BLAS thread (against 1-64 MB) and with two
# (larger products synchronise the BLAS threads less often).
_CHUNK_BYTES = 16 << 20


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


def _kernel(w, flip):
    """The correlation kernel of the filters: flipped for a true convolution."""
    return w[:, :, ::-1, ::-1] if flip else w


def _correlate(xp, a, kernel, stride):
    """Valid cross-correlation of ``a`` (NHWC) with ``kernel`` (F, C, kr, kc): NHWC result."""
    f, c, kr, kc = kernel.shape
    matrix = xp.ascontiguousarray(kernel.transpose(2, 3, 1, 0)).reshape(kr * kc * c, f)
    n, h, w, _ = a.shape
    out = xp.empty((n, (h - kr) // stride[0] + 1, (w - kc) // stride[1] + 1, f), dtype=a.dtype)
    for b, e, patches in _chunks(xp, a, kr, kc, *stride):
        xp.matmul(patches, matrix, out=out[b:e].reshape(patches.shape[0], f))
    return out


def _describe(x):
    return f"{x!r} (shape {x.type.shape})"


class _ConvBase(Op):
    __props__ = ("border_mode", "subsample", "filter_flip")
    fresh_output = True

    def __init__(self, border_mode="valid", subsample=(1, 1), filter_flip=True):
        self.border_mode = _check_border_mode(border_mode)
        self.subsample = _pair(subsample, "conv2d: subsample")
        if min(self.subsample) < 1:
            raise ValueError(f"conv2d: subsample (the stride) must be positive, got {subsample!r}")
        self.filter_flip = bool(filter_flip)

    def _params(self):
        return dict(border_mode=self.border_mode, subsample=self.subsample, filter_flip=self.filter_flip)

    def _settings(self):
        parts = [self.border_mode if isinstance(self.border_mode, str) else f"pad={self.border_mode}"]
        if self.subsample != (1, 1):
            parts.append(f"subsample={self.subsample}")
        if not self.filter_flip:
            parts.append("no flip")
        return ", ".join(parts)

    def __str__(self):
        return f"{self.name}{{{self._settings()}}}"

    def pp(self, node, args):
        return f"{self.name}({', '.join(args[:2])})"

    @staticmethod
    def _float_inputs(op_name, *inputs):
        dtype = upcast(*(v.dtype for v in inputs))
        dtype = dtype if np.dtype(dtype).kind == "f" else config.floatX
        for v in inputs:
            if v.ndim != 4:
                raise TypeError(f"{op_name}: {v!r} must be a 4-d tensor (batch, channels, rows, cols), "
                                f"got {v.ndim} dims")
        return dtype


class Conv2d(_ConvBase):
    """``conv2d(input, filters)``: one output map per filter, summed over input channels.

    ``imshp`` / ``kshp`` are the user's shape hints (ints or None); they refine the static
    output shape and are checked against the actual arrays when the graph runs.
    """

    __props__ = _ConvBase.__props__ + ("imshp", "kshp")
    name = "conv2d"

    def __init__(self, border_mode="valid", subsample=(1, 1), filter_flip=True, imshp=None, kshp=None):
        super().__init__(border_mode, subsample, filter_flip)
        self.imshp = None if imshp is None else tuple(None if s is None else int(s) for s in imshp)
        self.kshp = None if kshp is None else tuple(None if s is None else int(s) for s in kshp)

    def make_node(self, x, w):
        x, w = as_variable(x), as_variable(w)
        dtype = self._float_inputs("conv2d", x, w)
        xshape = _merge_shape(x.type.shape, self.imshp, "input_shape")
        wshape = _merge_shape(w.type.shape, self.kshp, "filter_shape")
        if xshape[1] is not None and wshape[1] is not None and xshape[1] != wshape[1]:
            raise ShapeError(f"conv2d: the input {_describe(x)} has {xshape[1]} channels but the filters "
                             f"{_describe(w)} expect {wshape[1]} input channels (filters are "
                             "(out_channels, in_channels, rows, cols)).")
        pads = padding(self.border_mode, wshape[2] or 0, wshape[3] or 0)
        for axis, what in ((2, "rows"), (3, "columns")):
            n, k, p = xshape[axis], wshape[axis], pads[axis - 2]
            if n is not None and k is not None and n + 2 * p < k:
                raise ShapeError(
                    f"conv2d: the input {_describe(x)} has {n} {what}"
                    f"{f' ({n + 2 * p} with padding)' if p else ''}, fewer than the {k} of the filters "
                    f"{_describe(w)} (border_mode={self.border_mode!r}). Use a smaller filter or more padding "
                    "(border_mode='half' or 'full').")
        shape = get_conv_output_shape(xshape, wshape, self.border_mode, self.subsample)
        return Apply(self, [x, w], [TensorType(dtype, shape)])

    def _check_runtime(self, x, w):
        for hint, value, what in ((self.imshp, x, "input_shape"), (self.kshp, w, "filter_shape")):
            if hint is not None and any(h is not None and h != s for h, s in zip(hint, value.shape)):
                raise ValueError(f"conv2d: {what}={hint} was given, but the array has shape {tuple(value.shape)}")
        if x.shape[1] != w.shape[1]:
            raise ValueError(f"conv2d: the input has {x.shape[1]} channels (shape {tuple(x.shape)}) but the "
                             f"filters expect {w.shape[1]} (shape {tuple(w.shape)})")
        pr, pc = padding(self.border_mode, w.shape[2], w.shape[3])
        if x.shape[2] + 2 * pr < w.shape[2] or x.shape[3] + 2 * pc < w.shape[3]:
            raise ValueError(f"conv2d: the image (shape {tuple(x.shape)}, padding {(pr, pc)}) is smaller "
                             f"than the filters (shape {tuple(w.shape)})")

    def perform(self, xp, x, w):
        self._check_runtime(x, w)
        dtype = np.dtype(self._dtype(x, w))
        x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
        pads = padding(self.border_mode, w.shape[2], w.shape[3])
        a = _pad(xp, _nhwc(xp, x), *pads)
        return _nchw(_correlate(xp, a, _kernel(w, self.filter_flip), self.subsample))

    @staticmethod
    def _dtype(*values):
        dtype = upcast(*(v.dtype for v in values))
        return dtype if np.dtype(dtype).kind == "f" else config.floatX

    def grad(self, node, grads):
        (gy,), (x, w) = grads, node.inputs
        gx = Conv2dGradInputs(**self._params())(gy, w, x)
        gw = Conv2dGradWeights(**self._params())(x, gy, w)
        return [gx, gw]


class Conv2dGradInputs(_ConvBase):
    """The gradient of ``conv2d`` w.r.t. its input: a transposed convolution of ``gy`` with ``w``.

    ``like`` is the input of the forward convolution; only its shape is used.
    """

    name = "conv2d_grad_inputs"

    def make_node(self, gy, w, like):
        gy, w, like = as_variable(gy), as_variable(w), as_variable(like)
        dtype = self._float_inputs(self.name, gy, w, like)
        shape = (gy.type.shape[0], w.type.shape[1]) + like.type.shape[2:]
        return Apply(self, [gy, w, like], [TensorType(dtype, shape)])

    def perform(self, xp, gy, w, like):
        dtype = np.dtype(Conv2d._dtype(gy, w))
        gy, w = gy.astype(dtype, copy=False), w.astype(dtype, copy=False)
        f, c, kr, kc = w.shape
        rows, cols = like.shape[2], like.shape[3]
        (pr, pc), (sr, sc) = padding(self.border_mode, kr, kc), self.subsample
        g = _nhwc(xp, gy)
        n, gr, gc, _ = g.shape
        # gy spread out by the stride, framed so that a valid correlation with the rotated
        # kernel gives exactly the unpadded input's rows and columns.
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
                framed = xp.empty((n, full_r, full_c, f), dtype=dtype)
                framed[:, :rows_at.start] = 0
                framed[:, rows_at.stop:] = 0
                framed[:, rows_at, :cols_at.start] = 0
                framed[:, rows_at, cols_at.stop:] = 0
            else:
                framed = xp.zeros((n, full_r, full_c, f), dtype=dtype)
            if r1 > r0 and c1 > c0:
                framed[:, rows_at, cols_at] = g[:, r0:r1, c0:c1]
        kernel = _kernel(w, self.filter_flip)[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
        return _nchw(_correlate(xp, framed, kernel, (1, 1)))

    def grad(self, node, grads):
        (g,), (gy, w, like) = grads, node.inputs
        return [Conv2d(**self._params())(g, w), Conv2dGradWeights(**self._params())(g, gy, w), None]


def _inside(lo, stride, n, length):
    """The range [i0, i1) of the indices i < n whose position lo + i * stride lies in [0, length)."""
    i0 = max(0, (stride - 1 - lo) // stride)
    i1 = min(n, (length - 1 - lo) // stride + 1)
    return i0, max(i0, i1)


class Conv2dGradWeights(_ConvBase):
    """The gradient of ``conv2d`` w.r.t. its filters: patches of ``x`` times ``gy``, one product.

    ``like`` is the filters of the forward convolution; only its shape is used.
    """

    name = "conv2d_grad_weights"

    def make_node(self, x, gy, like):
        x, gy, like = as_variable(x), as_variable(gy), as_variable(like)
        dtype = self._float_inputs(self.name, x, gy, like)
        shape = (gy.type.shape[1], x.type.shape[1]) + like.type.shape[2:]
        return Apply(self, [x, gy, like], [TensorType(dtype, shape)])

    def perform(self, xp, x, gy, like):
        dtype = np.dtype(Conv2d._dtype(x, gy))
        x, gy = x.astype(dtype, copy=False), gy.astype(dtype, copy=False)
        kr, kc = like.shape[2], like.shape[3]
        pads = padding(self.border_mode, kr, kc)
        a = _pad(xp, _nhwc(xp, x), *pads)
        g = _nhwc(xp, gy)
        n, f, c = x.shape[0], g.shape[3], x.shape[1]
        rows, cols = (a.shape[1] - kr) // self.subsample[0] + 1, (a.shape[2] - kc) // self.subsample[1] + 1
        if g.shape[:3] != (n, rows, cols):
            raise ValueError(f"{self.name}: the output gradient has shape {tuple(gy.shape)}, but the convolution "
                             f"of an input of shape {tuple(x.shape)} gives {rows}x{cols} maps")
        gk = xp.zeros((kr * kc * c, f), dtype=dtype)
        for b, e, patches in _chunks(xp, a, kr, kc, *self.subsample):
            gk += xp.matmul(patches.T, g[b:e].reshape(patches.shape[0], f))  # (kr * kc * C, F)
        gk = gk.reshape(kr, kc, c, f).transpose(3, 2, 0, 1)
        return xp.ascontiguousarray(_kernel(gk, self.filter_flip))

    def grad(self, node, grads):
        (g,), (x, gy, like) = grads, node.inputs
        return [Conv2dGradInputs(**self._params())(gy, g, x), Conv2d(**self._params())(x, g), None]


def conv2d(input, filters, input_shape=None, filter_shape=None, border_mode="valid", subsample=(1, 1),
           filter_flip=True):
    """2-D convolution of a batch of images with a bank of filters (Theano's ``conv2d``).

    input: (batch, channels, rows, cols); filters: (out_channels, channels, rows, cols).
    border_mode: 'valid' (no padding), 'full' (pad filter-1), 'half' (pad filter//2: same
    size for odd filters), an int or a pair of ints (explicit zero padding).
    subsample: the stride. filter_flip=True flips the filters (a true convolution, as in
    Theano and Lasagne); False gives a cross-correlation.
    input_shape / filter_shape: optional shape hints (ints or None), checked when run.
    """
    return Conv2d(border_mode, subsample, filter_flip, input_shape, filter_shape)(input, filters)
