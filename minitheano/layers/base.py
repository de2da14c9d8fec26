"""The layer protocol (Lasagne's ``layers/base.py``).

A layer knows its input layer(s), its parameters (shared variables with tags such as
``trainable`` and ``regularizable``), the shape it outputs for a given input shape, and the
expression it outputs for a given input expression. ``get_output`` in ``helper`` chains them.
"""
from collections import OrderedDict

import numpy as np

from ..graph import SharedVariable, Variable, shared


class Layer:
    """A layer with one input: ``incoming`` is a layer or a shape tuple (None for unknown sizes)."""

    def __init__(self, incoming, name=None):
        if isinstance(incoming, tuple):
            self.input_shape, self.input_layer = incoming, None
        elif isinstance(incoming, Layer):
            self.input_shape, self.input_layer = incoming.output_shape, incoming
        else:
            raise TypeError(f"{type(self).__name__}: incoming must be a layer or a shape tuple, "
                            f"got {type(incoming).__name__} {incoming!r}")
        self._start(name, [self.input_shape])

    def _start(self, name, input_shapes):
        """What every layer starts with: a name, no parameters, and positive input shapes."""
        self.name = name
        self.params = OrderedDict()
        self.get_output_kwargs = []
        for shape in input_shapes:
            if any(d is not None and d <= 0 for d in shape):
                raise ValueError(f"{self!r}: cannot create a layer with a non-positive input shape {shape}")

    def __repr__(self):
        return f"{type(self).__name__}({self.name!r})" if self.name else type(self).__name__

    @property
    def output_shape(self):
        shape = self.get_output_shape_for(self.input_shape)
        if any(isinstance(s, Variable) for s in shape):
            raise ValueError(f"{self!r}: get_output_shape_for returned a symbolic shape {shape}")
        return shape

    def get_params(self, **tags):
        """This layer's parameters, filtered by tags: ``trainable=True`` keeps those tagged
        trainable, ``regularizable=False`` drops those tagged regularizable."""
        only = {tag for tag, value in tags.items() if value}
        exclude = {tag for tag, value in tags.items() if not value}
        return [p for p, ptags in self.params.items() if only <= ptags and not (ptags & exclude)]

    def get_output_shape_for(self, input_shape):
        """The output shape for ``input_shape`` (default: unchanged)."""
        return input_shape

    def get_output_for(self, input, **kwargs):
        """The output expression for the input expression ``input``."""
        raise NotImplementedError(f"{type(self).__name__} does not define get_output_for")

    def add_param(self, spec, shape, name=None, **tags):
        """Register a parameter made from ``spec`` (an initializer, a numpy array or a shared
        variable) with ``shape``; tags default to trainable=True, regularizable=True."""
        if name is not None and self.name is not None:
            name = f"{self.name}.{name}"
        param = create_param(spec, shape, name, owner=self)
        tags.setdefault("trainable", True)
        tags.setdefault("regularizable", True)
        self.params[param] = {tag for tag, value in tags.items() if value}
        return param


class MergeLayer(Layer):
    """A layer with several inputs: ``incomings`` is a list of layers or shape tuples."""

    def __init__(self, incomings, name=None):
        for i in incomings:
            if not isinstance(i, (tuple, Layer)):
                raise TypeError(f"{type(self).__name__}: each incoming must be a layer or a shape tuple, "
                                f"got {type(i).__name__} {i!r}")
        self.input_shapes = [i if isinstance(i, tuple) else i.output_shape for i in incomings]
        self.input_layers = [None if isinstance(i, tuple) else i for i in incomings]
        self._start(name, self.input_shapes)

    @Layer.output_shape.getter
    def output_shape(self):
        return self.get_output_shape_for(self.input_shapes)

    def get_output_shape_for(self, input_shapes):
        raise NotImplementedError(f"{type(self).__name__} does not define get_output_shape_for")

    def get_output_for(self, inputs, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define get_output_for")


def create_param(spec, shape, name=None, owner=None):
    """A shared variable of ``shape`` from ``spec``: a shared variable (used as is), a numpy array
    (copied) or a callable initializer (called with the shape)."""
    shape = tuple(int(s) for s in shape)
    where = f"{owner!r}, parameter {name or '(unnamed)'}"
    if any(s <= 0 for s in shape):
        raise ValueError(f"{where}: cannot create a parameter with a non-positive shape {shape}")
    if isinstance(spec, SharedVariable):
        if spec.ndim != len(shape):
            raise ValueError(f"{where}: the shared variable {spec!r} has {spec.ndim} dims, expected {len(shape)} "
                             f"(shape {shape})")
        actual = spec.get_value(borrow=True).shape
        if actual != shape:
            raise ValueError(f"{where}: the shared variable {spec!r} has shape {actual}, expected {shape}")
        if spec.name is None:
            spec.name = name
        return spec
    if isinstance(spec, Variable):
        raise TypeError(f"{where}: parameters must be shared variables, arrays or initializers; "
                        f"got the expression {spec!r}")
    if isinstance(spec, np.ndarray):
        if spec.shape != shape:
            raise ValueError(f"{where}: the array has shape {spec.shape}, expected {shape}")
        return shared(spec.copy(), name=name)
    if callable(spec):
        value = np.asarray(spec(shape))
        if value.shape != shape:
            raise RuntimeError(f"{where}: the initializer {spec!r} returned shape {value.shape}, expected {shape}")
        return shared(value, name=name)
    raise TypeError(f"{where}: cannot make a parameter from {type(spec).__name__} {spec!r}; pass an "
                    "initializer (e.g. init.GlorotUniform()), a numpy array or a shared variable")
