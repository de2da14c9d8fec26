"""Random sampling ops with explicit state, so a compiled function draws new numbers each call.

The state is a shared int64 vector ``[seed, counter]``. A ``RandomOp`` node returns the next
state and a sample drawn from a generator seeded by that pair; ``RandomStreams`` registers
the next state as the shared variable's ``default_update``, so every call advances it.
"""
import numpy as np

from ..backend import to_host
from ..graph import Apply, Op, TensorType, as_variable
from ..kernels import bernoulli
from .shape import _static_dims


class RandomOp(Op):
    """Sample ``dist`` ('uniform', 'normal' or 'binomial') of a given shape: (state, shape, *params)."""

    __props__ = ("dist", "dtype", "ndim")
    random = True

    def __init__(self, dist, dtype, ndim):
        if dist not in ("uniform", "normal", "binomial"):
            raise ValueError(f"unknown distribution {dist!r}")
        self.dist, self.dtype, self.ndim = dist, np.dtype(dtype).name, ndim

    def make_node(self, state, shape, *params):
        params = [as_variable(p) for p in params]
        return Apply(self, [state, shape, *params],
                     [state.type, TensorType(self.dtype, _static_dims(shape, self.ndim))])

    def perform(self, xp, state, shape, *params):
        host_state = to_host(state)
        rng = np.random.default_rng([int(host_state[0]), int(host_state[1])])
        shape = tuple(int(s) for s in to_host(shape))
        params = [float(to_host(p)) for p in params]
        if self.dist == "uniform":
            sample = rng.uniform(params[0], params[1], size=shape)
        elif self.dist == "normal":
            sample = rng.normal(params[0], params[1], size=shape)
        else:
            sample = _bernoulli(rng, shape, params[0])
        next_state = host_state.copy()
        next_state[1] += 1
        return xp.asarray(next_state), xp.asarray(sample, dtype=self.dtype)

    def grad(self, node, grads):
        return [None] * len(node.inputs)

    def pp(self, node, args):
        return f"{self.dist}({', '.join(args[1:])})"


def _bernoulli(rng, shape, p):
    """float32 0/1 draws, 1 with probability ``p``: one raw 32-bit word per draw compared with
    p * 2**32 (exact to 2**-32, where a float32 uniform has 2**-24), twice as fast as comparing
    float32 uniforms: the generator's 64-bit words are used whole, two draws each."""
    size = int(np.prod(shape))
    threshold = round(min(max(p, 0.0), 1.0) * 2.0**32)
    if threshold >= 2**32:
        return np.ones(shape, dtype=np.float32)
    compiled = bernoulli.draws(rng, size, threshold)  # the same words, in one compiled loop
    if compiled is not None:
        return compiled.reshape(shape)
    words = rng.bit_generator.random_raw((size + 1) // 2).view(np.uint32)[:size].reshape(shape)
    return np.less(words, np.uint32(threshold), out=np.empty(shape, dtype=np.float32), casting="unsafe")
