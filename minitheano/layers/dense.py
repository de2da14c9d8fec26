"""Fully connected layers."""
import numpy as np

from .. import init, nonlinearities
from .. import tensor as T
from .base import Layer


class DenseLayer(Layer):
    """nonlinearity(dot(x, W) + b). W has shape (num_inputs, num_units), b (num_units,).

    The first ``num_leading_axes`` axes of the input are kept (a negative number counts from
    the end, as in Lasagne) and the others flattened into the ``num_inputs`` features: with the
    default 1, input with more than two dims is flattened to (batch, features) first.
    """

    def __init__(self, incoming, num_units, W=init.GlorotUniform(), b=init.Constant(0.0),
                 nonlinearity=nonlinearities.rectify, num_leading_axes=1, **kwargs):
        super().__init__(incoming, **kwargs)
        self.nonlinearity = nonlinearities.identity if nonlinearity is None else nonlinearity
        self.num_units = int(num_units)
        ndim = len(self.input_shape)
        leading = num_leading_axes + ndim if num_leading_axes < 0 else num_leading_axes
        if not 0 < leading < ndim:
            raise ValueError(f"{self!r}: num_leading_axes={num_leading_axes} must leave at least one leading and "
                             f"one trailing axis of the {ndim}-d input shape {self.input_shape}")
        self.num_leading_axes = leading
        trailing = self.input_shape[leading:]
        if any(s is None for s in trailing):
            raise ValueError(f"{self!r}: the input shape {self.input_shape} must be known after the first {leading} "
                             "axes to size the weights")
        num_inputs = int(np.prod(trailing))
        self.W = self.add_param(W, (num_inputs, self.num_units), name="W")
        self.b = None if b is None else self.add_param(b, (self.num_units,), name="b", regularizable=False)

    def get_output_shape_for(self, input_shape):
        return tuple(input_shape[:self.num_leading_axes]) + (self.num_units,)

    def get_output_for(self, input, **kwargs):
        k = self.num_leading_axes
        if input.ndim > k + 1:
            input = input.flatten(k + 1)
        if k == 1:
            activation = T.dot(input, self.W)
        else:  # the leading axes as rows of one matrix product, then back
            rows = T.dot(input.reshape((-1, self.W.get_value(borrow=True).shape[0])), self.W)
            activation = rows.reshape(tuple(input.shape[i] for i in range(k)) + (self.num_units,), ndim=k + 1)
        if self.b is not None:
            activation = activation + self.b.dimshuffle("x", 0)
        return self.nonlinearity(activation)
