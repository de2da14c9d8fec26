"""2-D pooling over the last two axes (Theano's ``pool_2d``) and its gradients, as ops.

Max pooling pads with the lowest value of the dtype (-inf for floats) so padding never
wins, and routes the gradient of each window to one winner: its first maximum in
row-major order. Average pooling divides by the window's size counted with
('average_inc_pad') or without ('average_exc_pad') the padding.

Windows are visited by offset: for each of the ws[0] * ws[1] positions inside a window,
one strided slice of the (padded) input holds that position for every window at once,
so the work is a few whole-array operations instead of a loop over pixels. Channels-last
memory (what ``conv2d`` produces) is kept as it is; results are views in the input's layout.

The ops close under differentiation:
  Pool(x) -> y                  grad: MaxPoolGrad(x, y, gy)   or AveragePoolGrad(x, gy)
  MaxPoolGrad(x, y, gy) -> gx   grad: MaxPoolGradGrad(x, y, g) w.r.t. gy (zero w.r.t. x, y)
  MaxPoolGradGrad(x, y, gg)     grad: MaxPoolGrad(x, y, g) w.r.t. gg
  AveragePoolGrad(x, gy) -> gx  grad: Pool(g) w.r.t. gy
"""
import numpy as np

from ..graph import Apply, Op, TensorType, as_variable
from .elemwise import ShapeError, _T

MODES = ("max", "average_inc_pad", "average_exc_pad")


def _pair(value, what):
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    try:
        pair = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        pair = ()
    if len(pair) != 2:
        raise TypeError(f"pool_2d: {what} must be a pair of ints, got {value!r}")
    return pair


def pool_output_length(length, ws, stride, pad, ignore_border):
    """Output length along one axis, as Theano computes it (None where ``length`` is unknown)."""
    if length is None:
        return None
    v = length + 2 * pad
    if ignore_border:
        return max(0, (v - ws) // stride + 1)
    if stride >= ws:
        return (v - 1) // stride + 1
    return max(0, (v - 1 - ws) // stride + 1) + 1


def pool_output_shape(imgshape, ws=(2, 2), ignore_border=True, stride=None, pad=(0, 0)):
    """Static shape of ``pool_2d``'s result: the last two axes shrink, the others stay."""
    stride = ws if stride is None else stride
    lengths = (pool_output_length(n, w, s, p, ignore_border) for n, w, s, p in zip(imgshape[-2:], ws, stride, pad))
    return tuple(imgshape[:-2]) + tuple(lengths)


# Numeric kernels -----------------------------------------------------------------------------

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


class _Windows:
    """The geometry of one pooling: padding, output size, and the slices of each window offset."""

    def __init__(self, op, rows, cols):
        self.ws, self.stride, self.pad = op.ws, op.stride, op.pad
        self.out = tuple(pool_output_length(n, w, s, p, op.ignore_border)
                         for n, w, s, p in zip((rows, cols), op.ws, op.stride, op.pad))
        # padded extent that every window fits in (ignore_border=False adds partial windows)
        self.extent = tuple(max(n + 2 * p, (o - 1) * s + w) if o else n + 2 * p
                            for n, w, s, p, o in zip((rows, cols), op.ws, op.stride, op.pad, self.out))
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


def _lowest(dtype):
    dtype = np.dtype(dtype)
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _max_pool(xp, geo, a):
    # A running maximum over the window offsets; measured faster than reshaping the input into
    # windows and reducing two axes (2.6x for 2x2 windows on channels-last maps, 18x otherwise).
    padded = geo.padded(xp, a, _lowest(a.dtype))
    out = None
    for index in geo.offsets():
        out = padded[index].copy() if out is None else xp.maximum(out, padded[index], out=out)
    return out


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


class _PoolBase(Op):
    __props__ = ("ws", "ignore_border", "stride", "pad", "mode")
    fresh_output = True

    def __init__(self, ws=(2, 2), ignore_border=True, stride=None, pad=(0, 0), mode="max"):
        self.ws = _pair(ws, "ws")
        self.stride = self.ws if stride is None else _pair(stride, "stride")
        self.pad = (0, 0) if pad is None else _pair(pad, "pad")
        self.ignore_border = bool(ignore_border)
        if mode not in MODES:
            raise ValueError(f"pool_2d: mode must be one of {MODES}, got {mode!r}")
        self.mode = mode
        if min(self.ws) < 1 or min(self.stride) < 1 or min(self.pad) < 0:
            raise ValueError(f"pool_2d: ws and stride must be positive and pad non-negative, got ws={self.ws}, "
                             f"stride={self.stride}, pad={self.pad}")
        if any(p >= w for p, w in zip(self.pad, self.ws)):
            raise ValueError(f"pool_2d: pad={self.pad} must be smaller than ws={self.ws} (a window of padding "
                             "alone has no value)")
        if self.pad != (0, 0) and not self.ignore_border:
            raise ValueError("pool_2d: padding works only with ignore_border=True")

    def _geometry(self, x):
        return _Windows(self, x.shape[-2], x.shape[-1])

    def _settings(self):
        parts = [f"ws={self.ws}"]
        if self.stride != self.ws:
            parts.append(f"stride={self.stride}")
        if self.pad != (0, 0):
            parts.append(f"pad={self.pad}")
        if not self.ignore_border:
            parts.append("ignore_border=False")
        return ", ".join(parts)

    def __str__(self):
        return f"{self.name}{{{self._settings()}}}"

    def pp(self, node, args):
        return f"{self.name}({args[0]}, {self._settings()})"

    def _params(self):
        return dict(ws=self.ws, ignore_border=self.ignore_border, stride=self.stride, pad=self.pad, mode=self.mode)


class Pool(_PoolBase):
    """Max or average pooling over the last two axes of a tensor with at least 2 dims."""

    @property
    def name(self):
        return "max_pool" if self.mode == "max" else f"pool_{self.mode}"

    def make_node(self, x):
        x = as_variable(x)
        if x.ndim < 2:
            raise TypeError(f"pool_2d: {x!r} must have at least 2 dims (rows, cols last), got {x.ndim}")
        if self.mode != "max" and np.dtype(x.dtype).kind != "f":
            raise TypeError(f"pool_2d: average pooling needs a float input, got {x!r} of dtype {x.dtype}")
        shape = pool_output_shape(x.type.shape, self.ws, self.ignore_border, self.stride, self.pad)
        if any(s == 0 for s in shape[-2:]):
            raise ShapeError(f"pool_2d: {x!r} (shape {x.type.shape}) is smaller than the pooling window "
                             f"ws={self.ws} (pad={self.pad}): the result would be empty")
        return Apply(self, [x], [TensorType(x.dtype, shape)])

    def perform(self, xp, x):
        nhwc = _is_channels_last(x)
        a, geo = _view(x, nhwc), self._geometry(x)
        if min(geo.out) <= 0:
            raise ValueError(f"pool_2d: input of shape {tuple(x.shape)} is smaller than ws={self.ws}")
        if self.mode == "max":
            return _unview(_max_pool(xp, geo, a), x, nhwc)
        padded = geo.padded(xp, a, 0)
        total = None
        for index in geo.offsets():
            total = padded[index].copy() if total is None else xp.add(total, padded[index], out=total)
        return _unview(total / geo.divisor(xp, self.mode, x.dtype), x, nhwc)

    def grad(self, node, grads):
        (x,), (gy,) = node.inputs, grads
        if np.dtype(x.dtype).kind != "f":
            return [None]
        if self.mode == "max":
            return [MaxPoolGrad(**self._params())(x, node.outputs[0], gy)]
        return [AveragePoolGrad(**self._params())(x, gy)]


class MaxPoolGrad(_PoolBase):
    """The gradient of max pooling: each window's output gradient goes to its first maximum."""

    name = "max_pool_grad"

    def make_node(self, x, y, gy):
        x, y, gy = as_variable(x), as_variable(y), as_variable(gy)
        return Apply(self, [x, y, gy], [TensorType(gy.dtype, x.type.shape)])

    def perform(self, xp, x, y, gy):
        nhwc = _is_channels_last(x)
        a, y, gy, geo = _view(x, nhwc), _view(y, nhwc), _view(gy, nhwc), self._geometry(x)
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

    def grad(self, node, grads):
        (g,), (x, y, gy) = grads, node.inputs
        T = _T()
        return [T.zeros_like(x), T.zeros_like(y), MaxPoolGradGrad(**self._params())(x, y, g)]


class MaxPoolGradGrad(_PoolBase):
    """Per window, the value of ``gg`` (shaped like the input) at the window's first maximum."""

    name = "max_pool_grad_grad"

    def make_node(self, x, y, gg):
        x, y, gg = as_variable(x), as_variable(y), as_variable(gg)
        return Apply(self, [x, y, gg], [TensorType(gg.dtype, y.type.shape)])

    def perform(self, xp, x, y, gg):
        nhwc = _is_channels_last(x)
        a, yv, gg, geo = _view(x, nhwc), _view(y, nhwc), _view(gg, nhwc), self._geometry(x)
        padded = geo.padded(xp, a, _lowest(a.dtype))
        gg = geo.padded(xp, gg, 0)
        out = xp.zeros(yv.shape, dtype=gg.dtype)
        for index, hit in _first_max_masks(xp, geo, padded, yv):
            xp.copyto(out, gg[index], where=hit)
        return _unview(out, y, nhwc)

    def grad(self, node, grads):
        (g,), (x, y, gg) = grads, node.inputs
        T = _T()
        return [T.zeros_like(x), T.zeros_like(y), MaxPoolGrad(**self._params())(x, y, g)]


class AveragePoolGrad(_PoolBase):
    """The gradient of average pooling: each window's gradient shared over the window."""

    @property
    def name(self):
        return f"pool_{self.mode}_grad"

    def make_node(self, x, gy):
        x, gy = as_variable(x), as_variable(gy)
        return Apply(self, [x, gy], [TensorType(gy.dtype, x.type.shape)])

    def perform(self, xp, x, gy):
        nhwc = _is_channels_last(x)
        a, gy, geo = _view(x, nhwc), _view(gy, nhwc), self._geometry(x)
        share = gy / geo.divisor(xp, self.mode, gy.dtype)
        out = xp.zeros((a.shape[0],) + geo.extent + (a.shape[3],), dtype=gy.dtype)
        for index in geo.offsets():
            out[index] += share
        return _unview(geo.cropped(out), x, nhwc)

    def grad(self, node, grads):
        (g,), (x, gy) = grads, node.inputs
        return [None, Pool(**self._params())(g)]


def pool_2d(input, ws=(2, 2), ignore_border=True, stride=None, pad=(0, 0), mode="max"):
    """Pooling over the last two axes of ``input`` (Theano's ``pool_2d``).

    ws: the window (rows, cols). stride: step between windows (default ``ws``: no overlap).
    pad: rows and columns added on each side (needs ignore_border=True; padding never wins
    a max). ignore_border=True drops the partial windows at the bottom and right edges;
    False keeps them. mode: 'max', 'average_inc_pad' or 'average_exc_pad'.
    """
    return Pool(ws, ignore_border, stride, pad, mode)(input)
