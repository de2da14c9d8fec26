"""A composite of elementwise ops as one generated ``cupy.ElementwiseKernel``: the chain runs in
one pass over the GPU's memory, each step a line of C++ on registers, instead of one kernel launch
and one temporary array per step.

``csource.elementwise_source`` writes the kernel (parameters and body) from the chain's nodes. A
chain with an op that has no C++ form runs as one cupy ufunc per step instead. The body is also
the one the host compiles (``kernels.native``), so ``tests/test_cuda_source`` checks its values
against numpy on a machine without a GPU.
"""
import numpy as np

from .csource import elementwise_source


def elementwise_kernel(nodes, inputs, cupy):
    """``thunk(*args, out=None)`` running the chain as one generated ElementwiseKernel (compiled by
    cupy on first use and cached), or None when ``elementwise_source`` cannot write it."""
    source = elementwise_source(nodes, inputs)
    if source is None:
        return None
    kernel = cupy.ElementwiseKernel(*source)

    def thunk(*args, out=None):
        if out is not None and out.shape == np.broadcast_shapes(*(a.shape for a in args)):
            return kernel(*args, out)
        return kernel(*args)

    return thunk
