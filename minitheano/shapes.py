"""Shape arithmetic shared by the ops and the layers: int-or-tuple arguments and the output
lengths of convolution and pooling along one axis."""
import numpy as np


def as_tuple(value, n, what):
    """``value`` (an int, or ``n`` ints) as a tuple of ``n`` ints; errors name ``what``."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    try:
        items = tuple(value)
    except TypeError:
        raise TypeError(f"{what} must be an int or {n} ints, got {value!r}") from None
    if len(items) != n:
        raise ValueError(f"{what} must be an int or {n} ints, got {value!r}")
    if not all(isinstance(v, (int, float, np.number)) and int(v) == v for v in items):
        raise TypeError(f"{what} must be an int or {n} ints, got {value!r}")
    return tuple(int(v) for v in items)


def conv_output_length(length, filter_size, stride, pad):
    """Output length of a convolution along one axis, or None where a length is unknown.

    ``pad``: zeros on each side (an int), or 'valid' (0), 'full' (filter - 1), 'half' or
    'same' (filter // 2: the input's length for odd filters and stride 1).
    """
    if length is None or filter_size is None:
        return None
    named = {"valid": 0, "full": filter_size - 1, "half": filter_size // 2, "same": filter_size // 2}
    if isinstance(pad, str) and pad not in named:
        raise ValueError(f"invalid pad {pad!r}: an int, 'valid', 'full', 'half' or 'same'")
    pad = named[pad] if isinstance(pad, str) else int(pad)
    return (length + 2 * pad - filter_size) // stride + 1


def pool_output_length(length, ws, stride, pad, ignore_border):
    """Output length of pooling along one axis, as Theano computes it (None if ``length`` is).

    ``ignore_border=False`` keeps the partial window at the end (and allows no padding).
    """
    if length is None or ws is None:
        return None
    if ignore_border:
        return max(0, (length + 2 * pad - ws) // stride + 1)
    if pad != 0:
        raise ValueError("pool_2d: padding works only with ignore_border=True")
    if stride >= ws:
        return (length - 1) // stride + 1
    return max(0, (length - 1 - ws) // stride + 1) + 1
