"""Grading throughput: notebooks graded per minute by grader/grade.py with 1 and 2 Dask workers (sandboxed),
against nbgrader's own serial `autograde` of the same batch, in the same run (not a test).

The batch is N copies of one solution notebook (COURSE_MODE=fast), each a different student.
Also printed: the bare execution time of the notebook (nbclient, no grader), and each way's
overhead per notebook over it.

    python bench/grading.py [--assignment 01_expression_graphs] [-n 8] [--workers 1 2]
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import table  # noqa: E402
from grader.common import check, fresh_gradebook, nbgrader_api, nbgrader_config  # noqa: E402
from grader.grade import grade  # noqa: E402


def batch(folder, assignment, n):
    """n submissions of the solution of `assignment`, one per student."""
    source = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    for k in range(n):
        dest = folder / f"student{k:03d}" / assignment
        dest.mkdir(parents=True)
        shutil.copyfile(source, dest / f"{assignment}.ipynb")
    return folder


def bare(assignment):
    """Seconds to execute the notebook once with nbclient, no grader."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(str(ROOT / "solutions" / assignment / f"{assignment}.ipynb"), as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "solutions" / assignment)}}).execute()
    return time.perf_counter() - start


def nbgrader_serial(subs, work, assignment):
    """Seconds for nbgrader's stock autograde (its own Execute, no sandbox) of every student, one by one."""
    from nbgrader.converters import Autograde

    config = nbgrader_config(ROOT, work, release=work / "release", submitted=subs)
    config.Autograde.autograde_preprocessors = Autograde.class_traits()["autograde_preprocessors"].default()
    api = nbgrader_api(config)
    fresh_gradebook(config.CourseDirectory.db_url)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(api.generate_assignment(assignment, force=True, create=True), "generate_assignment")
        start = time.perf_counter()
        for student in sorted(p.name for p in subs.iterdir()):
            check(api.autograde(assignment, student, force=True, create=True), f"autograde {student}")
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="01_expression_graphs")
    parser.add_argument("-n", type=int, default=8, help="notebooks in the batch")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    os.environ.setdefault("COURSE_MODE", "fast")
    tmp = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    try:
        subs = batch(tmp / "subs", args.assignment, args.n)
        base = bare(args.assignment)
        results = [("nbgrader autograde, serial, unsandboxed", nbgrader_serial(subs, tmp / "nbg", args.assignment))]
        for workers in args.workers:
            start = time.perf_counter()
            rows = grade(subs, root=ROOT, work=tmp / f"w{workers}", workers=workers, log=lambda *_: None)
            seconds = time.perf_counter() - start
            assert all(r.status == "graded" for r in rows), [r.status for r in rows if r.status != "graded"]
            results.append((f"grader/grade.py, sandboxed, {workers} worker(s)", seconds))
        serial = results[0][1]
        print(f"{args.n} x {args.assignment}, COURSE_MODE={os.environ['COURSE_MODE']}, {os.cpu_count()} cores; "
              f"bare execution {base:.1f} s per notebook")
        table("grading throughput", ["how", "seconds", "notebooks/min", "s/notebook over bare", "vs nbgrader"],
              [[name, s, 60 * args.n / s, s / args.n - base, f"{serial / s:.2f}x"] for name, s in results])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
