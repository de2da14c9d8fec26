"""Each conv and pool kernel of the benchmark ConvNet against PyTorch's (CPU), same run.

For every layer of ConvNet 16-16-pool-32-32-pool-100-10 at batch 100: the forward
correlation, its input and filter gradients, max pooling and its gradient; minitheano's
kernels (on channels-last views, as the net feeds them), PyTorch's
(``torch.nn.functional`` and the ``aten`` backward ops autograd calls). Interleaved rounds, medians.
``python -m bench.kernels [--quick]``.
"""
import contextlib
import os
import sys

import numpy as np

from .common import clock, clock_name, table, threads

BATCH = 100
CONVS = [("conv1", (1, 28, 28), 16, False), ("conv2", (16, 26, 26), 16, True), ("conv3", (16, 12, 12), 32, True),
         ("conv4", (32, 10, 10), 32, True)]  # name, input (C, H, W), filters, input gradient needed
POOLS = [("pool1", (16, 24, 24)), ("pool2", (32, 8, 8))]


def _channels_last(a):
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def cases(rng):
    """(kernel name, {implementation: zero-argument callable}) for every kernel of the net."""
    from minitheano.kernels import conv, pool

    out = []
    for name, (c, h, w), f, needs_input_grad in CONVS:
        x = _channels_last(rng.standard_normal((BATCH, c, h, w)).astype(np.float32))
        wt = rng.standard_normal((f, c, 3, 3)).astype(np.float32)
        gy = _channels_last(rng.standard_normal((BATCH, f, h - 2, w - 2)).astype(np.float32))
        pad, stride = (0, 0), (1, 1)
        impls = {"forward": {"minitheano": lambda x=x, wt=wt: conv.correlate2d(np, x, wt, pad, stride)},
                 "grad input": {"minitheano": lambda gy=gy, wt=wt, s=x.shape:
                                conv.correlate2d_grad_input(np, gy, wt, s, pad, stride)},
                 "grad filters": {"minitheano": lambda x=x, gy=gy, s=wt.shape:
                                  conv.correlate2d_grad_weights(np, x, gy, s, pad, stride)}}
        _add_torch_conv(impls, x, wt, gy)
        for what, d in impls.items():
            if what != "grad input" or needs_input_grad:
                out.append((f"{name} {what}", d))
    for name, (c, h, w) in POOLS:
        x = _channels_last(rng.standard_normal((BATCH, c, h, w)).astype(np.float32))
        y = pool.pool2d(np, x, (2, 2), (2, 2), (0, 0), True, "max")
        gy = _channels_last(rng.standard_normal(y.shape).astype(np.float32))
        args = ((2, 2), (2, 2), (0, 0), True)
        impls = {"forward": {"minitheano": lambda x=x: pool.pool2d(np, x, *args, "max")},
                 "grad": {"minitheano": lambda x=x, y=y, gy=gy: pool.max_pool2d_grad(np, x, y, gy, *args)}}
        _add_torch_pool(impls, x, gy)
        out += [(f"{name} {what}", d) for what, d in impls.items()]
    return out


def _add_torch_conv(impls, x, w, gy):
    try:
        import torch
    except ImportError:
        return
    tx, tw, tg = (torch.from_numpy(np.ascontiguousarray(a)) for a in (x, w, gy))
    backward = torch.ops.aten.convolution_backward

    def grad(mask):
        return lambda: backward(tg, tx, tw, None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1, mask)

    impls["forward"]["PyTorch"] = lambda: torch.nn.functional.conv2d(tx, tw)
    impls["grad input"]["PyTorch"] = grad([True, False, False])
    impls["grad filters"]["PyTorch"] = grad([False, True, False])


def _add_torch_pool(impls, x, gy):
    try:
        import torch
    except ImportError:
        return
    tx, tg = (torch.from_numpy(np.ascontiguousarray(a)) for a in (x, gy))
    _, indices = torch.ops.aten.max_pool2d_with_indices(tx, [2, 2], [2, 2])
    impls["forward"]["PyTorch"] = lambda: torch.ops.aten.max_pool2d_with_indices(tx, [2, 2], [2, 2])
    impls["grad"]["PyTorch"] = lambda: torch.ops.aten.max_pool2d_with_indices_backward(
        tg, tx, [2, 2], [2, 2], [0, 0], [1, 1], False, indices)


def measure(rounds, number):
    """{kernel: {implementation: median seconds per call}} over interleaved rounds; minitheano's
    kernels with BLAS on one thread, as a compiled ConvNet step runs them (``own_cores``)."""
    from minitheano.kernels.parallel import own_cores

    try:
        import torch
        torch.set_num_threads(threads())
    except ImportError:
        pass
    results, now = {}, clock()
    for name, impls in cases(np.random.default_rng(0)):
        samples = {impl: [] for impl in impls}
        for fn in impls.values():
            fn()
        for _ in range(rounds):
            for impl, fn in impls.items():
                with own_cores() if impl == "minitheano" else contextlib.nullcontext():
                    start = now()
                    for _ in range(number):
                        fn()
                    samples[impl].append((now() - start) / number)
        results[name] = {impl: float(np.median(s)) for impl, s in samples.items()}
    return results


def run(quick=False):
    results = measure(rounds=5 if quick else 15, number=2 if quick else 5)
    impls = [i for i in ("minitheano", "PyTorch") if any(i in r for r in results.values())]
    rows = []
    for name, r in results.items():
        rows.append([name] + [r[i] * 1e3 if i in r else "" for i in impls]
                    + [r["minitheano"] / r["PyTorch"] if "PyTorch" in r else ""])
    total = {i: sum(r[i] for r in results.values() if i in r) for i in impls}
    rows.append(["all kernels of one step"] + [total[i] * 1e3 for i in impls]
                + ([total["minitheano"] / total["PyTorch"]] if "PyTorch" in total else []))
    header = ["kernel (batch 100, float32)"] + [f"{i} ms" for i in impls] + ["minitheano / PyTorch"]
    table(f"ConvNet kernels, {threads()} thread(s), {clock_name()}, medians of interleaved rounds", header, rows)
    return results


if __name__ == "__main__":
    n = str(threads())
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, n)
    run(quick="--quick" in sys.argv)
