"""Fully connected layers."""
import numpy as np

from .. import init, nonlinearities
from .. import tensor as T
from .base import Layer


class DenseLayer(Layer):
    """nonlinearity(dot(x, W) + b). Input with more than two dims is flattened to
    (batch, features) first. W has shape (num_inputs, num_units), b (num_units,)."""

    def __init__(self, incoming, num_units, W=init.GlorotUniform(), b=init.Constant(0.0),
                 nonlinearity=nonlinearities.rectify, num_leading_axes=1, **kwargs):
        super().__init__(incoming, **kwargs)
        self.nonlinearity = nonlinearities.identity if nonlinearity is None else nonlinearity
        self.num_units = int(num_units)
        if num_leading_axes != 1:
            raise NotImplementedError("DenseLayer supports num_leading_axes=1 only")
        self.num_leading_axes = num_leading_axes
        trailing = self.input_shape[1:]
        if any(s is None for s in trailing):
            raise ValueError(f"{self!r}: the input shape {self.input_shape} must be known after the batch axis "
                             "to size the weights")
        num_inputs = int(np.prod(trailing))
        self.W = self.add_param(W, (num_inputs, self.num_units), name="W")
        self.b = None if b is None else self.add_param(b, (self.num_units,), name="b", regularizable=False)

    def get_output_shape_for(self, input_shape):
        return (input_shape[0], self.num_units)

    def get_output_for(self, input, **kwargs):
        if input.ndim > 2:
            input = input.flatten(2)
        activation = T.dot(input, self.W)
        if self.b is not None:
            activation = activation + self.b.dimshuffle("x", 0)
        return self.nonlinearity(activation)
