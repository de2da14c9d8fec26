"""Lasagne-style layers: build a network layer by layer, then ``get_output`` gives its symbolic
output and ``get_all_params`` its parameters.

    from minitheano import layers
    net = layers.InputLayer((None, 784), input_var=X)
    net = layers.DenseLayer(layers.DropoutLayer(net, p=0.2), 500)
    net = layers.DenseLayer(net, 10, nonlinearity=nonlinearities.softmax)
    out = layers.get_output(net)                      # training: dropout on
    test_out = layers.get_output(net, deterministic=True)
"""
from .base import Layer, MergeLayer, create_param
from .conv import Conv2DLayer
from .dense import DenseLayer
from .helper import (count_params, get_all_layers, get_all_param_values, get_all_params, get_output,
                     get_output_shape, load_params, save_params, set_all_param_values)
from .input import InputLayer
from .merge import ConcatLayer, ElemwiseSumLayer, concat
from .noise import DropoutLayer, GaussianNoiseLayer, dropout, dropout_channels, spatial_dropout
from .normalization import BatchNormLayer, batch_norm
from .pool import MaxPool2DLayer, Pool2DLayer
from .shape import DimshuffleLayer, FlattenLayer, ReshapeLayer, dimshuffle, flatten, reshape
from .special import ExpressionLayer, NonlinearityLayer

__all__ = [
    "Layer", "MergeLayer", "create_param", "InputLayer", "DenseLayer", "Conv2DLayer", "Pool2DLayer",
    "MaxPool2DLayer", "DropoutLayer", "dropout", "dropout_channels", "spatial_dropout", "GaussianNoiseLayer",
    "BatchNormLayer", "batch_norm", "NonlinearityLayer", "ExpressionLayer", "FlattenLayer", "flatten",
    "ReshapeLayer", "reshape", "DimshuffleLayer", "dimshuffle", "ConcatLayer", "concat", "ElemwiseSumLayer",
    "get_output", "get_output_shape", "get_all_layers", "get_all_params", "count_params",
    "get_all_param_values", "set_all_param_values", "save_params", "load_params",
]
