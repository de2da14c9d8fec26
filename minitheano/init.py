"""Parameter initialisers (Lasagne's ``init``): callables that take a shape and return a
floatX numpy array, drawn from the one seeded generator ``minitheano.random.get_rng()``.

    W = init.GlorotUniform(gain='relu')((784, 500))
"""
import numpy as np

from .config import config
from .random import get_rng


def _floatx(array):
    return np.asarray(array, dtype=config.floatX)


def _gain(gain):
    """A gain factor: a number, or 'relu' for sqrt(2) (He et al.)."""
    if gain == "relu":
        return float(np.sqrt(2))
    if isinstance(gain, str):
        raise ValueError(f"gain must be a number or 'relu', not {gain!r}")
    return float(gain)


class Initializer:
    """Base class: ``init(shape)`` returns a new floatX array of that shape."""

    def __call__(self, shape):
        return self.sample(tuple(int(s) for s in shape))

    def sample(self, shape):
        raise NotImplementedError

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


class Constant(Initializer):
    """Every entry equal to ``val``."""

    def __init__(self, val=0.0):
        self.val = val

    def sample(self, shape):
        return _floatx(np.full(shape, self.val))


class Normal(Initializer):
    """Gaussian with standard deviation ``std`` and mean ``mean``."""

    def __init__(self, std=0.01, mean=0.0):
        self.std, self.mean = std, mean

    def sample(self, shape):
        return _floatx(get_rng().normal(self.mean, self.std, size=shape))


class Uniform(Initializer):
    """Uniform on ``range`` (a number r means [-r, r], a pair means [lo, hi]), or, given ``std``,
    on the interval around ``mean`` with that standard deviation."""

    def __init__(self, range=0.01, std=None, mean=0.0):
        if std is not None:
            a, b = mean - np.sqrt(3) * std, mean + np.sqrt(3) * std
        elif isinstance(range, (tuple, list)):
            a, b = range
        else:
            a, b = -range, range
        self.range = (float(a), float(b))

    def sample(self, shape):
        return _floatx(get_rng().uniform(self.range[0], self.range[1], size=shape))


def _need_2d(name, shape):
    if len(shape) < 2:
        raise RuntimeError(f"{name} needs a shape with at least 2 dims (fan-in and fan-out), got {shape}")


class _FanScaled(Initializer):
    """Samples from ``initializer`` (Normal or Uniform) with a std computed from the shape's fans."""

    initializer = None

    def __init__(self, initializer=None, gain=1.0):
        if initializer is not None:
            self.initializer = initializer
        self.gain = _gain(gain)

    def std(self, shape):
        raise NotImplementedError

    def sample(self, shape):
        _need_2d(type(self).__name__, shape)
        return self.initializer(std=self.std(shape)).sample(shape)


class Glorot(_FanScaled):
    """Glorot/Xavier: std = gain * sqrt(2 / ((fan_in + fan_out) * receptive field size)).

    For a dense W (n_in, n_out) the fans are the two dims; for conv filters
    (n_out, n_in, h, w) they are the first two dims times h*w (as in Lasagne).
    """

    def std(self, shape):
        _need_2d(type(self).__name__, shape)
        n1, n2 = shape[:2]
        receptive_field = int(np.prod(shape[2:]))
        return self.gain * np.sqrt(2.0 / ((n1 + n2) * receptive_field))


class GlorotUniform(Glorot):
    """Glorot with a uniform distribution: U(-a, a), a = std * sqrt(3)."""

    def __init__(self, gain=1.0):
        super().__init__(Uniform, gain)


class GlorotNormal(Glorot):
    """Glorot with a Gaussian distribution."""

    def __init__(self, gain=1.0):
        super().__init__(Normal, gain)


class He(_FanScaled):
    """He/Kaiming: std = gain * sqrt(1 / fan_in); fan_in is shape[0] for a dense W
    (n_in, n_out) and prod(shape[1:]) for conv filters (n_out, n_in, h, w)."""

    def std(self, shape):
        _need_2d(type(self).__name__, shape)
        fan_in = shape[0] if len(shape) == 2 else int(np.prod(shape[1:]))
        return self.gain * np.sqrt(1.0 / fan_in)


class HeNormal(He):
    def __init__(self, gain=1.0):
        super().__init__(Normal, gain)


class HeUniform(He):
    def __init__(self, gain=1.0):
        super().__init__(Uniform, gain)


__all__ = ["Initializer", "Constant", "Normal", "Uniform", "Glorot", "GlorotUniform", "GlorotNormal",
           "He", "HeNormal", "HeUniform"]
