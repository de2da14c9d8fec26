"""Functions over whole networks: outputs, shapes, layers, parameters, saving and loading.

A network is known by its output layer(s); everything it depends on is found by walking
the ``input_layer`` / ``input_layers`` links.
"""
import inspect
import os
import warnings
from collections import deque

import numpy as np

from ..graph import as_variable
from .base import MergeLayer
from .input import InputLayer


def get_all_layers(layer, treat_as_input=None):
    """Every layer ``layer`` (one or a list) depends on, each after its inputs (depth first).
    Layers in ``treat_as_input`` are included but not looked behind."""
    queue = deque(layer) if isinstance(layer, (list, tuple)) else deque([layer])
    seen = set(treat_as_input or ())
    done, result = set(), []
    while queue:
        current = queue[0]
        if current is None:
            queue.popleft()
        elif current not in seen:
            seen.add(current)
            if hasattr(current, "input_layers"):
                queue.extendleft(reversed(current.input_layers))
            elif hasattr(current, "input_layer"):
                queue.appendleft(current.input_layer)
        else:
            queue.popleft()
            if current not in done:
                result.append(current)
                done.add(current)
    return result


def _accepted_kwargs(layer):
    try:
        parameters = inspect.signature(layer.get_output_for).parameters.values()
    except (TypeError, ValueError):
        return set()
    return {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def get_output(layer_or_layers, inputs=None, deterministic=False, **kwargs):
    """The symbolic output of a layer (or a list of outputs for a list of layers).

    ``inputs``: an expression for the single input layer, or {layer: expression} to feed any
    layers. ``deterministic=True`` turns off noise (dropout) and makes batch norm use its
    running averages: use it for validation and test outputs.
    """
    kwargs["deterministic"] = deterministic
    treat_as_input = list(inputs) if isinstance(inputs, dict) else []
    all_layers = get_all_layers(layer_or_layers, treat_as_input)
    outputs = {layer: layer.input_var for layer in all_layers
               if isinstance(layer, InputLayer) and layer not in treat_as_input}
    if isinstance(inputs, dict):
        outputs.update((layer, as_variable(expr)) for layer, expr in inputs.items())
    elif inputs is not None:
        if len(outputs) > 1:
            raise ValueError("get_output: the network has several input layers; pass inputs as "
                             "{input_layer: expression}")
        for layer in outputs:
            outputs[layer] = as_variable(inputs)
    accepted = {"deterministic"}
    for layer in all_layers:
        if layer in outputs:
            continue
        try:
            if isinstance(layer, MergeLayer):
                layer_inputs = [outputs[i] for i in layer.input_layers]
            else:
                layer_inputs = outputs[layer.input_layer]
        except KeyError:
            raise ValueError(f"get_output: {layer!r} has no input layer (it was built from a shape tuple); give "
                             "its input expression with inputs={layer: expression}") from None
        outputs[layer] = layer.get_output_for(layer_inputs, **kwargs)
        accepted |= _accepted_kwargs(layer) | set(layer.get_output_kwargs)
    unused = set(kwargs) - accepted
    if unused:
        warnings.warn(f"get_output: no layer uses the keyword argument(s) {sorted(unused)}", stacklevel=2)
    if isinstance(layer_or_layers, (list, tuple)):
        return [outputs[layer] for layer in layer_or_layers]
    return outputs[layer_or_layers]


def get_output_shape(layer_or_layers, input_shapes=None):
    """The output shape(s), for the layers' own input shapes or for ``input_shapes`` (one shape
    for the single input layer, or {input_layer: shape})."""
    many = isinstance(layer_or_layers, (list, tuple))
    if input_shapes is None:
        return [layer.output_shape for layer in layer_or_layers] if many else layer_or_layers.output_shape
    treat_as_input = list(input_shapes) if isinstance(input_shapes, dict) else []
    all_layers = get_all_layers(layer_or_layers, treat_as_input)
    shapes = {layer: layer.output_shape for layer in all_layers
              if isinstance(layer, InputLayer) and layer not in treat_as_input}
    if isinstance(input_shapes, dict):
        shapes.update((layer, tuple(shape)) for layer, shape in input_shapes.items())
    else:
        if len(shapes) > 1:
            raise ValueError("get_output_shape: the network has several input layers; pass "
                             "{input_layer: shape}")
        for layer in shapes:
            shapes[layer] = tuple(input_shapes)
    for layer in all_layers:
        if layer not in shapes:
            if isinstance(layer, MergeLayer):
                shapes[layer] = layer.get_output_shape_for([shapes[i] for i in layer.input_layers])
            else:
                shapes[layer] = layer.get_output_shape_for(shapes[layer.input_layer])
    return [shapes[layer] for layer in layer_or_layers] if many else shapes[layer_or_layers]


def _unique(items):
    seen, result = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


def get_all_params(layer, **tags):
    """The parameters of every layer in the network, each once, filtered by tags
    (``trainable=True``: what the updates should change; ``regularizable=True``: what a
    weight penalty should apply to)."""
    return _unique(p for each in get_all_layers(layer) for p in each.get_params(**tags))


def count_params(layer, **tags):
    """The number of scalar parameters in the network (filtered by tags)."""
    return int(sum(int(np.prod(p.get_value(borrow=True).shape)) for p in get_all_params(layer, **tags)))


def get_all_param_values(layer, **tags):
    """Copies of the values of every parameter (running averages of batch norm included,
    unless tags exclude them), in the order of get_all_params."""
    return [p.get_value() for p in get_all_params(layer, **tags)]


def _describe_params(layer, **tags):
    """'parameter i (name, of LayerType number k)' for each parameter, for error messages."""
    where = {}
    for k, each in enumerate(get_all_layers(layer)):
        for p in each.get_params(**tags):
            where.setdefault(p, f"{p.name or 'unnamed'} of {each!r}, layer {k}")
    return [f"parameter {i} ({where[p]})" for i, p in enumerate(get_all_params(layer, **tags))]


def set_all_param_values(layer, values, **tags):
    """Set every parameter (in the order of get_all_params) from the list ``values``."""
    params = get_all_params(layer, **tags)
    values = list(values)
    if len(values) != len(params):
        raise ValueError(f"set_all_param_values: got {len(values)} values for the {len(params)} parameters of "
                         "the network (is it the same architecture?)")
    described = _describe_params(layer, **tags)
    checked = []
    for p, v, what in zip(params, values, described):
        v = np.asarray(v)
        current = p.get_value(borrow=True)
        if v.shape != current.shape:
            raise ValueError(f"set_all_param_values: {what} has shape {current.shape}, but the value to set has "
                             f"shape {v.shape}")
        if v.dtype.kind != current.dtype.kind:
            raise TypeError(f"set_all_param_values: {what} has dtype {current.dtype}, the value {v.dtype}")
        checked.append(v.astype(current.dtype, copy=False))
    for p, v in zip(params, checked):
        p.set_value(v)


def save_params(layer, path, **tags):
    """Save every parameter value to the .npz file ``path`` (as arr_0, arr_1, ..., the layout of
    ``np.savez(path, *get_all_param_values(layer))``)."""
    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"
    np.savez(path, *get_all_param_values(layer, **tags))
    return path


def load_params(layer, path, **tags):
    """Load parameter values saved by save_params into a network of the same architecture."""
    path = os.fspath(path)
    if not os.path.exists(path) and os.path.exists(path + ".npz"):
        path += ".npz"
    with np.load(path) as f:
        keys = [f"arr_{i}" for i in range(len(f.files))]
        if sorted(keys) != sorted(f.files):
            raise ValueError(f"load_params: {path} holds the arrays {sorted(f.files)}, expected arr_0, arr_1, ... "
                             "(a file written by save_params or np.savez(path, *values))")
        values = [f[k] for k in keys]
    params = get_all_params(layer, **tags)
    if len(values) != len(params):
        raise ValueError(f"load_params: {path} holds {len(values)} arrays, but the network has {len(params)} "
                         "parameters (is it the same architecture?)")
    for value, p, what in zip(values, params, _describe_params(layer, **tags)):
        current = p.get_value(borrow=True).shape
        if value.shape != current:
            raise ValueError(f"load_params: {what} has shape {current}, but {path} holds an array of shape "
                             f"{value.shape} for it (is it the same architecture?)")
    set_all_param_values(layer, values, **tags)


__all__ = ["get_all_layers", "get_output", "get_output_shape", "get_all_params", "count_params",
           "get_all_param_values", "set_all_param_values", "save_params", "load_params"]
