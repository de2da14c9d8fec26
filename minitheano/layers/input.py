"""The network's entry point: a layer whose output is a symbolic input variable."""
from collections import OrderedDict

from .. import tensor as T
from ..config import config
from ..graph import Variable
from .base import Layer


class InputLayer(Layer):
    """Holds the input variable (made from ``shape`` when not given; None marks an unknown
    size, usually the batch size)."""

    def __init__(self, shape, input_var=None, name=None, **kwargs):
        self.shape = tuple(None if s is None else int(s) for s in shape)
        if any(d is not None and d <= 0 for d in self.shape):
            raise ValueError(f"InputLayer: cannot have a non-positive size in shape {self.shape}")
        if input_var is None:
            input_var = T.tensor(config.floatX, name=f"{name}.input" if name else "input", shape=self.shape)
        elif not isinstance(input_var, Variable):
            raise TypeError(f"InputLayer: input_var must be a symbolic variable, got {type(input_var).__name__}")
        elif input_var.ndim != len(self.shape):
            raise ValueError(f"InputLayer: shape {self.shape} has {len(self.shape)} dims, but the input variable "
                             f"{input_var!r} has {input_var.ndim}")
        self.input_var = input_var
        self.name = name
        self.params = OrderedDict()
        self.input_shape, self.input_layer = self.shape, None
        self.get_output_kwargs = []

    @Layer.output_shape.getter
    def output_shape(self):
        return self.shape
