"""Finishing a kernel's result chunk by chunk while it is still in the cache: an elementwise
chain (a bias, a relu, a relu's gradient mask) applied to each chunk a kernel has just written.

A kernel that accepts an ``Epilogue`` calls it on every (n, rows, cols, channels) chunk of its
channels-last result, images b..e-1, right after writing the chunk. The chain's other inputs
are either per channel (a bias: shape (1, C, 1, 1) or fewer axes), tiled once along a row so
that numpy's loops run over whole rows rather than C values at a time, or shaped like the
result (another channels-last map, sliced to the same images); anything else is broadcast as is.
"""
import numpy as np


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
        row = w * c
        rows = []  # per extra: ("row", (W*C,) array), ("map", NHWC array) or ("any", NHWC view)
        for a in self.extras:
            a4 = a.reshape((1,) * (4 - a.ndim) + tuple(a.shape))
            nhwc = a4.transpose(0, 2, 3, 1)
            if a4.shape[0] == 1 and a4.shape[2:] == (1, 1):
                rows.append(("row", xp.ascontiguousarray(xp.broadcast_to(nhwc.reshape(1, -1), (w, c)).reshape(row))))
            elif tuple(a4.shape) == tuple(shape) and nhwc.flags.c_contiguous:
                rows.append(("map", nhwc))
            else:
                rows.append(("any", nhwc))
        flat = all(kind != "any" for kind, _ in rows)
        thunk, slot = self.thunk, self.slot

        def apply(chunk, b, e):
            if flat:
                out = chunk.reshape(-1, row)
                args = [v if kind == "row" else v[b:e].reshape(-1, row) for kind, v in rows]
            else:
                out = chunk
                args = [v[b:e] if v.shape[0] > 1 else v for _, v in rows]
            args.insert(slot, out)
            result = thunk(*args, out=out)
            if result is not out:
                out[...] = result

        return apply
