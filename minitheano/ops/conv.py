"""2-D convolution of image batches (Theano's ``conv2d``) and its gradients, as ops.

Images are (batch, channels, rows, cols) and filters (out_channels, in_channels, rows,
cols), as in Theano. A convolution is a cross-correlation with flipped filters over the
zero-padded images; each op works out the flip and the padding from ``filter_flip`` and
``border_mode`` and calls the matching kernel in ``minitheano.kernels.conv``.

The three ops close under differentiation:
  Conv2d(x, w) -> y               grads: Conv2dGradInputs(gy, w), Conv2dGradWeights(x, gy)
  Conv2dGradInputs(gy, w) -> gx   grads: Conv2d(g, w), Conv2dGradWeights(g, gy)
  Conv2dGradWeights(x, gy) -> gw  grads: Conv2dGradInputs(gy, g), Conv2d(x, g)
so a convolution can be differentiated any number of times.
"""
import numpy as np

from ..config import config
from ..graph import Apply, Op, TensorType, as_variable
from ..kernels import conv as kernels
from ..shapes import as_tuple, conv_output_length
from .broadcast import ShapeError, upcast


# Shapes -------------------------------------------------------------------------------------

def _check_border_mode(border_mode):
    """``border_mode`` normalised: 'valid' (also for 0), 'full', 'half' or a pair of non-negative ints."""
    if isinstance(border_mode, str):
        if border_mode not in ("valid", "full", "half"):
            raise ValueError(f"conv2d: border_mode must be 'valid', 'full', 'half', an int or a pair of ints, "
                             f"got {border_mode!r}")
        return border_mode
    pad = as_tuple(border_mode, 2, "conv2d: border_mode")
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


def get_conv_output_shape(image_shape, kernel_shape, border_mode="valid", subsample=(1, 1)):
    """Static shape of ``conv2d``'s result from the image and filter shapes (ints or None)."""
    border_mode = _check_border_mode(border_mode)
    subsample = as_tuple(subsample, 2, "conv2d: subsample")
    pads = (border_mode, border_mode) if isinstance(border_mode, str) else border_mode
    rows, cols = (conv_output_length(n, k, s, p)
                  for n, k, p, s in zip(image_shape[2:], kernel_shape[2:], pads, subsample))
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


def _flipped(w, flip):
    """The correlation kernel of the filters: flipped for a true convolution."""
    return w[:, :, ::-1, ::-1] if flip else w


def _describe(x):
    return f"{x!r} (shape {x.type.shape})"


class _ConvBase(Op):
    __props__ = ("border_mode", "subsample", "filter_flip")
    fresh_output = True
    # perform(..., then=Epilogue) finishes the result chunk by chunk (ops.composite.Finished)
    accepts_epilogue = False
    threaded = True  # the kernel runs its parts on all cores (kernels.parallel)

    def __init__(self, border_mode="valid", subsample=(1, 1), filter_flip=True):
        self.border_mode = _check_border_mode(border_mode)
        self.subsample = as_tuple(subsample, 2, "conv2d: subsample")
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
    accepts_epilogue = True

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

    def perform(self, xp, x, w, then=None):
        self._check_runtime(x, w)
        dtype = np.dtype(self._dtype(x, w))
        x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
        pad = padding(self.border_mode, w.shape[2], w.shape[3])
        return kernels.correlate2d(xp, x, _flipped(w, self.filter_flip), pad, self.subsample, then)

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
    accepts_epilogue = True

    def make_node(self, gy, w, like):
        gy, w, like = as_variable(gy), as_variable(w), as_variable(like)
        dtype = self._float_inputs(self.name, gy, w, like)
        shape = (gy.type.shape[0], w.type.shape[1]) + like.type.shape[2:]
        return Apply(self, [gy, w, like], [TensorType(dtype, shape)])

    def perform(self, xp, gy, w, like, then=None):
        dtype = np.dtype(Conv2d._dtype(gy, w))
        gy, w = gy.astype(dtype, copy=False), w.astype(dtype, copy=False)
        pad = padding(self.border_mode, w.shape[2], w.shape[3])
        return kernels.correlate2d_grad_input(xp, gy, _flipped(w, self.filter_flip), like.shape, pad,
                                              self.subsample, then)

    def grad(self, node, grads):
        (g,), (gy, w, _) = grads, node.inputs
        return [Conv2d(**self._params())(g, w), Conv2dGradWeights(**self._params())(g, gy, w), None]


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
        pad = padding(self.border_mode, like.shape[2], like.shape[3])
        gk = kernels.correlate2d_grad_weights(xp, x, gy, like.shape, pad, self.subsample)
        return xp.ascontiguousarray(_flipped(gk, self.filter_flip))

    def grad(self, node, grads):
        (g,), (x, gy, _) = grads, node.inputs
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
