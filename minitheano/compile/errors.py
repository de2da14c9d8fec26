"""Errors of compiling and calling a function, and the report that names the failing node.

When a node fails at run time, the report says which op, the types and shapes of its inputs,
and the user's line that made the node (recorded when the graph was built).
"""
from ..graph import Constant, SharedVariable, format_trace


class UnusedInputError(ValueError):
    """An input given to ``function`` that no output or update depends on."""


class MissingInputError(ValueError):
    """The outputs depend on an input variable that was not listed in ``function``'s inputs."""


class ComputeError(RuntimeError):
    """A node failed while a compiled function ran; the message says which and where it was made."""


def failed_step(program, exc):
    """Which step (node) of ``program`` failed, from the line of the generated code in the traceback."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is program.function.__code__:
            return program.line_step.get(tb.tb_lineno)
        tb = tb.tb_next
    return None


def compute_error(function, values, exc):
    """A ComputeError describing the node of ``function`` that raised ``exc`` (or ``exc`` itself
    when the failure is not inside a node)."""
    step = failed_step(function.program, exc)
    if step is None:
        return exc
    node = function.program.order[step]
    described = []
    for k, var in enumerate(node.inputs):
        shape = "?"
        if var in function.inputs:
            shape = tuple(values[function.inputs.index(var)].shape)
        elif isinstance(var, SharedVariable):
            shape = tuple(var.container.shape)
        elif isinstance(var, Constant):
            shape = var.data.shape
        described.append(f"  input {k}: {var!r}, {var.type!r}" + (f", shape {shape}" if shape != "?" else ""))
    return ComputeError(
        f"{type(exc).__name__} while computing {node.op} in {function.describe()}: {exc}\n"
        f"Inputs of that node:\n" + "\n".join(described) + _runtime_shapes(exc) + "\n"
        f"The node was created at:\n  {format_trace(node.trace)}")


def _runtime_shapes(exc):
    """The shapes of the failing node's input values, read from the failing thunk's frame."""
    tb = exc.__traceback__
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<minitheano program"):
        tb = tb.tb_next
    if tb is None or tb.tb_next is None:
        return ""
    code, local = tb.tb_next.tb_frame.f_code, tb.tb_next.tb_frame.f_locals
    n_args = code.co_argcount + bool(code.co_flags & 0x04)
    args = []
    for n in code.co_varnames[:n_args]:
        args.extend(local[n] if isinstance(local.get(n), tuple) else [local.get(n)])
    shapes = [f"{tuple(a.shape)} {a.dtype}" for a in args if hasattr(a, "shape")]
    return "\nShapes of the input values: " + ", ".join(shapes) if shapes else ""
