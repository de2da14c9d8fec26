"""One training epoch over the 50,000 MNIST training images (issue 3's benchmark).

(a) MLP 784-500(ReLU, dropout 0.4)-300(ReLU, dropout 0.4)-10 softmax, batch 500, RMSprop 1e-3
(b) ConvNet Conv(16,3)-Conv(16,3)-Pool(2)-Conv(32,3)-Conv(32,3)-Pool(2)-Dense(100)-Dense(10),
    ReLU, batch 100, momentum SGD

minitheano against the same networks written by hand in numpy (bench/numpy_nets.py), and
against PyTorch (CPU) and PyTensor when they are installed. Each peer runs in a process of its
own with the same thread count, in interleaved rounds (BENCH_ROUNDS, default 3); the table
gives medians and their ratios, so a load that comes and goes hits every peer alike.
BENCH_BATCHES=N times only the first N batches of each epoch (quick runs); PyTensor's ConvNet
compiles for minutes, so it runs only with BENCH_PYTENSOR_CONV=1.
"""
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np

from .common import clock, clock_name, table, threads
from . import numpy_nets

MLP_BATCH, CNN_BATCH = 500, 100


def load_data():
    from minitheano.datasets import MNISTUnavailable, load_mnist

    try:
        data = load_mnist()
        return data.X_train, data.y_train, "MNIST"
    except MNISTUnavailable:
        rng = np.random.default_rng(0)
        return (rng.random((50000, 1, 28, 28), dtype=np.float32),
                rng.integers(0, 10, 50000).astype("int32"), "random data of MNIST's shape")


def epoch_seconds(step, X, y, batch):
    """Seconds for one pass over (X, y) in batches (after one warm-up step)."""
    limit = int(os.environ.get("BENCH_BATCHES", 0)) or len(X) // batch
    step(X[:batch], y[:batch])
    now = clock()
    start = now()
    for k in range(limit):
        step(X[k * batch:(k + 1) * batch], y[k * batch:(k + 1) * batch])
    return (now() - start) * (len(X) // batch) / limit


# minitheano ------------------------------------------------------------------------------

def train_graph(kind):
    """The benchmarked network ('mlp' or 'cnn') in minitheano, seeded: (X, y, loss, updates)."""
    import minitheano as th
    import minitheano.tensor as T
    from minitheano import layers, nonlinearities as nl, objectives, updates

    th.random.set_seed(0)
    X, y = T.tensor4("X"), T.ivector("y")
    net = layers.InputLayer((None, 1, 28, 28), input_var=X)
    if kind == "mlp":
        for width in (500, 300):
            net = layers.DropoutLayer(layers.DenseLayer(net, width, nonlinearity=nl.rectify), p=0.4)
    else:
        for filters in (16, 16, "pool", 32, 32, "pool"):
            net = layers.MaxPool2DLayer(net, 2) if filters == "pool" else layers.Conv2DLayer(net, filters, 3)
        net = layers.DenseLayer(net, 100)
    net = layers.DenseLayer(net, 10, nonlinearity=nl.softmax)
    loss = objectives.categorical_crossentropy(layers.get_output(net), y).mean()
    params = layers.get_all_params(net, trainable=True)
    upd = updates.rmsprop(loss, params, 1e-3) if kind == "mlp" else updates.momentum(loss, params, 0.01, 0.9)
    return X, y, loss, upd


def minitheano_step(kind):
    import minitheano as th
    from minitheano.backend import keep_freed_memory

    keep_freed_memory()  # opt-in since the core restructure; a training program asks for it
    X, y, loss, upd = train_graph(kind)
    start = time.perf_counter()
    fn = th.function([X, y], loss, updates=upd)
    return fn, time.perf_counter() - start


# Hand-written numpy ----------------------------------------------------------------------

def numpy_step(kind):
    rng = np.random.default_rng(0)
    if kind == "mlp":
        net = numpy_nets.MLP(rng)
        return lambda X, y: net.train_step(X.reshape(len(X), -1), y), 0.0
    net = numpy_nets.ConvNet(rng)
    return net.train_step, 0.0


# PyTorch ---------------------------------------------------------------------------------

def torch_step(kind):
    import torch
    from torch import nn

    torch.set_num_threads(threads())
    torch.manual_seed(0)
    if kind == "mlp":
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 500), nn.ReLU(), nn.Dropout(0.4),
                              nn.Linear(500, 300), nn.ReLU(), nn.Dropout(0.4), nn.Linear(300, 10))
        opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-6)
    else:
        model = nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.Conv2d(16, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(16, 32, 3), nn.ReLU(), nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(512, 100), nn.ReLU(), nn.Linear(100, 10))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    lossf = nn.CrossEntropyLoss()

    def step(X, y):
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(torch.from_numpy(X)), torch.from_numpy(y.astype(np.int64)))
        loss.backward()
        opt.step()
        return loss.item()

    return step, 0.0


# PyTensor --------------------------------------------------------------------------------

def pytensor_step(kind):
    if kind == "cnn" and not os.environ.get("BENCH_PYTENSOR_CONV"):
        raise ImportError("PyTensor's ConvNet compiles for minutes: set BENCH_PYTENSOR_CONV=1 to include it")
    import pytensor
    import pytensor.tensor as pt
    from pytensor.tensor.random.utils import RandomStream

    pytensor.config.floatX = "float32"
    warnings.simplefilter("ignore", FutureWarning)
    rng = np.random.default_rng(0)
    X, y = pt.tensor4("X"), pt.ivector("y")

    def param(shape, fan_in, fan_out):
        limit = np.sqrt(2) * np.sqrt(6 / (fan_in + fan_out))
        return pytensor.shared(rng.uniform(-limit, limit, shape).astype("float32"))

    params = []
    if kind == "mlp":
        srng = RandomStream(0)
        h = X.flatten(2)
        for a, b, drop in ((784, 500, True), (500, 300, True), (300, 10, False)):
            W, bias = param((a, b), a, b), pytensor.shared(np.zeros(b, "float32"))
            params += [W, bias]
            h = h @ W + bias
            if drop:
                keep = srng.binomial(1, 0.6, size=h.shape).astype("float32")
                h = pt.maximum(h, 0) * keep / 0.6
    else:
        from pytensor.tensor.conv.abstract_conv import conv2d
        from pytensor.tensor.signal.pool import pool_2d
        h = X
        for k, (f, c) in enumerate(((16, 1), (16, 16), (32, 16), (32, 32))):
            W, bias = param((f, c, 3, 3), c * 9, f * 9), pytensor.shared(np.zeros(f, "float32"))
            params += [W, bias]
            h = pt.maximum(conv2d(h, W) + bias.dimshuffle("x", 0, "x", "x"), 0)
            if k % 2:
                h = pool_2d(h, (2, 2), ignore_border=True)
        h = h.flatten(2)
        for a, b, relu in ((512, 100, True), (100, 10, False)):
            W, bias = param((a, b), a, b), pytensor.shared(np.zeros(b, "float32"))
            params += [W, bias]
            h = h @ W + bias
            h = pt.maximum(h, 0) if relu else h
    loss = -pt.mean(pt.special.log_softmax(h, axis=1)[pt.arange(y.shape[0]), y])
    grads = pytensor.grad(loss, params)
    updates = []
    for p, g in zip(params, grads):
        state = pytensor.shared(np.zeros(p.get_value().shape, "float32"))
        if kind == "mlp":
            new_state = 0.9 * state + 0.1 * g ** 2
            updates += [(state, new_state), (p, p - 1e-3 * g / pt.sqrt(new_state + 1e-6))]
        else:
            new_state = 0.9 * state - 0.01 * g
            updates += [(state, new_state), (p, p + new_state)]
    start = time.perf_counter()
    fn = pytensor.function([X, y], loss, updates=updates)
    return fn, time.perf_counter() - start


PEERS = {"minitheano": minitheano_step, "numpy by hand": numpy_step, "PyTorch CPU": torch_step,
         "PyTensor": pytensor_step}
KINDS = {"mlp": ("MLP 784-500-300-10, dropout, RMSprop, batch 500", MLP_BATCH),
         "cnn": ("ConvNet 16-16-pool-32-32-pool-100-10, momentum, batch 100", CNN_BATCH)}


def measure(kind, peer):
    """One peer's figures, as a JSON line (run in a process of its own, see ``run``)."""
    X, y, source = load_data()
    try:
        step, compile_s = PEERS[peer](kind)
    except ImportError as exc:
        return {"status": "skipped", "note": str(exc).split("\n")[0][:70], "source": source}
    except Exception as exc:  # a peer that breaks must not hide the others' figures
        return {"status": "failed", "note": f"{type(exc).__name__}: {exc}"[:90], "source": source}
    return {"status": "ok", "seconds": epoch_seconds(step, X, y, KINDS[kind][1]), "compile_s": compile_s,
            "source": source}


def _one(root, kind, peer):
    out = subprocess.run([sys.executable, "-m", "bench.training", kind, peer], cwd=root, capture_output=True, text=True)
    lines = out.stdout.strip().splitlines()
    if out.returncode == 0 and lines:
        return json.loads(lines[-1])
    return {"status": "failed", "note": (out.stderr.strip().splitlines() or ["?"])[-1][:90]}


def run(quick=False):
    """Interleaved rounds, each peer in a fresh process (one library's spinning BLAS threads
    must not slow the next); returns {kind: {peer: median s/epoch}}."""
    if quick:
        os.environ.setdefault("BENCH_BATCHES", "20")
    rounds = int(os.environ.get("BENCH_ROUNDS", 3))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    batches = os.environ.get("BENCH_BATCHES")
    print(f"\nOne training epoch over the 50,000 MNIST training images, {threads()} thread(s), {clock_name()}, "
          "each peer "
          f"in its own process, {rounds} interleaved rounds{f', {batches} batches timed per epoch' if batches else ''}")
    medians = {}
    for kind, (title, _) in KINDS.items():
        samples, notes, source = {}, {}, ""
        for _ in range(rounds):
            for peer in PEERS:
                if peer in notes:
                    continue
                result = _one(root, kind, peer)
                source = result.get("source", source)
                if result["status"] != "ok":
                    notes[peer] = result
                    continue
                samples.setdefault(peer, []).append((result["seconds"], result["compile_s"]))
        med = {peer: float(np.median([t for t, _ in v])) for peer, v in samples.items()}
        base = med.get("minitheano")
        rows = []
        for peer in PEERS:
            if peer in med:
                spread = f"{min(t for t, _ in samples[peer]):.3g}-{max(t for t, _ in samples[peer]):.3g}"
                rows.append([peer, med[peer], spread, base / med[peer] if base else "",
                             float(np.median([c for _, c in samples[peer]])), ""])
            else:
                rows.append([peer, notes[peer]["status"], "", "", "", notes[peer]["note"]])
        table(f"{title} ({source})", ["implementation", "s/epoch (median)", "range", "minitheano time / this",
                                      "compile s", "note"], rows)
        medians[kind] = med
    return medians


if __name__ == "__main__":
    if len(sys.argv) == 3:
        print(json.dumps(measure(sys.argv[1], sys.argv[2])))
    else:
        run()
