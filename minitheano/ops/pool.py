"""2-D pooling over the last two axes (Theano's ``pool_2d``) and its gradients, as ops.

Max pooling pads with the lowest value of the dtype (-inf for floats) so padding never
wins, and routes the gradient of each window to one winner: its first maximum in
row-major order. Average pooling divides by the window's size counted with
('average_inc_pad') or without ('average_exc_pad') the padding. The array work is in
``minitheano.kernels.pool``.

The ops close under differentiation:
  Pool(x) -> y                  grad: MaxPoolGrad(x, y, gy)   or AveragePoolGrad(x, gy)
  MaxPoolGrad(x, y, gy) -> gx   grad: MaxPoolGradGrad(x, y, g) w.r.t. gy (zero w.r.t. x, y)
  MaxPoolGradGrad(x, y, gg)     grad: MaxPoolGrad(x, y, g) w.r.t. gg
  AveragePoolGrad(x, gy) -> gx  grad: Pool(g) w.r.t. gy
"""
import numpy as np

from ..graph import Apply, Op, TensorType, as_variable
from ..kernels import pool as kernels
from ..shapes import as_tuple, pool_output_length
from .broadcast import ShapeError, zeros_like

MODES = ("max", "average_inc_pad", "average_exc_pad")


def pool_output_shape(imgshape, ws=(2, 2), ignore_border=True, stride=None, pad=(0, 0)):
    """Static shape of ``pool_2d``'s result: the last two axes shrink, the others stay."""
    stride = ws if stride is None else stride
    lengths = (pool_output_length(n, w, s, p, ignore_border) for n, w, s, p in zip(imgshape[-2:], ws, stride, pad))
    return tuple(imgshape[:-2]) + tuple(lengths)


class _PoolBase(Op):
    __props__ = ("ws", "ignore_border", "stride", "pad", "mode")
    fresh_output = True
    threaded = True  # the kernel runs its parts on all cores (kernels.parallel)

    def __init__(self, ws=(2, 2), ignore_border=True, stride=None, pad=(0, 0), mode="max"):
        self.ws = as_tuple(ws, 2, "pool_2d: ws")
        self.stride = self.ws if stride is None else as_tuple(stride, 2, "pool_2d: stride")
        self.pad = (0, 0) if pad is None else as_tuple(pad, 2, "pool_2d: pad")
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
        return kernels.pool2d(xp, x, self.ws, self.stride, self.pad, self.ignore_border, self.mode)

    def grad(self, node, grads):
        (x,), (gy,) = node.inputs, grads
        if self.mode == "max":
            return [MaxPoolGrad(**self._params())(x, node.outputs[0], gy)]
        return [AveragePoolGrad(**self._params())(x, gy)]


class MaxPoolGrad(_PoolBase):
    """The gradient of max pooling: each window's output gradient goes to its first maximum."""

    name = "max_pool_grad"

    def make_node(self, x, y, gy):
        x, y, gy = as_variable(x), as_variable(y), as_variable(gy)
        return Apply(self, [x, y, gy], [TensorType(gy.dtype, x.type.shape)])

    accepts_epilogue = True  # perform(..., then=Epilogue): see ops.composite.Finished

    def perform(self, xp, x, y, gy, then=None):
        return kernels.max_pool2d_grad(xp, x, y, gy, self.ws, self.stride, self.pad, self.ignore_border, then)

    def grad(self, node, grads):
        (g,), (x, y, _) = grads, node.inputs
        return [zeros_like(x), zeros_like(y), MaxPoolGradGrad(**self._params())(x, y, g)]


class MaxPoolGradGrad(_PoolBase):
    """Per window, the value of ``gg`` (shaped like the input) at the window's first maximum."""

    name = "max_pool_grad_grad"

    def make_node(self, x, y, gg):
        x, y, gg = as_variable(x), as_variable(y), as_variable(gg)
        return Apply(self, [x, y, gg], [TensorType(gg.dtype, y.type.shape)])

    def perform(self, xp, x, y, gg):
        return kernels.max_pool2d_grad_grad(xp, x, y, gg, self.ws, self.stride, self.pad, self.ignore_border)

    def grad(self, node, grads):
        (g,), (x, y, _) = grads, node.inputs
        return [zeros_like(x), zeros_like(y), MaxPoolGrad(**self._params())(x, y, g)]


class AveragePoolGrad(_PoolBase):
    """The gradient of average pooling: each window's gradient shared over the window."""

    @property
    def name(self):
        return f"pool_{self.mode}_grad"

    def make_node(self, x, gy):
        x, gy = as_variable(x), as_variable(gy)
        return Apply(self, [x, gy], [TensorType(gy.dtype, x.type.shape)])

    def perform(self, xp, x, gy):
        return kernels.average_pool2d_grad(xp, x, gy, self.ws, self.stride, self.pad, self.ignore_border,
                                           self.mode)

    def grad(self, node, grads):
        g = grads[0]
        return [None, Pool(**self._params())(g)]


def pool_2d(input, ws=(2, 2), ignore_border=True, stride=None, pad=(0, 0), mode="max"):
    """Pooling over the last two axes of ``input`` (Theano's ``pool_2d``).

    ws: the window (rows, cols). stride: step between windows (default ``ws``: no overlap).
    pad: rows and columns added on each side (needs ignore_border=True; padding never wins
    a max). ignore_border=True drops the partial windows at the bottom and right edges;
    False keeps them. mode: 'max', 'average_inc_pad' or 'average_exc_pad'.
    """
    return Pool(ws, ignore_border, stride, pad, mode)(input)
