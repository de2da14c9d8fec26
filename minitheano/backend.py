"""The one seam between the framework and an array library: numpy on CPU, cupy on GPU.

``config.device`` picks it: 'cpu' (numpy), 'gpu' (cupy), or 'strict', a cupy stand-in on the CPU
(``minitheano.strict``) that refuses implicit device-to-host conversions, for testing the GPU path
without a GPU. Values cross to the host only through ``to_host``.
"""
import ctypes
import os

import numpy

from . import strict
from .config import config

_cupy = None


def keep_freed_memory():
    """Ask glibc to keep freed memory for reuse instead of returning it to the OS.

    A training step frees and re-allocates the same large arrays every call; by default glibc
    maps each fresh from the OS and the page faults cost as much as the arithmetic. No-op
    where glibc is not the allocator. Opt-in: it changes the whole process's allocator, so a
    program that trains (bench/, a notebook) calls it, or sets MINITHEANO_KEEP_MEMORY=1.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024)
        libc.mallopt(m_trim_threshold, 1024 * 1024 * 1024)
    except (OSError, AttributeError):
        pass


if os.environ.get("MINITHEANO_KEEP_MEMORY", "0") == "1":  # opt-in; bench/ calls keep_freed_memory() itself
    keep_freed_memory()


def xp():
    """The array module to compute with, chosen by ``config.device`` ('cpu', 'gpu' or 'strict')."""
    if config.device == "cpu":
        return numpy
    if config.device in ("gpu", "cuda"):
        return _load_cupy()
    if config.device == "strict":
        return strict
    raise ValueError(f"config.device must be 'cpu', 'gpu' or 'strict', not {config.device!r}")


def _load_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy
            cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:  # ImportError, or no CUDA device/driver
            raise RuntimeError(
                "config.device is 'gpu' but cupy cannot use a GPU here "
                f"({type(exc).__name__}: {exc}). Install the GPU extra (pip install -e '.[gpu]') "
                "on a machine with an NVIDIA GPU, or set MINITHEANO_DEVICE=cpu."
            ) from exc
        _cupy = cupy
    return _cupy


def gpu_available():
    """True when cupy imports and sees a CUDA device."""
    try:
        _load_cupy()
        return True
    except RuntimeError:
        return False


def asarray(value, dtype=None):
    """``value`` as an array of the current device (copying from host when needed)."""
    return xp().asarray(value, dtype=dtype)


def on_device(value):
    """True for a cupy or strict array: numpy must not convert it implicitly (use ``to_host``)."""
    return not isinstance(value, numpy.ndarray) and hasattr(value, "get") and hasattr(value, "dtype")


def to_host(value):
    """A numpy array (or numpy scalar) from a numpy, cupy or strict array: the one explicit crossing."""
    if isinstance(value, numpy.ndarray) or numpy.isscalar(value):
        return value
    get = getattr(value, "get", None)
    return get() if get is not None else numpy.asarray(value)
