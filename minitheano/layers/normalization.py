"""Batch normalisation (Ioffe & Szegedy 2015), as Lasagne's BatchNormLayer and batch_norm()."""
from .. import init, nonlinearities
from .. import tensor as T
from ..graph import Variable
from ..ops.depend import depend
from .base import Layer
from .special import NonlinearityLayer


class _SharedAlias(T.TensorSharedVariable):
    """A second variable for the value of ``target``: reading and updating one is reading and
    updating the other. Its ``default_update`` belongs to the alias only, so graphs that
    contain the alias update the running averages and graphs that contain only ``target``
    (deterministic outputs) do not."""

    def __init__(self, target):
        # The value is the target's (``container`` below), so SharedVariable's own storage is skipped.
        Variable.__init__(self, target.type, name=target.name)
        self.default_update = None
        self.target = target

    @property
    def container(self):
        return self.target.container

    @container.setter
    def container(self, value):
        self.target.container = value


class BatchNormLayer(Layer):
    """Normalises each feature over ``axes`` ('auto': all but axis 1, the features/channels),
    then scales by ``gamma`` and shifts by ``beta``.

    Training (``deterministic=False``): uses the batch mean and inverse standard deviation and
    moves the running averages ``mean`` and ``inv_std`` a fraction ``alpha`` toward them on
    every call of the compiled function (through default updates, so no extra ``updates``).
    Deterministic: uses the running averages. Pass ``batch_norm_use_averages`` /
    ``batch_norm_update_averages`` to get_output to choose each behaviour independently.
    """

    def __init__(self, incoming, axes="auto", epsilon=1e-4, alpha=0.1, beta=init.Constant(0),
                 gamma=init.Constant(1), mean=init.Constant(0), inv_std=init.Constant(1), **kwargs):
        super().__init__(incoming, **kwargs)
        ndim = len(self.input_shape)
        if axes == "auto":
            axes = (0,) + tuple(range(2, ndim))
        elif isinstance(axes, int):
            axes = (axes,)
        self.axes = tuple(a % ndim for a in axes)
        self.epsilon = epsilon
        self.alpha = alpha
        shape = [size for axis, size in enumerate(self.input_shape) if axis not in self.axes]
        if any(size is None for size in shape):
            raise ValueError(f"{self!r}: needs known input sizes on the axes it does not normalise over "
                             f"(input shape {self.input_shape}, axes {self.axes})")
        self.beta = None if beta is None else self.add_param(beta, shape, "beta", trainable=True, regularizable=False)
        self.gamma = None if gamma is None else self.add_param(gamma, shape, "gamma", trainable=True,
                                                               regularizable=True)
        self.mean = self.add_param(mean, shape, "mean", trainable=False, regularizable=False)
        self.inv_std = self.add_param(inv_std, shape, "inv_std", trainable=False, regularizable=False)

    def get_output_for(self, input, deterministic=False, batch_norm_use_averages=None,
                       batch_norm_update_averages=None, **kwargs):
        use_averages = deterministic if batch_norm_use_averages is None else batch_norm_use_averages
        update_averages = (not deterministic) if batch_norm_update_averages is None else batch_norm_update_averages
        if update_averages or not use_averages:
            batch_mean = input.mean(self.axes)
            batch_inv_std = 1.0 / T.sqrt(input.var(self.axes) + self.epsilon)
        mean, inv_std = (self.mean, self.inv_std) if use_averages else (batch_mean, batch_inv_std)
        if update_averages:
            running_mean, running_inv_std = _SharedAlias(self.mean), _SharedAlias(self.inv_std)
            for running, batch in ((running_mean, batch_mean), (running_inv_std, batch_inv_std)):
                running.default_update = T.cast((1 - self.alpha) * running + self.alpha * batch, running.dtype)
            # The aliases ride along with the output, so compiling it runs their updates.
            mean = depend(mean, running_mean)
            inv_std = depend(inv_std, running_inv_std)
        kept = iter(range(input.ndim - len(self.axes)))
        pattern = ["x" if axis in self.axes else next(kept) for axis in range(input.ndim)]
        beta = 0 if self.beta is None else self.beta.dimshuffle(pattern)
        gamma = 1 if self.gamma is None else self.gamma.dimshuffle(pattern)
        return (input - mean.dimshuffle(pattern)) * (gamma * inv_std.dimshuffle(pattern)) + beta


def batch_norm(layer, **kwargs):
    """Put batch normalisation after ``layer``: its bias is removed (beta takes its place) and
    its nonlinearity is moved after the normalisation. Returns the new top layer."""
    nonlinearity = getattr(layer, "nonlinearity", None)
    if nonlinearity is not None:
        layer.nonlinearity = nonlinearities.identity
    if getattr(layer, "b", None) is not None:
        del layer.params[layer.b]
        layer.b = None
    bn_name = kwargs.pop("name", None) or (layer.name and layer.name + "_bn")
    layer = BatchNormLayer(layer, name=bn_name, **kwargs)
    if nonlinearity is not None and nonlinearity is not nonlinearities.identity:
        layer = NonlinearityLayer(layer, nonlinearity, name=bn_name and bn_name + "_nonlin")
    return layer
