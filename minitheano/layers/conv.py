"""2D convolution layers (batch, channels, rows, columns), as in Lasagne."""
from .. import init, nonlinearities
from ..ops.conv import conv2d
from ..shapes import as_tuple, conv_output_length
from .base import Layer


class Conv2DLayer(Layer):
    """nonlinearity(conv2d(x, W) + b) with W of shape (num_filters, channels, h, w).

    ``pad``: an int or pair (zeros on each side), 'valid' (0), 'full' (filter - 1) or 'same'
    (output as large as the input; odd filter sizes). ``flip_filters=True`` computes a true
    convolution (Lasagne's default); False computes a cross-correlation.
    """

    def __init__(self, incoming, num_filters, filter_size, stride=1, pad=0, untie_biases=False,
                 W=init.GlorotUniform(), b=init.Constant(0.0), nonlinearity=nonlinearities.rectify,
                 flip_filters=True, convolution=None, **kwargs):
        super().__init__(incoming, **kwargs)
        if len(self.input_shape) != 4:
            raise ValueError(f"{self!r}: expects 4-d input (batch, channels, rows, cols), got shape "
                             f"{self.input_shape}")
        self.nonlinearity = nonlinearities.identity if nonlinearity is None else nonlinearity
        self.num_filters = int(num_filters)
        self.filter_size = as_tuple(filter_size, 2, "filter_size")
        self.stride = as_tuple(stride, 2, "stride")
        self.untie_biases = untie_biases
        self.flip_filters = flip_filters
        self.convolution = convolution
        if pad == "same" and any(s % 2 == 0 for s in self.filter_size):
            raise NotImplementedError(f"{self!r}: pad='same' needs odd filter sizes, got {self.filter_size}")
        if pad == "valid":
            self.pad = (0, 0)
        elif pad in ("full", "same"):
            self.pad = pad
        else:
            self.pad = as_tuple(pad, 2, "pad")
        if self.input_shape[1] is None:
            raise ValueError(f"{self!r}: the number of input channels must be known, got shape {self.input_shape}")
        self.W = self.add_param(W, self.get_W_shape(), name="W")
        if b is None:
            self.b = None
        else:
            b_shape = (self.num_filters,) + tuple(self.output_shape[2:]) if untie_biases else (self.num_filters,)
            self.b = self.add_param(b, b_shape, name="b", regularizable=False)

    def get_W_shape(self):
        return (self.num_filters, self.input_shape[1]) + self.filter_size

    def get_output_shape_for(self, input_shape):
        pad = self.pad if isinstance(self.pad, tuple) else (self.pad,) * 2
        return (input_shape[0], self.num_filters) + tuple(
            conv_output_length(n, f, s, p) for n, f, s, p in zip(input_shape[2:], self.filter_size, self.stride, pad))

    def convolve(self, input, **kwargs):
        convolution = self.convolution or conv2d
        border_mode = "half" if self.pad == "same" else self.pad
        return convolution(input, self.W, self.input_shape, self.get_W_shape(), subsample=self.stride,
                           border_mode=border_mode, filter_flip=self.flip_filters)

    def get_output_for(self, input, **kwargs):
        conved = self.convolve(input, **kwargs)
        if self.b is None:
            activation = conved
        elif self.untie_biases:
            activation = conved + self.b.dimshuffle("x", 0, 1, 2)
        else:
            activation = conved + self.b.dimshuffle("x", 0, "x", "x")
        return self.nonlinearity(activation)
