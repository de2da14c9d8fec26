"""Compiling graphs into callables."""
from .function import ComputeError, Function, MissingInputError, UnusedInputError, function

__all__ = ["function", "Function", "ComputeError", "MissingInputError", "UnusedInputError"]
