"""Layers that only change the shape of their input."""
import numpy as np

from .. import tensor as T
from .base import Layer


class FlattenLayer(Layer):
    """Keeps the first ``outdim - 1`` axes and merges the rest: (b, c, h, w) -> (b, c*h*w)."""

    def __init__(self, incoming, outdim=2, **kwargs):
        super().__init__(incoming, **kwargs)
        if outdim < 1:
            raise ValueError(f"{self!r}: outdim must be at least 1, got {outdim}")
        self.outdim = outdim

    def get_output_shape_for(self, input_shape):
        rest = input_shape[self.outdim - 1:]
        merged = None if any(s is None for s in rest) else int(np.prod(rest))
        return tuple(input_shape[:self.outdim - 1]) + (merged,)

    def get_output_for(self, input, **kwargs):
        return input.flatten(self.outdim)


flatten = FlattenLayer


class ReshapeLayer(Layer):
    """Reshapes to ``shape``: each entry an int, -1 (inferred, at most once) or [i] (the size
    of input axis i, e.g. [0] keeps the batch size)."""

    def __init__(self, incoming, shape, **kwargs):
        super().__init__(incoming, **kwargs)
        shape = tuple(shape)
        for s in shape:
            ok = (isinstance(s, int) and s >= -1 and s != 0) or (
                isinstance(s, list) and len(s) == 1 and isinstance(s[0], int) and 0 <= s[0] < len(self.input_shape))
            if not ok:
                raise ValueError(f"{self!r}: shape entries must be positive ints, -1 or [i] with i an input axis, "
                                 f"got {s!r} in {shape}")
        if sum(s == -1 for s in shape) > 1:
            raise ValueError(f"{self!r}: at most one -1 in {shape}")
        self.shape = shape
        self.get_output_shape_for(self.input_shape)  # fail now, not at get_output

    def get_output_shape_for(self, input_shape):
        out = [input_shape[s[0]] if isinstance(s, list) else s for s in self.shape]
        # Axes copied with [i] cancel out of the element count on both sides.
        rest_in = list(input_shape)
        rest_out = list(out)
        for axis, s in enumerate(self.shape):
            if isinstance(s, list):
                rest_in[s[0]], rest_out[axis] = 1, 1
        known_in = None if None in rest_in else int(np.prod(rest_in))
        known_out = [s for s in rest_out if s != -1]
        if known_in is None or None in known_out:
            return tuple(None if s == -1 else s for s in out)
        size = int(np.prod(known_out))
        if -1 in out:
            if size == 0 or known_in % size:
                raise ValueError(f"{self!r}: cannot reshape input of shape {input_shape} to {self.shape}")
            return tuple(known_in // size if s == -1 else s for s in out)
        if size != known_in:
            raise ValueError(f"{self!r}: cannot reshape input of shape {input_shape} to {self.shape}")
        return tuple(out)

    def get_output_for(self, input, **kwargs):
        shape = tuple(input.shape[s[0]] if isinstance(s, list) else s for s in self.shape)
        return T.reshape(input, shape, ndim=len(shape))


reshape = ReshapeLayer


class DimshuffleLayer(Layer):
    """Reorders axes by ``pattern`` (ints and 'x' for new broadcastable axes), as dimshuffle."""

    def __init__(self, incoming, pattern, **kwargs):
        super().__init__(incoming, **kwargs)
        self.pattern = tuple(pattern)

    def get_output_shape_for(self, input_shape):
        return tuple(1 if p == "x" else input_shape[p] for p in self.pattern)

    def get_output_for(self, input, **kwargs):
        return input.dimshuffle(*self.pattern)


dimshuffle = DimshuffleLayer
