"""Weight penalties (Lasagne's ``regularization``): add ``lambda * penalty`` to the loss.

    loss = loss + 1e-4 * regularize_network_params(net, l2)
"""
from .layers.base import Layer
from .layers.helper import get_all_params
from . import tensor as T


def l1(x):
    """sum(|x|)."""
    return T.sum(abs(x))


def l2(x):
    """sum(x**2) (no 1/2)."""
    return T.sum(T.square(x))


def apply_penalty(tensor_or_tensors, penalty, **kwargs):
    """The penalty of one tensor, or the sum over a list of tensors."""
    if isinstance(tensor_or_tensors, (list, tuple)):
        total = 0
        for x in tensor_or_tensors:
            total = total + penalty(x, **kwargs)
        return total
    return penalty(tensor_or_tensors, **kwargs)


def regularize_layer_params(layer, penalty, tags={"regularizable": True}, **kwargs):  # noqa: B006
    """The penalty over the parameters (with ``tags``) of one layer or a list of layers."""
    layers = [layer] if isinstance(layer, Layer) else list(layer)
    params = [p for each in layers for p in each.get_params(**tags)]
    return apply_penalty(params, penalty, **kwargs)


def regularize_layer_params_weighted(layers, penalty, tags={"regularizable": True}, **kwargs):  # noqa: B006
    """sum over {layer: coefficient} of coefficient * the penalty of that layer's parameters."""
    total = 0
    for layer, coeff in layers.items():
        total = total + coeff * apply_penalty(layer.get_params(**tags), penalty, **kwargs)
    return total


def regularize_network_params(layer, penalty, tags={"regularizable": True}, **kwargs):  # noqa: B006
    """The penalty over every parameter (with ``tags``) of the network ending in ``layer``:
    by default the weights, not the biases."""
    return apply_penalty(get_all_params(layer, **tags), penalty, **kwargs)


__all__ = ["l1", "l2", "apply_penalty", "regularize_layer_params", "regularize_layer_params_weighted",
           "regularize_network_params"]
