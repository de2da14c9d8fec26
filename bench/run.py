"""Run every benchmark and print their tables, then one summary of same-run ratios: `make bench`.

Select with arguments: `python bench/run.py core training kernels`; `--quick` times 20 batches
per epoch and fewer kernel rounds (a few minutes). Thread count: BENCH_THREADS (default: all
cores); rounds of the training epochs: BENCH_ROUNDS. On a loaded machine, BENCH_THREADS=1
BENCH_CLOCK=cpu compares CPU time, which the load does not inflate.
"""
import importlib
import os
import sys

SUITES = ["core", "kernels", "training"]


def summary(results):
    """The ratios the performance targets are stated in (time of minitheano / time of the peer)."""
    from bench.common import table

    rows = []
    titles = {"mlp": "MLP epoch", "cnn": "ConvNet epoch"}
    for kind, peers in (results.get("training") or {}).items():
        mine = peers.get("minitheano")
        for peer in ("numpy by hand", "PyTorch CPU"):
            if mine and peer in peers:
                rows.append([f"{titles[kind]}: minitheano / {peer}", mine / peers[peer]])
    for name, impls in (results.get("kernels") or {}).items():
        if "PyTorch" in impls:
            rows.append([f"kernel {name}: minitheano / PyTorch", impls["minitheano"] / impls["PyTorch"]])
    if rows:
        table("Summary: same-run ratios of medians (below 1: minitheano is faster)", ["ratio", "value"], rows)


def main(argv):
    from bench.common import threads

    n = str(threads())
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, n)
    quick = "--quick" in argv
    chosen = [a for a in argv if a != "--quick"] or SUITES
    results = {}
    for name in chosen:
        if name not in SUITES:
            sys.exit(f"unknown benchmark {name!r}; choose from {SUITES} (and --quick)")
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            print(f"\n[{name}] skipped: {exc}")
            continue
        results[name] = module.run(quick=quick) if name != "core" else module.run()
    summary(results)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main(sys.argv[1:])
