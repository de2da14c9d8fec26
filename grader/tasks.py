"""One grading task: execute one handed-in notebook with nbgrader, its kernel sandboxed (runs on a Dask worker).

The worker builds a private course folder with a copy of the gradebook (the
assignment's stored cells only) and runs nbgrader's autograde there: its
sanitising steps restore the stored test cells and clear outputs, then
GuardedExecute runs the notebook with the kernel in the sandbox. The executed
notebook goes back to the coordinator, which alone scores it into the real
gradebook. Before returning, the worker checks that the protected folders and
the stored tests are byte for byte what they were (sandbox.tree_digests).
"""
import hashlib
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import nbgrader.apps  # noqa: F401  (imported once per worker: warm workers)
from nbgrader.api import Gradebook

from grader import sandbox
from grader.common import nbgrader_api, nbgrader_config

STUDENT = "submission"
_BASELINE = {}


def stored_tests_digest(db_url):
    """sha256 of every source cell (tests included) stored in a gradebook."""
    h = hashlib.sha256()
    with Gradebook(db_url) as gb:
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            for nb in sorted(assignment.notebooks, key=lambda n: n.name):
                for cell in sorted(nb.source_cells, key=lambda c: c.name):
                    h.update(f"{assignment.name}\0{nb.name}\0{cell.name}\0{cell.checksum}\0".encode())
                    h.update((cell.source or "").encode() + b"\0")
    return h.hexdigest()


def _integrity(protect):
    """Paths of the protected folders changed since this worker last looked (first call: the baseline)."""
    key = tuple(protect)
    now = sandbox.tree_digests(protect)
    before = _BASELINE.setdefault(key, now)
    return sandbox.changed(before, now)


def execute(job, gradebook):
    """Run one submission. job: assignment, notebook (bytes), timestamp (bytes or None), sandboxed,
    env (COURSE_MODE and GRADER_* values), protect (folders to checksum); gradebook: the bytes of a
    gradebook holding the assignment's stored cells (shared by all tasks)."""
    start = time.monotonic()
    os.environ.update(job["env"])
    _integrity(job["protect"])
    box = Path(tempfile.mkdtemp(prefix="grader-task-"))
    try:
        assignment = job["assignment"]
        db = box / "gradebook.db"
        db.write_bytes(gradebook)
        tests_before = stored_tests_digest(f"sqlite:///{db}")
        folder = box / "work" / "submitted" / STUDENT / assignment
        folder.mkdir(parents=True)
        notebook = folder / f"{assignment}.ipynb"
        notebook.write_bytes(job["notebook"])
        if job.get("timestamp") is not None:
            (folder / "timestamp.txt").write_bytes(job["timestamp"])
        (box / "solutions" / assignment).mkdir(parents=True)
        config = nbgrader_config(box, box / "work", db=db)
        config.GuardedExecute.sandboxed = job["sandboxed"]
        config.SandboxedKernelManager.notebook = str(notebook)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = nbgrader_api(config).autograde(assignment, STUDENT, force=True, create=True)
        executed = box / "work" / "autograded" / STUDENT / assignment / f"{assignment}.ipynb"
        changed = _integrity(job["protect"])
        if stored_tests_digest(f"sqlite:///{db}") != tests_before:
            changed.append("the gradebook's stored tests")
        return {"success": bool(result.get("success")), "log": result.get("log", ""),
                "error": result.get("error", ""), "executed": executed.read_bytes() if executed.is_file() else None,
                "integrity": changed, "seconds": time.monotonic() - start, "worker_pid": os.getpid()}
    finally:
        shutil.rmtree(box, ignore_errors=True)
