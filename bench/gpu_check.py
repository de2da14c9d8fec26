"""`make gpu-check`: the GPU path end to end on a machine with an NVIDIA GPU, in under 8 minutes.

    python bench/gpu_check.py [--device gpu|strict] [--batches N] [--require-gpu]

1. finds the GPU and the CUDA version its driver supports (nvidia-smi); with no GPU it says so and
   exits (status 0, or 1 with --require-gpu);
2. installs the `gpu` extra (cupy-cuda13x) or `gpu-cuda12` (cupy-cuda12x) to match, unless cupy works;
3. runs the GPU tests (tests/test_gpu.py);
4. executes notebook 03 in fast mode with MINITHEANO_DEVICE=gpu;
5. times one MLP and one ConvNet epoch: minitheano on the GPU, minitheano on the CPU, and PyTorch
   CUDA when it is installed (each in a process of its own; long epochs are timed on their first
   batches and extrapolated);
6. runs the framework tests with MINITHEANO_DEVICE=gpu in the time left;
and prints one table. `--device strict` rehearses every step on the strict backend (no GPU needed).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench.training builds the networks
TOTAL_S = 7 * 60 + 30          # the whole check, leaving margin under 8 minutes
EPOCH_BUDGET_S = 25            # timing one epoch of one peer, after compiling and a warm-up step
KINDS = {"mlp": ("MLP 784-500-300-10, dropout, RMSprop", 500), "cnn": ("ConvNet 16-16-pool-32-32-pool-100-10", 100)}
FRAMEWORK_TESTS = ["tests/test_ops.py", "tests/test_grad.py", "tests/test_function.py", "tests/test_layers.py",
                   "tests/test_conv_pool.py", "tests/test_updates.py", "tests/test_objectives.py",
                   "tests/test_random.py"]


# Finding the GPU ---------------------------------------------------------------------------

def find_gpu():
    """(name, driver CUDA version as (major, minor), driver version), or None when there is no NVIDIA GPU."""
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        query = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                               capture_output=True, text=True, timeout=30, check=False)
        banner = subprocess.run(["nvidia-smi"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if query.returncode != 0 or not query.stdout.strip():
        return None
    name, driver = [s.strip() for s in query.stdout.strip().splitlines()[0].split(",")[:2]]
    match = re.search(r"CUDA Version:\s*(\d+)\.(\d+)", banner.stdout)
    return name, (int(match.group(1)), int(match.group(2))) if match else None, driver


def gpu_extra(cuda):
    """The pyproject extra whose cupy wheel matches a driver supporting CUDA ``cuda`` (major, minor)."""
    if cuda is None or cuda[0] < 12:
        return None
    return "gpu" if cuda[0] >= 13 else "gpu-cuda12"


# Steps -------------------------------------------------------------------------------------

class Check:
    """The steps, each with a time limit taken from what is left of TOTAL_S, and the rows they report."""

    def __init__(self, device, batches):
        self.device, self.batches = device, batches
        self.start = time.perf_counter()
        self.rows = []

    def left(self):
        return TOTAL_S - (time.perf_counter() - self.start)

    def run(self, cmd, limit, env=None):
        """(returncode, stdout + stderr, seconds); returncode None when it ran past ``limit``."""
        limit = max(1.0, min(limit, self.left()))
        start = time.perf_counter()
        try:
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=limit, check=False,
                                  env={**os.environ, **(env or {})})
            return done.returncode, done.stdout + done.stderr, time.perf_counter() - start
        except subprocess.TimeoutExpired as exc:
            out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            return None, out, time.perf_counter() - start

    def row(self, what, result, seconds="", note=""):
        self.rows.append([what, result, seconds if isinstance(seconds, str) else f"{seconds:.1f}", note])

    def install(self, extra):
        """cupy from the extra's requirements (pip, no rebuild of minitheano itself), unless cupy works already."""
        probe = [sys.executable, "-c", "import cupy; cupy.cuda.runtime.getDeviceCount()"]
        code, out, seconds = self.run(probe, 60)
        if code == 0:
            self.row("cupy", "already works", seconds, cupy_version())
            return True
        code, out, seconds = self.run([sys.executable, "-m", "pip", "install", "--quiet", *extra_requirements(extra)],
                                      180)
        works = code == 0 and self.run(probe, 60)[0] == 0
        note = cupy_version() if works else f"{last_line(out)} (offline? pip install the wheel from a wheelhouse first)"
        self.row(f"install .[{extra}]", "ok" if works else "FAILED", seconds, note)
        return works

    def pytest(self, what, paths, limit, env=None, extra=()):
        code, out, seconds = self.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra,
                                       *paths], limit, env)
        summary = re.findall(r"^=*\s*(\d+ \w+.*?) in [\d.]+s", out, re.MULTILINE)
        result = summary[-1] if summary else ("timed out" if code is None else last_line(out))
        failed = re.findall(r"^FAILED (\S+)", out, re.MULTILINE)
        self.row(what, result if code in (0, 5) else f"FAIL: {result}", seconds,
                 ", ".join(f.split("::")[-1] for f in failed[:3]))

    def notebook(self):
        env = {"COURSE_MODE": "fast", "MINITHEANO_DEVICE": self.device}
        code, out, seconds = self.run([sys.executable, "grader/run_course.py", "03_mlp_mnist"], 150, env)
        results = re.findall(r"RESULT (\S+): (\S+)", out)
        failure = re.search(r"FAIL\s+(cell .*)", out)
        status = "timed out" if code is None else ("PASS" if code == 0 else "FAIL")
        note = failure.group(1)[:90] if failure else " ".join(f"{k}={v}" for k, v in results)
        self.row(f"notebook 03, fast, device={self.device}", status, seconds, note)

    def epochs(self):
        peers = [("minitheano", self.device), ("minitheano", "cpu"), ("torch", "cuda")]
        for kind in KINDS:
            base = None  # minitheano on the device under test
            for library, device in peers:
                cmd = [sys.executable, str(Path(__file__)), "--epoch", kind, "--library", library,
                       "--batches", str(self.batches)]
                env = {"MINITHEANO_DEVICE": device if library == "minitheano" else "cpu"}
                code, out, seconds = self.run(cmd, EPOCH_BUDGET_S + 60, env)
                lines = out.strip().splitlines()
                try:
                    figures = json.loads(lines[-1]) if code == 0 else None
                except (ValueError, IndexError):
                    figures = None
                what = f"{kind} epoch: {library} {device}"
                if figures is None:
                    self.row(what, "timed out" if code is None else "failed", seconds, error_line(out))
                elif figures["status"] != "ok":
                    self.row(what, figures["status"], seconds, figures["note"])
                else:
                    if (library, device) == peers[0]:
                        base = figures["seconds"]
                    ratio = f"{figures['seconds'] / base:.2f}x the time of minitheano {self.device}; " if base else ""
                    self.row(what, f"{figures['seconds']:.2f} s/epoch", seconds, ratio + figures["note"])

    def table(self):
        header = ["check", "result", "s", "note"]
        cells = [header] + self.rows
        widths = [min(60, max(len(r[i]) for r in cells)) for i in range(len(header) - 1)]
        print()
        for k, row in enumerate(cells):
            print("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[-1])
            if k == 0:
                print("  ".join("-" * w for w in widths) + "  ----")
        print(f"total {time.perf_counter() - self.start:.0f} s")


def extra_requirements(extra):
    """The requirements of pyproject's optional dependency ``extra`` (each written on one line there)."""
    text = (ROOT / "pyproject.toml").read_text()
    match = re.search(rf"^{re.escape(extra)}\s*=\s*\[(.*)\]\s*$", text, re.MULTILINE)
    if match is None:
        raise SystemExit(f"gpu-check: pyproject.toml has no one-line optional dependency {extra!r}")
    return re.findall(r'"([^"]+)"', match.group(1))


def cupy_version():
    out = subprocess.run([sys.executable, "-c", "import cupy; print(cupy.__version__)"], capture_output=True,
                         text=True, check=False).stdout.strip()
    return f"cupy {out}" if out else ""


def error_line(text):
    """The last 'SomeError: message' line of a traceback (else the last line)."""
    errors = [line.strip() for line in text.splitlines() if re.match(r"^[\w.]*(Error|Exception)\b.*?: ", line)]
    return errors[-1][:160] if errors else last_line(text)


def last_line(text):
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:100] if lines else ""


# One epoch, in a process of its own -------------------------------------------------------

def mnist_or_random():
    from minitheano.datasets import MNISTUnavailable, load_mnist

    try:
        data = load_mnist(download=False)
        return data.X_train, data.y_train, "MNIST"
    except MNISTUnavailable:
        rng = np.random.default_rng(0)
        return rng.random((50000, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 50000).astype("int32"), "random"


def minitheano_step(kind):
    import minitheano as th
    from bench.training import train_graph

    X, y, loss, upd = train_graph(kind)
    return th.function([X, y], loss, updates=upd), lambda: None  # outputs come back to the host: synchronised


def torch_step(kind):
    import torch
    from torch import nn

    if not torch.cuda.is_available():
        raise ImportError("PyTorch has no CUDA here")
    torch.manual_seed(0)
    if kind == "mlp":
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 500), nn.ReLU(), nn.Dropout(0.4),
                              nn.Linear(500, 300), nn.ReLU(), nn.Dropout(0.4), nn.Linear(300, 10))
    else:
        model = nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.Conv2d(16, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(16, 32, 3), nn.ReLU(), nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(512, 100), nn.ReLU(), nn.Linear(100, 10))
    model = model.cuda().train()
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-6) if kind == "mlp" else \
        torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    lossf = nn.CrossEntropyLoss()

    def step(X, y):  # host batches, as minitheano gets them
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(torch.from_numpy(X).cuda()), torch.from_numpy(y.astype(np.int64)).cuda())
        loss.backward()
        opt.step()
        return loss

    return step, torch.cuda.synchronize


def epoch(kind, library, batches):
    """Seconds for one epoch (JSON): the first ``batches`` batches (0: all, within EPOCH_BUDGET_S), scaled."""
    X, y, source = mnist_or_random()
    batch = KINDS[kind][1]
    try:
        start = time.perf_counter()
        step, sync = (minitheano_step if library == "minitheano" else torch_step)(kind)
        step(X[:batch], y[:batch])
        sync()
        compile_s = time.perf_counter() - start
    except ImportError as exc:
        return {"status": "skipped", "note": str(exc).splitlines()[0][:80]}
    total, done = len(X) // batch, 0
    limit = batches or total
    start = time.perf_counter()
    while done < limit and (batches or time.perf_counter() - start < EPOCH_BUDGET_S):
        step(X[done * batch:(done + 1) * batch], y[done * batch:(done + 1) * batch])
        done += 1
    sync()
    seconds = (time.perf_counter() - start) * total / done
    note = f"{source}, first step+compile {compile_s:.1f} s" + (f", {done}/{total} batches" if done < total else "")
    return {"status": "ok", "seconds": seconds, "note": note}


# Main --------------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="gpu", choices=["gpu", "strict"])
    parser.add_argument("--batches", type=int, default=0, help="time only this many batches per epoch (0: budget)")
    parser.add_argument("--require-gpu", action="store_true", help="exit 1 when there is no GPU")
    parser.add_argument("--epoch", choices=list(KINDS), help=argparse.SUPPRESS)
    parser.add_argument("--library", choices=["minitheano", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.epoch:
        print(json.dumps(epoch(args.epoch, args.library, args.batches)))
        return 0

    check = Check(args.device, args.batches)
    if args.device == "gpu":
        gpu = find_gpu()
        if gpu is None:
            print("gpu-check: no NVIDIA GPU here (nvidia-smi is missing or finds no device), so there is nothing "
                  "to check. Run `make gpu-check` on a machine with an NVIDIA GPU; "
                  "`python bench/gpu_check.py --device strict` rehearses the steps on the CPU.")
            return 1 if args.require_gpu else 0
        name, cuda, driver = gpu
        extra = gpu_extra(cuda)
        cuda_text = "?" if cuda is None else f"{cuda[0]}.{cuda[1]}"
        check.row("GPU", name, "", f"driver {driver}, supports CUDA {cuda_text}")
        if extra is None:
            check.row("cupy wheel", "none", "", f"this driver supports CUDA {cuda_text}; cupy wheels need 12 or 13")
            check.table()
            return 1
        if not check.install(extra):
            check.table()
            return 1
        check.pytest("GPU tests (tests/test_gpu.py)", ["tests/test_gpu.py"], 120, extra=("-m", "gpu"))
    else:
        check.row("device", "strict", "", "rehearsal on the CPU: the strict backend stands in for cupy")
        check.pytest("strict backend tests", ["tests/test_strict_backend.py"], 120, extra=("-m", "not slow"))
    check.notebook()
    check.epochs()
    if check.left() > 45:
        check.pytest(f"framework tests, device={args.device}", FRAMEWORK_TESTS, check.left() - 5,
                     {"MINITHEANO_DEVICE": args.device}, extra=("-m", "not slow and not mnist", "--maxfail=25"))
    else:
        check.row(f"framework tests, device={args.device}", "not run", "", "no time left")
    check.table()
    return 0 if not any(r[1].startswith(("FAIL", "failed", "timed out")) for r in check.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
