"""Execute the course notebooks headless, in order (`make run`).

    python grader/run_course.py [--course] [--timeout SECONDS] [ASSIGNMENT ...]

Runs every solutions/NN_name/NN_name.ipynb (or course/ with --course) with
nbclient, with COURSE_MODE from the environment (default full), and prints
for each notebook its wall time, PASS or FAIL, its failing cells and every
figure it reported with `course.report` (read from the outputs' result data,
which the learner does not see).

A solution notebook passes when no cell fails, nbgrader's way of counting
included: a test cell that writes to stderr, or whose last value is a number
below its points, would lose marks, so it fails here too. (`nbgrader validate`
exits 0 even when tests fail, so CI uses this instead.) A course notebook
passes when its first failure is a blank, i.e. a NotImplementedError (or a check's NotFilledIn).
Exit status 1 when a notebook fails.
"""
import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.common import ROOT, GraderError, cell_timeout, course_mode, list_assignments  # noqa: E402

RESULT_MIMETYPE = "application/vnd.minitheano.result+json"  # minitheano.course.RESULT_MIMETYPE
BLANKS = ("NotImplementedError", "NotFilledIn")  # a blank itself, or a check that ran before it was filled


@dataclass
class CellFailure:
    """One failing cell: where, and the error it raised (or the nbgrader rule it broke)."""
    index: int
    grade_id: str
    ename: str
    evalue: str

    @property
    def blank(self):
        """True for a learner blank not filled in yet (or a check saying so)."""
        return self.ename in BLANKS

    def __str__(self):
        where = f"cell {self.index}" + (f" ({self.grade_id})" if self.grade_id else "")
        return f"{where}: {self.ename}: {self.evalue}".rstrip(": ")


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def reported_results(nb):
    """(name, value) of every figure the notebook's cells reported with `course.report`, in order."""
    return [(out.data[RESULT_MIMETYPE]["name"], float(out.data[RESULT_MIMETYPE]["value"]))
            for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
            if out.output_type in ("display_data", "execute_result") and RESULT_MIMETYPE in out.get("data", {})]


def cell_failures(nb):
    """Failing cells of an executed notebook: errors, and test cells nbgrader would not give full marks."""
    from nbgrader.utils import determine_grade, is_grade, is_solution

    failures = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [out for out in cell.outputs if out.output_type == "error"]
        if errors:
            failures.extend(CellFailure(index, _grade_id(cell), e.ename, e.evalue) for e in errors)
            continue
        if is_grade(cell) and not is_solution(cell):
            score, points = determine_grade(cell)
            if score is not None and score < points:
                stderr = "".join(out.text for out in cell.outputs
                                 if out.output_type == "stream" and out.name == "stderr")
                if stderr:
                    failures.append(CellFailure(index, _grade_id(cell), "stderr",
                                                "nbgrader zeroes a test cell that writes to stderr: "
                                                + stderr.strip().splitlines()[0][:200]))
                else:
                    failures.append(CellFailure(index, _grade_id(cell), "PartialScore",
                                                f"the cell's last value {score:g} is taken by nbgrader "
                                                f"as a score out of {points:g}"))
    return failures


def run_timeout():
    """Seconds a cell may run when executing the course (not grading): a full-mode training
    cell on a slow machine may take many minutes, so only GRADER_CELL_TIMEOUT shortens it."""
    return cell_timeout() if "GRADER_CELL_TIMEOUT" in os.environ or course_mode() == "fast" else 3600


def execute_notebook(path, timeout=None, env=None):
    """Run a notebook in its own folder; return (executed notebook, list of CellFailure).

    Cells keep running after an error, so every failing cell is reported. A
    dead kernel or a cell past `timeout` seconds (default: cell_timeout())
    stops the run and is reported on the cell that was running.
    env: variables added to this process's environment for the kernel.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    path = Path(path)
    nb = nbformat.read(str(path), as_version=4)
    running = {"index": None}

    def on_cell_start(cell, cell_index, **_):
        running["index"] = cell_index

    client = NotebookClient(nb, timeout=timeout or run_timeout(), allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}},
                            on_cell_start=on_cell_start)
    stopped = None
    try:
        client.execute(env={**os.environ, **(env or {})})
    except (DeadKernelError, CellTimeoutError) as exc:
        index = running["index"] if running["index"] is not None else -1
        cell = nb.cells[index] if index >= 0 else None
        stopped = CellFailure(index, _grade_id(cell) if cell else "", type(exc).__name__,
                              str(exc).strip().splitlines()[0] if str(exc).strip() else "")
    failures = cell_failures(nb)
    if stopped:
        failures.append(stopped)
    return nb, failures


@dataclass
class Validation:
    """The outcome of running one notebook."""
    path: Path
    seconds: float
    failures: list = field(default_factory=list)
    results: list = field(default_factory=list)  # (name, value) from course.report

    @property
    def blanks(self):
        """Failures that are blanks to fill in."""
        return [f for f in self.failures if f.blank]

    @property
    def errors(self):
        """Failures that are not blanks."""
        return [f for f in self.failures if not f.blank]

    def passed(self, released=False):
        """Solutions pass with no failure; released notebooks when their first failure is a blank."""
        if not self.failures:
            return True
        return released and min(self.failures, key=lambda f: f.index).blank


def validate_notebook(path, timeout=None, env=None):
    """Run a notebook and collect its failing cells and reported results as a Validation."""
    start = time.monotonic()
    nb, failures = execute_notebook(path, timeout=timeout, env=env)
    return Validation(Path(path), time.monotonic() - start, failures, reported_results(nb))


def run_course(folder, names=None, timeout=None, released=False, log=print):
    """Validate every assignment notebook in `folder` in order; return the list of Validation."""
    folder = Path(folder)
    available = list_assignments(folder)
    unknown = sorted(set(names or ()) - set(available))
    if unknown:
        raise GraderError(f"unknown assignments {unknown}; {folder} has {available}")
    outcomes, env = [], {"COURSE_MODE": course_mode()}
    for name in names or available:
        v = validate_notebook(folder / name / f"{name}.ipynb", timeout=timeout, env=env)
        outcomes.append(v)
        log(f"{name}  {'PASS' if v.passed(released) else 'FAIL'}  {v.seconds:.1f} s"
            + (f"  ({len(v.blanks)} blank(s) not filled in)" if v.blanks else ""))
        for failure in v.failures:
            log(f"    {'blank' if failure.blank else 'FAIL '} {failure}")
        for key, value in v.results:
            log(f"    result {key}: {value:.4f}")
    return outcomes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="assignment ids (default: all, in order)")
    parser.add_argument("--course", action="store_true", help="run the learner notebooks in course/")
    parser.add_argument("--timeout", type=int, help="seconds per cell (default: GRADER_CELL_TIMEOUT or by mode)")
    args = parser.parse_args(argv)
    folder = ROOT / ("course" if args.course else "solutions")
    try:
        print(f"running {folder} with COURSE_MODE={course_mode()}")
        outcomes = run_course(folder, args.names, timeout=args.timeout, released=args.course)
    except GraderError as exc:
        print(f"run failed: {exc}", file=sys.stderr)
        return 1
    if not outcomes:
        print(f"no notebooks in {folder}")
        return 1
    failed = [v.path.stem for v in outcomes if not v.passed(args.course)]
    print(f"{len(outcomes) - len(failed)} of {len(outcomes)} notebooks passed"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
