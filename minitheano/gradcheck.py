"""``verify_grad``: symbolic gradients checked against central finite differences.

It compiles the gradients it checks, so it sits above ``compile`` (``gradient`` sits below).
"""
from collections import namedtuple

import numpy as np

from . import tensor as T
from .compile import function
from .gradient import GradientError, grad
from .graph import as_variable

GradCheck = namedtuple("GradCheck", "max_rel_error worst_input worst_index")


def verify_grad(fn, inputs, n_tests=2, eps=1e-6, rel_tol=1e-4, abs_tol=1e-6, seed=0):
    """Check ``grad`` of ``fn`` against central finite differences, in float64.

    ``fn`` takes symbolic variables (one per array in ``inputs``) and returns a symbolic
    tensor. Its output is projected onto a random direction to make a scalar cost. Raises
    GradientError naming the worst input and element; returns a GradCheck otherwise.
    """
    rng = np.random.default_rng(seed)
    points = [np.array(x, dtype="float64") for x in inputs]
    names = [f"input {i}" for i in range(len(points))]
    symbols = [T.tensor("float64", p.ndim, name=f"x{i}") for i, p in enumerate(points)]
    out = as_variable(fn(*symbols))
    if np.dtype(out.dtype).kind != "f":
        raise TypeError(f"verify_grad: fn must return a float tensor, got {out!r} of dtype {out.dtype}")
    worst = GradCheck(0.0, None, None)
    for _ in range(n_tests):
        out_value = function(symbols, out, mode="FAST_COMPILE")(*points)
        projection = rng.normal(size=np.shape(out_value))
        cost = T.sum(T.cast(out, "float64") * T.constant(projection))
        cost_fn = function(symbols, cost, mode="FAST_COMPILE")
        grads = grad(cost, symbols, disconnected_inputs="ignore")
        analytic = function(symbols, grads, mode="FAST_COMPILE")(*points)
        for k, point in enumerate(points):
            numeric = np.zeros_like(point)
            for idx in np.ndindex(point.shape):
                shifted = [p.copy() for p in points]
                shifted[k][idx] = point[idx] + eps
                plus = float(cost_fn(*shifted))
                shifted[k][idx] = point[idx] - eps
                minus = float(cost_fn(*shifted))
                numeric[idx] = (plus - minus) / (2 * eps)
            a = np.asarray(analytic[k], dtype="float64")
            err = np.abs(a - numeric)
            rel = err / np.maximum(np.abs(a) + np.abs(numeric), abs_tol)
            if rel.size == 0:
                continue
            i = np.unravel_index(np.argmax(rel), rel.shape)
            where = tuple(int(j) for j in i)
            if rel[i] >= worst.max_rel_error:
                worst = GradCheck(float(rel[i]), names[k], where)
            if err[i] > abs_tol and rel[i] > rel_tol:
                raise GradientError(
                    f"verify_grad: the gradient w.r.t. {names[k]} (shape {point.shape}) disagrees with finite "
                    f"differences: at index {where} the symbolic gradient is {a[i]:.6g}, the "
                    f"numeric one {numeric[i]:.6g} (relative error {rel[i]:.3g} > {rel_tol}).")
    return worst
