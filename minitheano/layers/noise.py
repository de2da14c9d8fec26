"""Noise layers, active in training only: ``get_output(..., deterministic=True)`` makes them
the identity. Their random streams advance on every call of the compiled function."""
from ..random import RandomStreams, get_rng
from .base import Layer


def _seeded_streams():
    """A RandomStreams seeded from the global generator, so ``set_seed`` makes it reproducible."""
    return RandomStreams(int(get_rng().integers(1, 2**31 - 1)))


def _sample_shape(layer, input, shared_axes=()):
    """The input's shape as ints where the layer knows them (symbolic elsewhere), 1 on shared axes."""
    return tuple(1 if axis in shared_axes else (input.shape[axis] if size is None else size)
                 for axis, size in enumerate(layer.input_shape))


class DropoutLayer(Layer):
    """Sets each input to zero with probability ``p``; with ``rescale`` the survivors are
    divided by 1 - p so the expected output equals the input. ``shared_axes`` share one mask
    value along those axes (e.g. (2, 3): drop whole feature maps)."""

    def __init__(self, incoming, p=0.5, rescale=True, shared_axes=(), **kwargs):
        super().__init__(incoming, **kwargs)
        if not 0 <= p < 1:
            raise ValueError(f"{self!r}: the drop probability p must be in [0, 1), got {p}")
        self._srng = _seeded_streams()
        self.p = p
        self.rescale = rescale
        self.shared_axes = tuple(a % len(self.input_shape) for a in shared_axes)

    def get_output_for(self, input, deterministic=False, **kwargs):
        if deterministic or self.p == 0:
            return input
        retain = 1.0 - self.p
        if self.rescale:
            input = input / retain
        mask = self._srng.binomial(_sample_shape(self, input, self.shared_axes), p=retain, dtype=input.dtype)
        return input * mask


dropout = DropoutLayer


def dropout_channels(incoming, *args, **kwargs):
    """Dropout of whole channels: one mask value per example and channel (axis 1)."""
    ndim = len(getattr(incoming, "output_shape", incoming))
    kwargs["shared_axes"] = tuple(range(2, ndim))
    return DropoutLayer(incoming, *args, **kwargs)


spatial_dropout = dropout_channels


class GaussianNoiseLayer(Layer):
    """Adds Gaussian noise with standard deviation ``sigma`` during training."""

    def __init__(self, incoming, sigma=0.1, **kwargs):
        super().__init__(incoming, **kwargs)
        self._srng = _seeded_streams()
        self.sigma = sigma

    def get_output_for(self, input, deterministic=False, **kwargs):
        if deterministic or self.sigma == 0:
            return input
        return input + self._srng.normal(_sample_shape(self, input), std=self.sigma, dtype=input.dtype)
