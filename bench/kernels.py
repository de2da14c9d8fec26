"""Each conv and pool kernel of the benchmark ConvNet against PyTorch's (CPU), same run.

For every layer of ConvNet 16-16-pool-32-32-pool-100-10 at batch 100: the forward
correlation, its input and filter gradients, max pooling and its gradient; minitheano's
kernels (on channels-last views, as the net feeds them), PyTorch's
(``torch.nn.functional`` and the ``aten`` backward ops autograd calls), and, where this
checkout still has them, the ops' own pre-kernels code. Interleaved rounds, medians.
``python -m bench.kernels [--quick]``.
"""
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

    old = _old_ops()
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
        if old:
            impls["forward"]["before"] = lambda x=x, wt=wt: old["Conv2d"].perform(np, x, wt)
            impls["grad input"]["before"] = lambda gy=gy, wt=wt, x=x: old["Conv2dGradInputs"].perform(np, gy, wt, x)
            impls["grad filters"]["before"] = lambda x=x, gy=gy, wt=wt: old["Conv2dGradWeights"].perform(np, x, gy, wt)
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
        if old:
            impls["forward"]["before"] = lambda x=x: old["Pool"].perform(np, x)
            impls["grad"]["before"] = lambda x=x, y=y, gy=gy: old["MaxPoolGrad"].perform(np, x, y, gy)
        _add_torch_pool(impls, x, gy)
        out += [(f"{name} {what}", d) for what, d in impls.items()]
    return out


def _old_ops():
    """The ops of a checkout whose conv and pool ops do not call the kernels module yet, else {}."""
    from minitheano.ops import conv as conv_ops, pool as pool_ops

    if not hasattr(conv_ops, "_correlate"):
        return {}
    ops = {name: getattr(conv_ops, name)("valid", (1, 1), filter_flip=False)
           for name in ("Conv2d", "Conv2dGradInputs", "Conv2dGradWeights")}
    ops.update({name: getattr(pool_ops, name)((2, 2)) for name in ("Pool", "MaxPoolGrad")})
    return ops


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
    """{kernel: {implementation: median seconds per call}} over interleaved rounds."""
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
                start = now()
                for _ in range(number):
                    fn()
                samples[impl].append((now() - start) / number)
        results[name] = {impl: float(np.median(s)) for impl, s in samples.items()}
    return results


def run(quick=False):
    results = measure(rounds=5 if quick else 15, number=2 if quick else 5)
    impls = [i for i in ("minitheano", "PyTorch", "before") if any(i in r for r in results.values())]
    rows = []
    for name, r in results.items():
        row = [name] + [r[i] * 1e3 if i in r else "" for i in impls]
        row.append(r["minitheano"] / r["PyTorch"] if "PyTorch" in r else "")
        if "before" in r and "PyTorch" in r:
            row.append(r["before"] / r["PyTorch"])
        rows.append(row)
    total = {i: sum(r[i] for r in results.values() if i in r) for i in impls}
    row = ["all kernels of one step"] + [total[i] * 1e3 for i in impls]
    if "PyTorch" in total:
        row.append(total["minitheano"] / total["PyTorch"])
        if "before" in total:
            row.append(total["before"] / total["PyTorch"])
    rows.append(row)
    header = ["kernel (batch 100, float32)"] + [f"{i} ms" for i in impls] + ["minitheano / PyTorch"]
    if "before" in impls and "PyTorch" in impls:
        header.append("before / PyTorch")
    table(f"ConvNet kernels, {threads()} thread(s), {clock_name()}, medians of interleaved rounds", header, rows)
    return results


if __name__ == "__main__":
    n = str(threads())
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, n)
    run(quick="--quick" in sys.argv)


def route_ops_to_kernels():
    """Make this checkout's conv and pool ops call the kernels module, where they don't yet.

    Only for benchmarking a checkout from before the kernels module took over ``perform``;
    returns False (and changes nothing) where the ops already call the kernels.
    """
    from minitheano.kernels import conv, pool
    from minitheano.ops import conv as conv_ops, pool as pool_ops

    if not hasattr(conv_ops, "_correlate"):
        return False

    def pads(op, w_shape):
        return conv_ops.padding(op.border_mode, w_shape[2], w_shape[3])

    def flip(op, w):
        return w[:, :, ::-1, ::-1] if op.filter_flip else w

    def conv2d(op, xp, x, w):
        op._check_runtime(x, w)
        dtype = np.dtype(conv_ops.Conv2d._dtype(x, w))
        x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
        return conv.correlate2d(xp, x, flip(op, w), pads(op, w.shape), op.subsample)

    def grad_inputs(op, xp, gy, w, like):
        dtype = np.dtype(conv_ops.Conv2d._dtype(gy, w))
        gy, w = gy.astype(dtype, copy=False), w.astype(dtype, copy=False)
        return conv.correlate2d_grad_input(xp, gy, flip(op, w), like.shape, pads(op, w.shape), op.subsample)

    def grad_weights(op, xp, x, gy, like):
        dtype = np.dtype(conv_ops.Conv2d._dtype(x, gy))
        x, gy = x.astype(dtype, copy=False), gy.astype(dtype, copy=False)
        gw = conv.correlate2d_grad_weights(xp, x, gy, like.shape, pads(op, like.shape), op.subsample)
        return xp.ascontiguousarray(flip(op, gw))

    def geometry(op):
        return op.ws, op.stride, op.pad, op.ignore_border

    conv_ops.Conv2d.perform = conv2d
    conv_ops.Conv2dGradInputs.perform = grad_inputs
    conv_ops.Conv2dGradWeights.perform = grad_weights
    pool_ops.Pool.perform = lambda op, xp, x: pool.pool2d(xp, x, *geometry(op), op.mode)
    pool_ops.MaxPoolGrad.perform = lambda op, xp, x, y, gy: pool.max_pool2d_grad(xp, x, y, gy, *geometry(op))
    pool_ops.MaxPoolGradGrad.perform = lambda op, xp, x, y, gg: pool.max_pool2d_grad_grad(xp, x, y, gg, *geometry(op))
    pool_ops.AveragePoolGrad.perform = lambda op, xp, x, gy: pool.average_pool2d_grad(xp, x, gy, *geometry(op), op.mode)
    return True
