"""The sandbox (grader/sandbox.py) against a batch of hostile submissions, graded on a 2-worker Dask cluster.

Each submission gets an honest status and score, the good students keep
exactly their scores, and nothing outside the sandboxes changed: solutions/,
minitheano/, grader/, the submissions and the gradebook's stored tests are
byte for byte the same, and no process the notebooks started is left.
Skipped, with the reason, where bubblewrap is not installed or we are not root.
"""
import importlib.util
import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import common, sandbox  # noqa: E402
from grader.grade import cell_scores, grade, write_csv  # noqa: E402
from grader.release import release  # noqa: E402
from grader.tasks import stored_tests_digest  # noqa: E402


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "grader_fixtures" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


synthetic, hostile = _load("synthetic"), _load("hostile")
A = synthetic.ASSIGNMENT
needs_sandbox = pytest.mark.skipif(
    not shutil.which("bwrap") or os.geteuid() != 0,
    reason="the sandbox needs bwrap (Debian package 'bubblewrap': apt-get install bubblewrap) and root")


def _protected(root, subs, work):
    digests = sandbox.tree_digests([root / "solutions", ROOT / "minitheano", ROOT / "grader", subs])
    return digests, stored_tests_digest(f"sqlite:///{work / 'gradebook.db'}")


def _leftovers():
    """Processes still running that a hostile notebook started (by the marker in their command line)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if hostile.MARKER.encode() in (proc / "cmdline").read_bytes():
                found.append(proc.name)
        except OSError:
            pass
    return found


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    synthetic.make_course(root)
    release(root, log=lambda *_: None)
    subs = tmp_path_factory.mktemp("subs")
    work = root / common.WORK
    table = hostile.attacks(root, work, subs, ROOT)
    course_nb = nbformat.read(str(root / "course" / A / f"{A}.ipynb"), as_version=4)
    hostile.write_batch(subs, course_nb, table, synthetic.with_answers)
    before = sandbox.tree_digests([root / "solutions", ROOT / "minitheano", ROOT / "grader", subs])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSE_MODE", "fast")
        mp.setenv("GRADER_CELL_TIMEOUT", "30")
        rows = grade(subs, root=root, workers=2, log=print)
    after, tests = _protected(root, subs, work)
    return {"rows": {r.student: r for r in rows}, "table": table, "before": before, "after": after,
            "tests": tests, "work": work, "root": root, "csv": write_csv(rows, work / "grades.csv")}


@needs_sandbox
@pytest.mark.slow
def test_hostile_batch_gets_honest_statuses_and_changes_nothing_outside(batch):
    table, rows = batch["table"], batch["rows"]
    lines = []
    for student, (_, status, score) in table.items():
        row = rows[student]
        lines.append(f"{student:18} {row.status[:60]:60} {row.score}")
        assert row.status.startswith(status), row
        assert row.score == score, row
        if row.status == "graded":
            assert row.sandbox == "bwrap" and Path(row.feedback).is_file(), row
    print("\n".join(lines))
    assert sandbox.changed(batch["before"], batch["after"]) == []
    # the stored tests are what generate_assignment stored: no `pass` planted by write_gradebook
    template = f"sqlite:///{batch['work'] / 'template.db'}"
    assert batch["tests"] == stored_tests_digest(template)
    assert _leftovers() == []


@needs_sandbox
@pytest.mark.slow
def test_hostile_batch_attacks_failed_for_the_reason_the_sandbox_gives(batch):
    def outputs(student):
        nb = nbformat.read(str(batch["work"] / "autograded" / student / A / f"{A}.ipynb"), as_version=4)
        return "".join(o.get("text", "") + o.get("evalue", "") for c in nb.cells if c.cell_type == "code"
                       for o in c.outputs)

    assert "No such file" in outputs("read_solutions")
    assert "READ-FAILED" in outputs("read_gradebook") and "WRITE-FAILED" in outputs("write_gradebook")
    assert "Permission denied" in outputs("modify_minitheano") or "Read-only" in outputs("modify_minitheano")
    assert "FORK-STOPPED" in outputs("burst") and "ALLOC-FAILED" in outputs("big_alloc")
    assert "STARTED" in outputs("detached")
    text = outputs("outbound")
    assert "CONNECTED" not in text and text.count("CONNECT-FAILED") == 2
    assert synthetic.HIDDEN_LINE not in outputs("read_gradebook")
    scores = cell_scores(f"sqlite:///{batch['work'] / 'gradebook.db'}", "good", A)
    assert {k: v for k, v in scores.items() if k.startswith("test_")} == {
        "test_square": (1.0, 1.0), "test_square_hidden": (2.0, 2.0), "test_cube": (1.0, 1.0)}


@needs_sandbox
@pytest.mark.slow
def test_hostile_batch_notes_say_what_was_tried(batch):
    rows = batch["rows"]
    assert "restored input transformers" in rows["transformer"].notes
    assert "restored numpy.allclose" in rows["vars_patch"].notes
    assert "calls get_ipython" in rows["transformer"].notes and "calls vars" in rows["vars_patch"].notes
    assert "imports sqlite3" in rows["write_gradebook"].notes and "imports subprocess" in rows["detached"].notes
    assert "test_square passed and wrote to stderr" in rows["stderr"].notes
    assert "feedback generation failed" not in rows["marker"].notes
    assert rows["good"].notes == "" and rows["wrong"].notes == ""


@needs_sandbox
@pytest.mark.slow
def test_regrading_unchanged_submissions_reuses_their_rows(batch, tmp_path):
    subs = tmp_path / "subs"
    nb = synthetic.with_answers(nbformat.read(str(batch["root"] / "course" / A / f"{A}.ipynb"), 4), hostile.GOOD)
    for student in ("good", "late"):
        (subs / student / A).mkdir(parents=True)
        nbformat.write(nb, str(subs / student / A / f"{A}.ipynb"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSE_MODE", "fast")
        first = {r.student: r for r in grade(subs, root=batch["root"], work=tmp_path / "w", workers=0, log=print)}
        second = {r.student: r for r in grade(subs, root=batch["root"], work=tmp_path / "w", workers=0, log=print)}
    assert first["good"].score == second["good"].score == 4.0
    assert "not regraded" in second["good"].notes and "not regraded" not in first["good"].notes


def test_sandbox_command_isolates_and_limits():
    cmd = sandbox.command(["python3", "-c", "pass"], Path("/tmp/h"), Path("/tmp/k"), 201234, {"HOME": "/x"})
    text = " ".join(cmd)
    for flag in ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--die-with-parent", "--new-session",
                 "--clearenv", "--reuid=201234", "--no-new-privs", "--bounding-set=-all", "--nproc=", "--as=",
                 "--cpu=", "--fsize="):
        assert flag in text, flag
    assert f"--ro-bind {ROOT / 'minitheano'}" in text and "--bind /tmp/h /home/student" in text
    assert str(ROOT / "solutions") not in text and str(ROOT / "grader") + " " not in text


def test_grading_refuses_without_bwrap_and_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    (tmp_path / "subs").mkdir()
    with pytest.raises(common.GraderError, match="bubblewrap.*--unsandboxed"):
        grade(tmp_path / "subs", root=tmp_path, log=lambda *_: None)
