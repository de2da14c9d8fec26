"""2D pooling layers."""
from ..ops.pool import pool_2d
from ..shapes import as_tuple, pool_output_length
from .base import Layer


class Pool2DLayer(Layer):
    """Pooling over the last two axes with windows ``pool_size`` moved by ``stride``
    (default: the pool size, so windows do not overlap)."""

    def __init__(self, incoming, pool_size, stride=None, pad=(0, 0), ignore_border=True, mode="max", **kwargs):
        super().__init__(incoming, **kwargs)
        if len(self.input_shape) != 4:
            raise ValueError(f"{self!r}: expects 4-d input (batch, channels, rows, cols), got shape "
                             f"{self.input_shape}")
        self.pool_size = as_tuple(pool_size, 2, "pool_size")
        self.stride = self.pool_size if stride is None else as_tuple(stride, 2, "stride")
        self.pad = as_tuple(pad, 2, "pad")
        self.ignore_border = ignore_border
        self.mode = mode

    def get_output_shape_for(self, input_shape):
        return tuple(input_shape[:2]) + tuple(
            pool_output_length(n, w, s, p, self.ignore_border)
            for n, w, s, p in zip(input_shape[2:], self.pool_size, self.stride, self.pad))

    def get_output_for(self, input, **kwargs):
        return pool_2d(input, ws=self.pool_size, stride=self.stride, ignore_border=self.ignore_border,
                       pad=self.pad, mode=self.mode)


class MaxPool2DLayer(Pool2DLayer):
    """Max pooling (the gradient flows to each window's maximum)."""

    def __init__(self, incoming, pool_size, stride=None, pad=(0, 0), ignore_border=True, **kwargs):
        super().__init__(incoming, pool_size, stride, pad, ignore_border, mode="max", **kwargs)
