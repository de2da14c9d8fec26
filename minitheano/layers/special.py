"""Layers that apply a function without parameters."""
from .. import nonlinearities
from .base import Layer


class NonlinearityLayer(Layer):
    """Applies ``nonlinearity`` elementwise (or row-wise, for softmax)."""

    def __init__(self, incoming, nonlinearity=nonlinearities.rectify, **kwargs):
        super().__init__(incoming, **kwargs)
        self.nonlinearity = nonlinearities.identity if nonlinearity is None else nonlinearity

    def get_output_for(self, input, **kwargs):
        return self.nonlinearity(input)


class ExpressionLayer(Layer):
    """Applies ``function`` (a symbolic expression of the input); ``output_shape`` is a shape
    tuple, a callable of the input shape, or None for 'same as the input'."""

    def __init__(self, incoming, function, output_shape=None, **kwargs):
        super().__init__(incoming, **kwargs)
        self.function = function
        self._output_shape = output_shape

    def get_output_shape_for(self, input_shape):
        if self._output_shape is None:
            return input_shape
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        return tuple(self._output_shape)

    def get_output_for(self, input, **kwargs):
        return self.function(input)
