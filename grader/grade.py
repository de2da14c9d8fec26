"""Autograde handed-in notebooks in a sandbox, on Dask, and write feedback and a grades CSV (`make grade`).

SUBMISSIONS may hold, mixed freely:
  <student>/<assignment>/<assignment>.ipynb   nbgrader's submitted layout (timestamp.txt kept)
  <student>_<assignment>.ipynb                a flat folder of handed-in notebooks, e.g. alice_03_mlp_mnist.ipynb
where <assignment> is a folder name of solutions/. The submissions folder is
only read. Student ids are NFC-normalised; ids nbgrader would misread
(glob or regex characters, whitespace, leading dot, separators), symlinks and
code handed in beside a notebook are refused with a row saying why.

Each (student, assignment) is one task on a Dask cluster (an embedded
LocalCluster with one worker per core, or --scheduler ADDRESS), executed by
nbgrader with its kernel in a bubblewrap sandbox (grader/sandbox.py). This
process alone scores the executed notebooks into the gradebook, writes the
feedback and the CSV (grader/_work/grades.csv): one row per student and
notebook with score, max_score and a status that is either `graded` or
`not graded: <reason>`; notes flag graded work for a human to review; the
sandbox column says `bwrap` or `unsandboxed`. Submissions unchanged since the
last run (same content hash, same assignment and grader) keep their row.

    python grader/grade.py SUBMISSIONS [--csv PATH] [--workers N | --scheduler ADDRESS]
                           [--regrade] [--unsandboxed]
"""
import argparse
import csv
import json
import os
import re
import shutil
import sys
import warnings
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader import intake, sandbox  # noqa: E402
from grader.common import (ROOT, WORK, GraderError, cell_timeout, check, course_mode, fresh_gradebook,  # noqa: E402
                           list_assignments, nbgrader_api, nbgrader_config)

GRADED = "graded"
WORKER_LOST = "not graded: worker lost (its Dask worker died twice while running it)"
_FLAT_RE = re.compile(r"(?P<student>.+?)_(?P<assignment>\d\d_\w+)")
_JUNK = {".ipynb_checkpoints", ".git", ".DS_Store", ".Trash"}
# The embedded cluster: a task whose worker dies is retried once; a worker busy grading on a
# loaded machine may answer late, which is not a death.
DASK_CONFIG = {"distributed.scheduler.allowed-failures": 1, "distributed.scheduler.worker-saturation": 1.0,
               "distributed.comm.timeouts.tcp": "600s",
               "distributed.comm.timeouts.connect": "120s", "distributed.scheduler.worker-ttl": "30 minutes"}


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
    sandbox: str = ""
    feedback: str = ""
    log: str = ""


def find_submissions(folder, known):
    """Map (student, assignment) -> list of handed-in folders/files, plus (name, reason) for unusable entries.

    Student ids come back NFC-normalised; two spellings of one id, invalid ids and symlinked
    student or assignment folders are unusable.
    """
    folder = Path(folder)
    candidates, unusable, spellings = {}, [], {}

    def add(raw, assignment, path):
        student = intake.normalise(raw)
        spellings.setdefault(student, set()).add(raw)
        candidates.setdefault((student, assignment), []).append(path)

    for entry in sorted(folder.iterdir()):
        if entry.name in _JUNK or (entry.name.startswith(".") and not entry.is_dir()):
            continue
        if entry.is_symlink():
            unusable.append((entry.name, "symlink in the submissions (hand in the files themselves)"))
            continue
        if entry.is_dir():
            problem = intake.id_problem(intake.normalise(entry.name))
            if problem:
                unusable.append((entry.name, f"invalid student id {entry.name!r} ({problem})"))
                continue
            subdirs = [d for d in sorted(entry.iterdir()) if d.is_dir() and d.name not in _JUNK]
            if not subdirs:
                unusable.append((entry.name, "student folder without assignment folders"))
            for sub in subdirs:
                add(entry.name, sub.name, sub)
            for stray in sorted(p for p in entry.iterdir() if not p.is_dir() and p.name not in _JUNK):
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
        if match and (problem := intake.id_problem(intake.normalise(match[0]))):
            unusable.append((entry.name, f"invalid student id {match[0]!r} ({problem})"))
        elif match:
            add(match[0], match[1], entry)
        else:
            unusable.append((entry.name, "name is not <student>_<assignment>.ipynb"))
    for student, raws in spellings.items():
        if len(raws) > 1:
            names = " and ".join(ascii(r) for r in sorted(raws))
            for key in [k for k in candidates if k[0] == student]:
                for path in candidates.pop(key):
                    unusable.append((str(path.relative_to(folder)),
                                     f"student id collision: {names} are one name written two ways (NFC)"))
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


MANIFEST = "manifest.json"


def _reset(work):
    for name in ("submitted", "executed", "autograded", "feedback", "release", "logs"):
        shutil.rmtree(work / name, ignore_errors=True)
    for name in ("gradebook.db", "template.db", MANIFEST):
        (work / name).unlink(missing_ok=True)
    work.mkdir(parents=True, exist_ok=True)


def _fmt(value, missing):
    return missing if value is None else f"{value:g}"


def _fingerprint(root, assignments, sandboxed):
    """What a cached row depends on besides the submission: sources, grader code, mode, sandboxing."""
    grader = intake.content_hash(*[f.read_bytes() for f in sorted((ROOT / "grader").glob("*.py"))])
    sources = {a: intake.content_hash((root / "solutions" / a / f"{a}.ipynb").read_bytes()) for a in assignments}
    return {"sources": sources, "grader": grader, "mode": course_mode(), "sandboxed": sandboxed}


def _scoring_config(root, work):
    """nbgrader's autograde set up to score executed notebooks (work/executed): nothing runs, outputs stay."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import ClearOutput, Execute

    config = nbgrader_config(root, work, release=work / "release", submitted=work / "executed")
    sanitize = Autograde.class_traits()["sanitize_preprocessors"].default()
    config.Autograde.sanitize_preprocessors = [p for p in sanitize if p is not ClearOutput]
    config.Autograde.autograde_preprocessors = [p for p in config.Autograde.autograde_preprocessors
                                                if not issubclass(p, Execute)]
    return config


def grade(submissions, root=ROOT, work=None, log=print, *, sandboxed=True, workers=None, scheduler=None,
          client=None, regrade=False):
    """Autograde everything in `submissions` against root/solutions; return the CSV rows.

    workers: size of the embedded Dask cluster (default one per core; 0 grades in this process);
    scheduler: address of an existing Dask scheduler; client: an existing distributed.Client;
    regrade: grade again submissions unchanged since the last run; sandboxed=False: no bwrap.
    """
    from grader.tasks import stored_tests_digest

    if sandboxed:
        sandbox.require()
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

    assignments = sorted({a for _, a in found} & set(known))
    fingerprint = _fingerprint(root, assignments, sandboxed)
    manifest = {}
    if (work / MANIFEST).is_file() and not regrade:
        manifest = json.loads((work / MANIFEST).read_text())
    old = manifest.get("fingerprint", {})
    if not (manifest and (work / "template.db").is_file() and set(assignments) <= set(old.get("sources", {}))
            and all(old["sources"][a] == fingerprint["sources"][a] for a in assignments)
            and all(old.get(k) == fingerprint[k] for k in ("grader", "mode", "sandboxed"))):
        _reset(work)
        manifest = {"fingerprint": fingerprint, "rows": {}}
    config = nbgrader_config(root, work, release=work / "release")
    db_url = config.CourseDirectory.db_url
    api = nbgrader_api(config)
    with warnings.catch_warnings():
        # nbgrader's own SQLAlchemy and nbformat warnings, not the learner's business nor ours
        warnings.simplefilter("ignore")
        if not manifest["rows"] and not (work / "template.db").is_file():
            fresh_gradebook(db_url)
            for assignment in assignments:
                check(api.generate_assignment(assignment, force=True, create=True),
                      f"nbgrader generate_assignment {assignment} (for the gradebook)")
            shutil.copyfile(db_url[len("sqlite:///"):], work / "template.db")
        coordinator = {"api": api, "score_api": nbgrader_api(_scoring_config(root, work)), "db_url": db_url,
                       "work": work, "tests": stored_tests_digest(db_url), "timeout": cell_timeout()}
        tests = {a: intake.test_ids(_read_nb(root / "solutions" / a / f"{a}.ipynb")) for a in known}
        students = sorted({s for s, _ in found})
        jobs = []
        for assignment in sorted({a for _, a in found}):
            max_score = _max_score(db_url, assignment) if assignment in known else None
            for student in students:
                try:
                    outcome = _prepare(work, submissions, found.get((student, assignment)), student, assignment,
                                       known, tests, max_score, sandboxed, root, manifest)
                except Exception as exc:  # one broken submission must not stop the others
                    outcome = Row(student, assignment, assignment, None, max_score,
                                  f"not graded: grader error ({type(exc).__name__}: {exc})")
                if isinstance(outcome, Row):
                    rows.append(outcome)
                    _log_row(log, outcome)
                else:
                    jobs.append(outcome)
        try:
            for job, result in _run(jobs, (work / "template.db").read_bytes(), workers, scheduler, client):
                row = _finish(coordinator, job, result)
                rows.append(row)
                if row.status == GRADED:
                    manifest["rows"][f"{job['student']}/{job['assignment']}"] = {"hash": job["hash"],
                                                                                 "row": asdict(row)}
                _log_row(log, row)
        finally:
            (work / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return rows


def _log_row(log, row):
    log(f"{row.student} / {row.assignment}: {_fmt(row.score, '-')} / {_fmt(row.max_score, '?')}  {row.status}"
        + (f"  ({row.notes})" if row.notes else ""))


def _read_nb(path):
    import nbformat
    return nbformat.read(str(path), as_version=4)


def _prepare(work, submissions, paths, student, assignment, known, tests, max_score, sandboxed, root, manifest):
    """The final row of a submission that cannot (or need not) run, else its grading job."""
    def refuse(reason, score=max_score):
        return Row(student, assignment, assignment, None, score, f"not graded: {reason}")

    if not paths:
        return refuse("missing")
    if assignment not in known:
        return refuse(f"unknown assignment (no solutions/{assignment})", None)
    if len(paths) > 1:
        return refuse(f"{len(paths)} submissions ({' and '.join(str(p.relative_to(submissions)) for p in paths)})")
    path = paths[0]
    if links := intake.symlinks(path):
        return refuse(f"symlink in the submission ({', '.join(links)}): hand in the files themselves")
    if code := intake.code_beside(path, f"{assignment}.ipynb"):
        return refuse(f"code handed in beside the notebook ({', '.join(code)}): hand in the notebook alone")
    dest = work / "submitted" / student / assignment
    for step in ("submitted", "executed", "autograded", "feedback"):
        shutil.rmtree(work / step / student / assignment, ignore_errors=True)
    _copy_in(path, dest, assignment)
    notebook = dest / f"{assignment}.ipynb"
    if problem := notebook_problem(notebook):
        return refuse(problem)
    if problem := intake.shape_problem(_read_nb(notebook), assignment, tests):
        return refuse(problem)
    stamp = dest / "timestamp.txt"
    timestamp = stamp.read_bytes() if stamp.is_file() else None
    data = notebook.read_bytes()
    digest = intake.content_hash(data, timestamp or b"")
    cached = manifest["rows"].get(f"{student}/{assignment}")
    if cached and cached["hash"] == digest:
        row = Row(**cached["row"])
        row.notes = "; ".join(filter(None, [row.notes, "unchanged since the last run: not regraded"]))
        return row
    env = {"COURSE_MODE": course_mode(), "GRADER_CELL_TIMEOUT": str(cell_timeout())}
    env.update({k: v for k, v in os.environ.items() if k.startswith(("GRADER_MAX_OUTPUT", "GRADER_SANDBOX_"))})
    protect = [str(root / "solutions"), str(ROOT / "minitheano"), str(ROOT / "grader")]
    return {"student": student, "assignment": assignment, "notebook": data, "timestamp": timestamp,
            "sandboxed": sandboxed, "env": env, "protect": protect, "hash": digest, "max_score": max_score}


def _run(jobs, template, workers, scheduler, client):
    """Yield (job, result of grader.tasks.execute or the exception) as tasks finish, on Dask or here."""
    from grader import tasks

    if not jobs:
        return
    if client is None and scheduler is None and workers == 0:
        for job in jobs:
            try:
                yield job, tasks.execute(job, template)
            except Exception as exc:  # reported in the row
                yield job, exc
        return
    import logging
    import uuid

    import dask
    from distributed import Client, LocalCluster, as_completed

    own = None
    if client is None:
        with dask.config.set(DASK_CONFIG):
            if scheduler:
                client = own = Client(scheduler)
            else:
                quiet = logging.INFO if os.environ.get("GRADER_DASK_LOGS") else logging.ERROR
                cluster = LocalCluster(n_workers=workers or os.cpu_count(), threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address="127.0.0.1:0", silence_logs=quiet)
                client = own = Client(cluster)
    try:
        # One graph of tasks of one group ("grade"), so the scheduler queues them and each worker holds
        # only the task it runs: a worker that dies takes no neighbour with it. The gradebook template
        # travels with each task (a few hundred kB): nothing is lost with a worker.
        keys = [f"grade-{uuid.uuid4().hex[:8]}-{job['student']}-{job['assignment']}" for job in jobs]
        futures = dict(zip(client.map(tasks.execute, jobs, [template] * len(jobs), key=keys, pure=False), jobs))
        bar = _progress(len(futures))
        for future in as_completed(list(futures)):
            try:
                result = future.result()
            except Exception as exc:  # a lost worker or a task error: reported in the row
                result = exc
            job = futures.pop(future)
            future.release()  # a result already read is not recomputed if its worker dies later
            bar.update(1)
            yield job, result
        bar.close()
    finally:
        if own is not None:
            cluster = own.cluster
            own.close()
            if cluster is not None and not scheduler:
                cluster.close()


def _progress(total):
    return tqdm(total=total, desc="grading", unit="notebook", file=sys.stderr, disable=not sys.stderr.isatty())


def _finish(co, job, result):
    """Score one executed notebook into the gradebook, write its feedback; the row says how it went."""
    import nbformat

    from grader.guard import NOTE_PREFIX, STDERR_PREFIX
    from grader.tasks import stored_tests_digest

    student, assignment, work = job["student"], job["assignment"], co["work"]
    row = Row(student, assignment, assignment, None, job["max_score"], "",
              sandbox="bwrap" if job["sandboxed"] else "unsandboxed")
    if isinstance(result, Exception):
        from distributed import KilledWorker

        row.status = (WORKER_LOST if isinstance(result, KilledWorker)
                      else f"not graded: grader error ({type(result).__name__}: {result})")
        return row
    if result["integrity"]:
        raise GraderError(f"STOPPED after {student} / {assignment}: files the sandbox protects changed: "
                          f"{', '.join(result['integrity'][:20])}")
    logfile = work / "logs" / assignment / f"{student}.log"
    logfile.parent.mkdir(parents=True, exist_ok=True)
    row.log = str(logfile)
    logtext = [result["log"], result["error"]]
    executed = work / "executed" / student / assignment / f"{assignment}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    if result["executed"] is not None:
        executed.write_bytes(result["executed"])
    if job["timestamp"] is not None:
        (executed.parent / "timestamp.txt").write_bytes(job["timestamp"])
    reason = failure_reason(result, executed, co["timeout"])
    if not reason:
        scored = co["score_api"].autograde(assignment, student, force=True, create=True)
        logtext += ["--- scoring ---", scored.get("log", ""), scored.get("error", "")]
        if not scored.get("success"):
            reason = f"nbgrader could not score the executed notebook: {_last_exception(scored.get('log', ''))}"
    if stored_tests_digest(co["db_url"]) != co["tests"]:
        raise GraderError(f"STOPPED after {student} / {assignment}: the gradebook's stored tests changed")
    if reason:
        row.status = f"not graded: {reason}"
    else:
        row.score, row.max_score, manual = _scores(co["db_url"], student, assignment)
        row.status = GRADED
        notes = (["some cells need manual grading"] if manual else []) + _review(work, student, assignment)
        graded = nbformat.read(str(work / "autograded" / student / assignment / f"{assignment}.ipynb"), 4)
        for cell in graded.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            for out in cell.get("outputs", []):
                text = out.get("text", "") if out.output_type == "stream" else ""
                if text.startswith(NOTE_PREFIX):
                    notes.append(f"review: {grade_id}: {text[len(NOTE_PREFIX):].strip()}")
                elif text.startswith(STDERR_PREFIX):
                    notes.append(f"{grade_id} passed and wrote to stderr (kept, not marked down)")
        feedback = co["api"].generate_feedback(assignment, student, force=True)
        html = work / "feedback" / student / assignment / f"{assignment}.html"
        if feedback.get("success") and html.is_file():
            row.feedback = str(html)
        else:
            notes.append(f"feedback generation failed: {_last_exception(feedback.get('log', ''))}")
        logtext += ["--- generate_feedback ---", feedback.get("log", ""), feedback.get("error", "")]
        row.notes = "; ".join(dict.fromkeys(notes))
    logtext.append(f"--- {row.status} after {result['seconds']:.1f} s on a worker ---")
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
    parser.add_argument("--workers", type=int, help="Dask workers of the embedded cluster (default: one per core; "
                        "0: grade in this process)")
    parser.add_argument("--scheduler", help="grade on an existing Dask cluster, e.g. tcp://10.0.0.5:8786")
    parser.add_argument("--regrade", action="store_true", help="grade again submissions unchanged since last run")
    parser.add_argument("--unsandboxed", action="store_true",
                        help="run learner code WITHOUT the sandbox (trusted code only; the CSV says so)")
    args = parser.parse_args(argv)
    if not args.submissions:
        parser.error("give the submissions folder, e.g. make grade SUBMISSIONS=path/to/submissions")
    try:
        rows = grade(args.submissions, sandboxed=not args.unsandboxed, workers=args.workers,
                     scheduler=args.scheduler, regrade=args.regrade)
    except GraderError as exc:
        print(f"grade failed: {exc}", file=sys.stderr)
        return 1
    path = write_csv(rows, args.csv or ROOT / WORK / "grades.csv")
    ungraded = [r for r in rows if r.status.startswith("not graded")]
    print(f"grades written to {path}")
    print(f"feedback in {ROOT / WORK / 'feedback'}")
    if args.unsandboxed:
        print("WARNING: graded WITHOUT the sandbox: every graded row says 'unsandboxed'")
    if ungraded:
        print(f"WARNING: {len(ungraded)} of {len(rows)} could not be graded; they have no score in the CSV:")
        for r in ungraded:
            print(f"  {r.student} / {r.notebook}: {r.status}")
    for r in rows:
        if "feedback generation failed" in r.notes:
            print(f"FEEDBACK FAILED {r.student} / {r.notebook}: {r.notes}")
        if "review:" in r.notes:
            print(f"REVIEW {r.student} / {r.notebook}: {r.notes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
