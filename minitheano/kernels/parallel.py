"""Running a kernel's independent parts on all cores (numpy only): one part per BLAS thread.

A convolution's products are tall and skinny (tens of thousands of patches by 16 or 32
filters); OpenBLAS splits such a product badly over its threads, and its threads wait for
each other on a busy machine. So a kernel cuts the batch into one part per core instead, and
runs the parts in Python threads (numpy and BLAS release the GIL) with BLAS held at one
thread meanwhile. Where the BLAS library offers no way to set its thread count, everything
runs in the calling thread and BLAS keeps its own threads.
"""
import contextlib
import ctypes
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

_GETTERS = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads")
_SETTERS = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads")


def _openblas():
    """(get_num_threads, set_num_threads) of the OpenBLAS loaded in this process, or None."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and ".so" in line}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        get = next((getattr(lib, n) for n in _GETTERS if hasattr(lib, n)), None)
        put = next((getattr(lib, n) for n in _SETTERS if hasattr(lib, n)), None)
        if get is not None and put is not None:
            return get, put
    return None


np.ones((2, 2)) @ np.ones((2, 2))  # BLAS is loaded lazily by some numpy builds
_BLAS = _openblas()
_LOCK = threading.Lock()
MIN_WORK = 1 << 20
_POOL = {}
_owned = 0  # inside ``own_cores``: the BLAS thread count it set aside


def workers(xp, work):
    """How many parts a kernel's ``work`` (flops or elements) is cut into: BLAS's thread count on
    numpy, else 1; and 1 for less than MIN_WORK, where handing work to a thread costs more than it saves."""
    if xp is not np or _BLAS is None or work < MIN_WORK or threading.current_thread() is not threading.main_thread():
        return 1
    return _owned or max(1, int(_BLAS[0]()))


@contextlib.contextmanager
def own_cores():
    """BLAS on one thread meanwhile, the kernels' parts on all cores. A compiled function whose
    work is mostly these kernels (a ConvNet's step) runs in it: OpenBLAS's idle threads spin for a
    while after each product and would take the cores the kernels' threads need (measured: a
    ConvNet step 1.3x slower with both kinds of thread than with the kernels' alone)."""
    global _owned
    if _BLAS is None or _owned or threading.current_thread() is not threading.main_thread():
        yield
        return
    get, put = _BLAS
    before = get()
    _owned = max(1, int(before))
    put(1)
    try:
        yield
    finally:
        _owned = 0
        put(before)


def split(n, parts):
    """``range(n)`` cut into at most ``parts`` contiguous, nearly equal (start, stop) pieces."""
    parts = max(1, min(parts, n))
    bounds = [n * k // parts for k in range(parts + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def run(tasks):
    """Results of the callables ``tasks``, run at the same time with BLAS on one thread each."""
    if len(tasks) == 1 or _BLAS is None:
        return [task() for task in tasks]
    with _LOCK:
        pool = _POOL.get(len(tasks))
        if pool is None:
            pool = _POOL[len(tasks)] = ThreadPoolExecutor(len(tasks) - 1, thread_name_prefix="minitheano-kernel")
    get, put = _BLAS
    before = get()
    put(1)
    try:
        futures = [pool.submit(task) for task in tasks[1:]]
        first = tasks[0]()
        return [first] + [f.result() for f in futures]
    finally:
        put(before)
