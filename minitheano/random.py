"""One place for seeds: parameter initialisation and random streams (dropout masks) draw from here.

``set_seed(n)`` makes everything after it reproducible: the initialisers' generator and the
default seed of new ``RandomStreams``.
"""
import numpy as np

from .config import config
from .graph import shared
from .ops.random import RandomOp
from .ops.shape import as_shape

DEFAULT_SEED = 1234
_seed = DEFAULT_SEED
_rng = np.random.default_rng(_seed)
_streams_made = 0


def set_seed(seed):
    """Reset the global generator used by ``init`` and by streams created without a seed."""
    global _seed, _rng, _streams_made
    _seed, _rng, _streams_made = int(seed), np.random.default_rng(int(seed)), 0


def get_rng():
    """The global numpy Generator (parameter initialisation draws from it)."""
    return _rng


class RandomStreams:
    """Symbolic random numbers: each call makes a new stream whose state advances every time
    a compiled function that uses it runs (a new dropout mask on every training step).
    """

    def __init__(self, seed=None):
        global _streams_made
        if seed is None:
            seed = _seed * 1_000_003 + _streams_made
            _streams_made += 1
        self.seed = int(seed)
        self.n_streams = 0

    def _sample(self, dist, size, params, dtype):
        shape = as_shape(size)
        ndim = shape.type.shape[0]
        if ndim is None:
            raise ValueError(f"the size of a random sample must have a known number of dims, got {size!r}")
        state = shared(np.array([self.seed, self.n_streams << 32], dtype="int64"), name=f"rng_state{self.n_streams}")
        self.n_streams += 1
        next_state, sample = RandomOp(dist, dtype, int(ndim))(state, shape, *params)
        state.default_update = next_state
        return sample

    def uniform(self, size, low=0.0, high=1.0, dtype=None):
        return self._sample("uniform", size, [low, high], dtype or config.floatX)

    def normal(self, size, avg=0.0, std=1.0, dtype=None):
        return self._sample("normal", size, [avg, std], dtype or config.floatX)

    def binomial(self, size, n=1, p=0.5, dtype="int64"):
        """Bernoulli draws (n must be 1): 1 with probability ``p``."""
        if n != 1:
            raise NotImplementedError("binomial supports n=1 (Bernoulli) only")
        return self._sample("binomial", size, [p], dtype)

