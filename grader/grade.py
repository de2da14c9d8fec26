"""Autograde handed-in notebooks, write feedback and a grades CSV (`make grade SUBMISSIONS=dir`).

SUBMISSIONS may hold, mixed freely:
  <student>/<assignment>/<assignment>.ipynb   nbgrader's submitted layout (other files and timestamp.txt kept)
  <student>_<assignment>.ipynb                a flat folder of handed-in notebooks, e.g. alice_03_mlp_mnist.ipynb
where <assignment> is a folder name of solutions/. The submissions folder is
only read: everything is copied into grader/_work/submitted, which is rebuilt
on each run together with the gradebook, autograded notebooks and feedback.

Each (student, assignment) is autograded on its own, so one broken submission
never stops the others. The CSV (grader/_work/grades.csv) has one row per
student and notebook with score, max_score and a status that is either
`graded` or `not graded: <reason>` (missing, not a notebook, kernel died,
timed out, ...). A submission that could not be graded has no score: nbgrader
alone would report it as 0.0, the same as a real zero. The notes column flags
graded work for a human to review, e.g. an answer that reassigns np.allclose.

    python grader/grade.py SUBMISSIONS [--csv PATH]
"""
import argparse
import csv
import re
import shutil
import sys
import time
import warnings
from dataclasses import asdict, dataclass, fields
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.common import (ROOT, WORK, GraderError, cell_timeout, check, fresh_gradebook,  # noqa: E402
                           list_assignments, nbgrader_api, nbgrader_config)

GRADED = "graded"
_FLAT_RE = re.compile(r"(?P<student>.+?)_(?P<assignment>\d\d_\w+)")


@dataclass
class Row:
    """One line of the grades CSV."""
    student: str
    assignment: str
    notebook: str
    score: float | None
    max_score: float | None
    status: str
    notes: str = ""
    feedback: str = ""
    log: str = ""


def find_submissions(folder, known):
    """Map (student, assignment) -> list of handed-in folders/files, plus (name, reason) for unusable entries."""
    folder = Path(folder)
    candidates, unusable = {}, []

    def add(key, path):
        candidates.setdefault(key, []).append(path)

    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            subdirs = [d for d in sorted(entry.iterdir()) if d.is_dir() and not d.name.startswith(".")]
            if not subdirs:
                unusable.append((entry.name, "student folder without assignment folders"))
            for sub in subdirs:
                add((entry.name, sub.name), sub)
            for stray in sorted(p for p in entry.iterdir() if p.is_file() and not p.name.startswith(".")):
                unusable.append((f"{entry.name}/{stray.name}", "file outside an assignment folder"))
            continue
        match = None
        if entry.suffix == ".ipynb":
            for assignment in sorted(known, key=len, reverse=True):
                if entry.stem.endswith("_" + assignment) and len(entry.stem) > len(assignment) + 1:
                    match = (entry.stem[:-len(assignment) - 1], assignment)
                    break
            if match is None and (m := _FLAT_RE.fullmatch(entry.stem)):
                match = (m["student"], m["assignment"])
        if match:
            add(match, entry)
        else:
            unusable.append((entry.name, "name is not <student>_<assignment>.ipynb"))
    return candidates, unusable


def _copy_in(path, dest, assignment):
    """Copy a handed-in folder or file to dest (an nbgrader submitted/<student>/<assignment> folder)."""
    if path.is_dir():
        shutil.copytree(path, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    else:
        dest.mkdir(parents=True)
        shutil.copy2(path, dest / f"{assignment}.ipynb")


def notebook_problem(path):
    """Why `path` cannot be graded before running anything, or None."""
    import nbformat

    if not path.is_file():
        others = sorted(p.name for p in path.parent.glob("*.ipynb"))
        return f"missing {path.name}" + (f" (found {', '.join(others)})" if others else "")
    try:
        nbformat.read(str(path), as_version=4)
    except nbformat.reader.NotJSONError:
        return "not a notebook (invalid JSON)"
    except Exception as exc:  # any reading error makes the file ungradable; say which
        return f"not a notebook ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
    return None


def _last_exception(log):
    """The last 'SomeError: message' line in nbgrader's log, other than its own summary."""
    lines = [ln.strip() for ln in log.splitlines()
             if re.match(r"\s*[\w.]+(Error|Exception|Exit|Interrupt)\b", ln) and "NbGraderException" not in ln]
    return lines[-1][:300] if lines else "see the log"


def failure_reason(result, autograded, timeout):
    """Why an autograde run did not grade the notebook, or None if it did."""
    import nbformat

    text = result.get("log", "") + "\n" + result.get("error", "")
    if not result.get("success"):
        if "DeadKernelError" in text:
            return "kernel died (the notebook crashed or exited its Python process)"
        if "Timeout waiting for IOPub output" in text or "UnresponsiveKernelError" in text:
            return f"timed out (a cell ran past {timeout} s and ignored the interrupt)"
        if "NotJSONError" in text:
            return "not a notebook (invalid JSON)"
        return f"nbgrader failed: {_last_exception(result.get('log', ''))}"
    if not autograded.is_file():
        return "nbgrader wrote no autograded notebook"
    nb = nbformat.read(str(autograded), as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if any(out.output_type == "error" and out.ename == "CellTimeoutError" for out in cell.outputs):
            return f"timed out (cell {index} ran past {timeout} s)"
        if cell.source.strip() and cell.execution_count is None:
            return f"not executed (cell {index} has no execution count)"
    return None


def _scores(db_url, student, assignment):
    """(score, max_score, needs_manual_grade) of one submitted notebook in the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        nb = gb.find_submission_notebook(assignment, assignment, student)
        return float(nb.score), float(nb.max_score), bool(nb.needs_manual_grade)


def cell_scores(db_url, student, assignment):
    """{grade_id: (score, max_score)} of every graded cell of one submitted notebook."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        nb = gb.find_submission_notebook(assignment, assignment, student)
        return {g.name: (None if g.score is None else float(g.score), float(g.max_score)) for g in nb.grades}


def _max_score(db_url, assignment):
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gb:
        try:
            return float(gb.find_notebook(assignment, assignment).max_score)
        except MissingEntry:
            return None


def _reset(work):
    for name in ("submitted", "autograded", "feedback", "release", "logs"):
        shutil.rmtree(work / name, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)


def grade(submissions, root=ROOT, work=None, log=print):
    """Autograde everything in `submissions` against root/solutions; return the CSV rows."""
    root = Path(root).resolve()
    work = Path(work).resolve() if work else root / WORK
    submissions = Path(submissions).resolve()
    if not submissions.is_dir():
        raise GraderError(f"submissions folder {submissions} does not exist")
    if submissions.is_relative_to(work):
        raise GraderError(f"submissions folder {submissions} is inside {work}, which each run rebuilds: "
                          "move the submissions elsewhere first")
    known = list_assignments(root / "solutions")
    found, unusable = find_submissions(submissions, known)
    rows = [Row("?", "?", name, None, None, f"not graded: {reason}") for name, reason in unusable]
    for name, reason in unusable:
        log(f"{name}: NOT GRADED: {reason}")

    _reset(work)
    config = nbgrader_config(root, work, release=work / "release")
    db_url = config.CourseDirectory.db_url
    api = nbgrader_api(config)
    fresh_gradebook(db_url)
    students = sorted({s for s, _ in found})

    with warnings.catch_warnings():
        # nbgrader's own SQLAlchemy and nbformat warnings, not the learner's business nor ours
        warnings.simplefilter("ignore")
        for assignment in sorted({a for _, a in found} & set(known)):
            check(api.generate_assignment(assignment, force=True, create=True),
                  f"nbgrader generate_assignment {assignment} (for the gradebook)")
        for assignment in sorted({a for _, a in found}):
            max_score = _max_score(db_url, assignment) if assignment in known else None
            for student in students:
                try:
                    row = _row(api, db_url, work, submissions, found.get((student, assignment)),
                               student, assignment, known, max_score)
                except Exception as exc:  # one broken submission must not stop the others
                    row = Row(student, assignment, assignment, None, max_score,
                              f"not graded: grader error ({type(exc).__name__}: {exc})")
                rows.append(row)
                log(f"{student} / {assignment}: {_fmt(row.score, '-')} / {_fmt(row.max_score, '?')}  {row.status}"
                    + (f"  ({row.notes})" if row.notes else ""))
    return rows


def _fmt(value, missing):
    return missing if value is None else f"{value:g}"


def _row(api, db_url, work, submissions, paths, student, assignment, known, max_score):
    """The CSV row of one (student, assignment), grading it if it can be graded."""
    if not paths:
        return Row(student, assignment, assignment, None, max_score, "not graded: missing")
    if assignment not in known:
        return Row(student, assignment, assignment, None, None,
                   f"not graded: unknown assignment (no solutions/{assignment})")
    if len(paths) > 1:
        names = " and ".join(str(p.relative_to(submissions)) for p in paths)
        return Row(student, assignment, assignment, None, max_score,
                   f"not graded: {len(paths)} submissions ({names})")
    _copy_in(paths[0], work / "submitted" / student / assignment, assignment)
    return _grade_one(api, db_url, work, student, assignment, max_score, cell_timeout())


def _grade_one(api, db_url, work, student, assignment, max_score, timeout):
    """Autograde one submission and write its feedback; the row says how it went."""
    row = Row(student, assignment, assignment, None, max_score, "")
    problem = notebook_problem(work / "submitted" / student / assignment / f"{assignment}.ipynb")
    if problem:
        row.status = f"not graded: {problem}"
        return row
    start = time.monotonic()
    result = api.autograde(assignment, student, force=True, create=True)
    logfile = work / "logs" / assignment / f"{student}.log"
    logfile.parent.mkdir(parents=True, exist_ok=True)
    logtext = [result.get("log", ""), result.get("error", "")]
    row.log = str(logfile)
    reason = failure_reason(result, work / "autograded" / student / assignment / f"{assignment}.ipynb", timeout)
    if reason:
        row.status = f"not graded: {reason}"
    else:
        row.score, row.max_score, manual = _scores(db_url, student, assignment)
        row.status = GRADED
        row.notes = "; ".join((["some cells need manual grading"] if manual else [])
                              + _review(work, student, assignment))
        feedback = api.generate_feedback(assignment, student, force=True)
        html = work / "feedback" / student / assignment / f"{assignment}.html"
        if feedback.get("success") and html.is_file():
            row.feedback = str(html)
        logtext += ["--- generate_feedback ---", feedback.get("log", ""), feedback.get("error", "")]
    logtext.append(f"--- {row.status} after {time.monotonic() - start:.1f} s ---")
    logfile.write_text("\n".join(logtext) + "\n")
    return row


def _review(work, student, assignment):
    """'review: ...' notes: deleted test cells (scored 0) and code that tampers with tests (grader/tamper.py)."""
    import nbformat

    from grader.tamper import suspicious_cells

    graded = nbformat.read(str(work / "autograded" / student / assignment / f"{assignment}.ipynb"), as_version=4)
    released = nbformat.read(str(work / "release" / assignment / f"{assignment}.ipynb"), as_version=4)

    def test_ids(nb):
        return [c.metadata["nbgrader"].get("grade_id") for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade")]

    deleted = [i for i in test_ids(released) if i not in set(test_ids(graded))]
    notes = [f"review: test cells deleted by the learner, scored 0: {', '.join(deleted)}"] if deleted else []
    return notes + [f"review: {message}" for message in suspicious_cells(graded, released)]


def write_csv(rows, path):
    """Write the rows as CSV; scores of ungraded submissions stay empty."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=[f.name for f in fields(Row)])
        writer.writeheader()
        for row in rows:
            values = asdict(row)
            for key in ("score", "max_score"):
                values[key] = _fmt(values[key], "")
            writer.writerow(values)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", nargs="?", help="folder of submissions (see the layouts above)")
    parser.add_argument("--csv", help=f"where to write the grades (default {WORK}/grades.csv)")
    args = parser.parse_args(argv)
    if not args.submissions:
        parser.error("give the submissions folder, e.g. make grade SUBMISSIONS=path/to/submissions")
    try:
        rows = grade(args.submissions)
    except GraderError as exc:
        print(f"grade failed: {exc}", file=sys.stderr)
        return 1
    path = write_csv(rows, args.csv or ROOT / WORK / "grades.csv")
    ungraded = [r for r in rows if r.status.startswith("not graded")]
    print(f"grades written to {path}")
    print(f"feedback in {ROOT / WORK / 'feedback'}")
    if ungraded:
        print(f"WARNING: {len(ungraded)} of {len(rows)} could not be graded; they have no score in the CSV:")
        for r in ungraded:
            print(f"  {r.student} / {r.notebook}: {r.status}")
    for r in rows:
        if "review:" in r.notes:
            print(f"REVIEW {r.student} / {r.notebook}: {r.notes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
