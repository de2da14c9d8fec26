"""minitheano: a small Theano (expression graphs, symbolic grad, compiled functions with
updates, shared variables) with Lasagne-style layers, written from scratch on numpy.

    import minitheano as th
    import minitheano.tensor as T
    x = T.scalar('x')
    f = th.function([x], th.grad(5 * x ** 2, x))
"""
from . import tensor
from .compile import ComputeError, Function, MissingInputError, UnusedInputError, function
from .config import config
from .gradcheck import verify_grad
from .gradient import DisconnectedInputError, GradientError, grad
from .graph import Apply, Constant, Op, SharedVariable, TensorType, Variable, shared
from .ops.elemwise import ShapeError
from .printing import debugprint, draw, pp
from .rewrites import rewrite_graph

__version__ = "0.1.0"

_SUBMODULES = {"layers", "init", "nonlinearities", "objectives", "updates", "regularization", "random",
               "datasets", "course", "plotting", "printing", "gradient", "graph", "rewrites", "backend",
               "shapes", "kernels", "gradcheck"}


def __getattr__(name):
    """``th.layers``, ``th.updates``... without importing each first (as ``lasagne.layers`` works)."""
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def rewrite(outputs, rewrites=()):
    """What compilation makes of ``outputs`` (a variable or a list): the rewritten graph.
    ``rewrites``: your own local rewrites, applied first (as ``function(..., rewrites=)`` does)."""
    single = isinstance(outputs, Variable)
    result = rewrite_graph([outputs] if single else list(outputs), extra=rewrites)
    return result[0] if single else result


__all__ = [
    "tensor", "function", "Function", "grad", "verify_grad", "shared", "config", "pp", "debugprint", "draw",
    "rewrite", "Variable", "Constant", "SharedVariable", "TensorType", "Apply", "Op", "ShapeError",
    "ComputeError", "MissingInputError", "UnusedInputError", "DisconnectedInputError", "GradientError",
]
