"""Compiled-function overhead and compile time (issue 2's benchmark).

1. Call overhead: a 10-op elementwise graph on a small vector, compiled, versus the same
   numpy expressions written inline. The ratio is what one call of a compiled function costs
   on top of the arithmetic.
2. Compile time of a graph of a few hundred nodes, with and without rewrites.
"""
import numpy as np

import minitheano as th
import minitheano.tensor as T

from .common import best_time, table


def elementwise_graph(x, y):
    """Ten elementwise ops; the same code builds the symbolic graph and the numpy computation."""
    exp, tanh = (T.exp, T.tanh) if isinstance(x, th.Variable) else (np.exp, np.tanh)
    a = x * y + 1.0
    b = exp(-a * a)
    c = tanh(b - x) / (y + 2.0)
    return c * 0.5 + a


def deep_graph(x, n_layers):
    """A chain of ``n_layers`` small blocks (~6 nodes each) with shared subexpressions."""
    h = x
    for i in range(n_layers):
        h = T.tanh(h * (1.0 + 0.01 * i)) + T.sigmoid(h) * T.sigmoid(h)
    return h.sum()


def run(size=100, n_layers=50):
    rng = np.random.default_rng(0)
    xv, yv = rng.random(size, dtype=np.float32), rng.random(size, dtype=np.float32)
    x, y = T.vector("x"), T.vector("y")
    f = th.function([x, y], elementwise_graph(x, y))
    np.testing.assert_allclose(f(xv, yv), elementwise_graph(xv, yv), rtol=1e-5)
    t_th = best_time(lambda: f(xv, yv), repeat=7, number=2000)
    t_np = best_time(lambda: elementwise_graph(xv, yv), repeat=7, number=2000)
    table(f"Call overhead: 10 elementwise ops on a vector of {size} float32",
          ["implementation", "us/call", "ratio to numpy"],
          [["numpy, inline", t_np * 1e6, 1.0], ["minitheano function", t_th * 1e6, t_th / t_np]])

    v = T.vector("v")
    expr = deep_graph(v, n_layers)
    n_nodes = len(th.graph.toposort([expr]))
    t_fast_compile = best_time(lambda: th.function([v], expr, mode="FAST_COMPILE"), repeat=3)
    t_fast_run = best_time(lambda: th.function([v], expr), repeat=3)
    gexpr = th.grad(expr, v)
    n_grad = len(th.graph.toposort([gexpr]))
    t_grad = best_time(lambda: th.function([v], gexpr), repeat=3)
    table("Compile time", ["graph", "nodes", "FAST_COMPILE s", "FAST_RUN s"],
          [[f"{n_layers}-block chain", str(n_nodes), t_fast_compile, t_fast_run],
           ["its gradient", str(n_grad), "", t_grad]])
    return dict(call_ratio=t_th / t_np, compile_s=t_fast_run, grad_compile_s=t_grad)


if __name__ == "__main__":
    run()
