"""Compiling graphs into callables: ``collect`` (inputs, givens, updates), ``fuse`` (elementwise
chains as one node), ``link`` (schedule and code generation), ``inplace`` (the in-place passes, updates
included), ``errors`` (reports), ``function``."""
from .errors import ComputeError, MissingInputError, UnusedInputError
from .function import Function, function

__all__ = ["function", "Function", "ComputeError", "MissingInputError", "UnusedInputError"]
