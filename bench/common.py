"""Timing helpers for the benchmarks: best-of-repeats wall time and a plain-text table."""
import os
import time


def best_time(fn, repeat=5, number=1):
    """Best mean seconds per call of ``fn`` over ``repeat`` rounds of ``number`` calls."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def table(title, header, rows):
    """Print rows (lists of cells) under a header, columns aligned."""
    cells = [header] + [[c if isinstance(c, str) else f"{c:.4g}" for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for k, row in enumerate(cells):
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if k == 0:
            print("  ".join("-" * w for w in widths))


def threads():
    """Thread count the benchmarks run with (BENCH_THREADS, default: all cores)."""
    return int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1))


def clock():
    """The benchmarks' clock: wall time, or with BENCH_CLOCK=cpu this process's CPU time, which a
    loaded machine does not inflate (meaningful with BENCH_THREADS=1, where nothing spins)."""
    return time.process_time if os.environ.get("BENCH_CLOCK") == "cpu" else time.perf_counter


def clock_name():
    return "CPU time" if os.environ.get("BENCH_CLOCK") == "cpu" else "wall time"
