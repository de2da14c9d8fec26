"""Run every benchmark and print their tables: `make bench` (or python -m bench.run).

Select with arguments: `python -m bench.run core training`. Thread count: BENCH_THREADS.
"""
import importlib
import os
import sys

SUITES = ["core", "training"]


def main(argv):
    from bench.common import threads

    n = str(threads())
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, n)
    chosen = argv or SUITES
    for name in chosen:
        if name not in SUITES:
            sys.exit(f"unknown benchmark {name!r}; choose from {SUITES}")
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            print(f"\n[{name}] skipped: {exc}")
            continue
        module.run()


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main(sys.argv[1:])
