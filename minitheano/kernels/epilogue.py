"""Finishing a kernel's result chunk by chunk while it is still in the cache: an elementwise
chain (a bias, a relu, a relu's gradient mask) applied to each chunk a kernel has just written.

A kernel that accepts an ``Epilogue`` calls it on every (n, rows, cols, channels) chunk of its
channels-last result, images b..e-1, right after writing the chunk. The chain runs on rows of
the chunk's memory (``fused.channels_last_rows``: other maps sliced to the same images,
per-channel values tiled along a row); other operands are broadcast as they are.
"""
import numpy as np

from .fused import channels_last_rows


class Epilogue:
    """``thunk(*args, out=chunk)`` with the chunk as argument ``slot`` and ``extras`` (values) as
    the others, in order."""

    def __init__(self, thunk, slot, extras):
        self.thunk, self.slot, self.extras = thunk, slot, list(extras)
        self.applied = False  # set when a kernel takes it: the caller applies it otherwise

    def fits(self, shape):
        """Whether the chain's result has the kernel result's ``shape`` (its extras broadcast into it)."""
        try:
            return np.broadcast_shapes(shape, *(e.shape for e in self.extras)) == tuple(shape)
        except ValueError:
            return False

    def channels_last(self, xp, shape):
        """The per-chunk callable ``apply(chunk, b, e)`` for a channels-last result of ``shape``
        (N, C, H, W); ``chunk`` is images b..e-1 as a C-contiguous (n, H, W, C) array. None when
        the chain's result would not have that shape: the kernel then leaves it to the caller."""
        if not self.fits(shape):
            return None
        self.applied = True
        n, c, h, w = shape
        thunk, slot = self.thunk, self.slot
        rows = channels_last_rows(xp, self.extras, shape)
        if rows is None:  # broadcast as is, on (n, H, W, C) views
            maps = [a.reshape((1,) * (4 - a.ndim) + tuple(a.shape)).transpose(0, 2, 3, 1) for a in self.extras]

        def apply(chunk, b, e):
            if rows is not None:
                out = chunk.reshape((e - b) * h, w * c)
                args = [v[b * h:e * h] if v.ndim == 2 else v for v in rows]
            else:
                out = chunk
                args = [v[b:e] if v.shape[0] > 1 else v for v in maps]
            args.insert(slot, out)
            result = thunk(*args, out=out)
            if result is not out:
                out[...] = result

        return apply
