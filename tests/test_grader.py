"""The grading layer (grader/): release, autograde round trip, feedback, course runs and notebook lint.

The grader's mechanics are tested on a small synthetic assignment
(tests/grader_fixtures/synthetic.py) built in a temp folder; the course
itself, on the real notebooks in solutions/ when there are any (skipped with
a reason otherwise): course/ is what they release to, solutions get full
marks, untouched notebooks zero, and every blank's usual wrong answers
(tests/wrong_answers.py) lose marks.
"""
import csv
import hashlib
import html
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import common, preprocessors  # noqa: E402
from grader.grade import cell_scores, find_submissions, grade, write_csv  # noqa: E402
from grader.lint import lint_solution_notebook  # noqa: E402
from grader.release import release  # noqa: E402
from grader.run_course import cell_failures, run_course, validate_notebook  # noqa: E402


def _load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


synthetic = _load(ROOT / "tests" / "grader_fixtures" / "synthetic.py")
WRONG_ANSWERS = _load(ROOT / "tests" / "wrong_answers.py").WRONG_ANSWERS
RIGHT_ANSWERS = _load(ROOT / "tests" / "right_answers.py").RIGHT_ANSWERS
A = synthetic.ASSIGNMENT
REAL = common.list_assignments(ROOT / "solutions")
NO_REAL = pytest.mark.skip(reason="solutions/ has no NN_name/NN_name.ipynb notebooks yet")


def _real_params(values, width=1):
    """Test parameters, or one skipped parameter when solutions/ is still empty."""
    return values or [pytest.param(*[None] * width, marks=NO_REAL)]


def _read(path):
    return nbformat.read(str(path), as_version=4)


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


def _tree_digest(folder):
    """Hash of every file's relative path and bytes under `folder`."""
    h = hashlib.sha256()
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def _quiet(*_):
    pass


def _html_text(page):
    """What a reader of an HTML page sees: tags (e.g. syntax colouring) removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


# --- configuration ----------------------------------------------------------

def test_config_is_found_from_any_cwd_and_puts_derived_data_in_work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRADER_CELL_TIMEOUT", raising=False)
    monkeypatch.setenv("COURSE_MODE", "full")
    c = common.nbgrader_config()
    cd = c.CourseDirectory
    assert cd.root == str(ROOT)
    assert (cd.source_directory, cd.release_directory) == ("solutions", "course")
    for step in (cd.submitted_directory, cd.autograded_directory, cd.feedback_directory):
        assert step.startswith("grader/_work/")
    assert cd.db_url == f"sqlite:///{ROOT}/grader/_work/gradebook.db"
    assert c.Execute.timeout == 300
    names = [p.__name__ for p in c.Autograde.autograde_preprocessors]
    assert names.index("LimitOutputBytes") == names.index("LimitOutput") + 1
    assert names[0] == "GuardedExecute" and "SaveAutoGrades" in names[names.index("LimitOutputBytes"):]
    feedback = [p.__name__ for p in c.GenerateFeedback.preprocessors]
    assert feedback.index("MarkersInAnswers") < feedback.index("HideHiddenTestTracebacks") \
        < feedback.index("ClearHiddenTests")
    assert c.LimitOutputBytes.max_bytes == 1_000_000

    monkeypatch.setenv("GRADER_CELL_TIMEOUT", "7")
    monkeypatch.setenv("GRADER_MAX_OUTPUT_BYTES", "1234")
    c = common.nbgrader_config()
    assert (c.Execute.timeout, c.LimitOutputBytes.max_bytes) == (7, 1234)
    assert "7 s" in c.Execute.error_on_timeout["evalue"]


def test_config_rejects_paths_nbgrader_would_misread(tmp_path):
    with pytest.raises(common.GraderError, match="regex"):
        common.nbgrader_config(work=tmp_path / "grades (copy)")


# --- byte limit on outputs --------------------------------------------------

def _cell_with(*outputs):
    cell = new_code_cell("print('x')")
    cell.outputs = list(outputs)
    return cell


def test_limit_output_bytes_truncates_one_huge_line_and_says_so():
    limit = preprocessors.LimitOutputBytes(max_bytes=10_000)
    big = _cell_with(new_output("stream", name="stdout", text="é" * 3_000_000))
    cell, _ = limit.preprocess_cell(big, {}, 0)
    assert sum(preprocessors.output_bytes(o) for o in cell.outputs) < 10_000 + 300
    assert "truncated by the grader" in cell.outputs[-1].text
    assert "6000" in cell.outputs[-1].text.replace(",", "")  # the original size, in bytes

    small = _cell_with(new_output("stream", name="stdout", text="ok\n"))
    assert limit.preprocess_cell(small, {}, 0)[0].outputs[0].text == "ok\n"


def test_limit_output_bytes_never_drops_what_zeroes_a_test_cell():
    """Errors and stderr decide nbgrader's grade: a truncated failing cell must still fail."""
    from nbgrader.utils import determine_grade

    limit = preprocessors.LimitOutputBytes(max_bytes=1_000)
    outputs = [new_output("stream", name="stdout", text="x" * 5_000),
               new_output("display_data", data={"text/plain": "y" * 5_000, "image/png": "A" * 9_000}),
               new_output("stream", name="stderr", text="warning\n" * 500),
               new_output("error", ename="AssertionError", evalue="bad", traceback=["line"] * 400)]
    cell = _cell_with(*outputs)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "points": 2, "grade_id": "t"}
    cell, _ = limit.preprocess_cell(cell, {}, 0)
    kinds = [(o.output_type, o.get("name")) for o in cell.outputs]
    assert ("stream", "stderr") in kinds and ("error", None) in kinds
    assert [o for o in cell.outputs if o.output_type == "error"][0].ename == "AssertionError"
    assert determine_grade(cell) == (0, 2.0)
    assert sum(preprocessors.output_bytes(o) for o in cell.outputs) < 3_000


def test_hidden_test_tracebacks_are_withheld_only_in_hidden_test_cells():
    hide = preprocessors.HideHiddenTestTracebacks()
    tb = ["Traceback", "----> 3 assert secret(2) == 5", "AssertionError: nope"]
    hidden = new_code_cell("assert f(1)\n### BEGIN HIDDEN TESTS\nassert secret(2) == 5\n### END HIDDEN TESTS")
    hidden.outputs = [new_output("error", ename="AssertionError", evalue="nope", traceback=list(tb))]
    visible = new_code_cell("assert f(1) == 2")
    visible.outputs = [new_output("error", ename="AssertionError", evalue="", traceback=list(tb))]
    assert "secret" not in "".join(hide.preprocess_cell(hidden, {}, 0)[0].outputs[0].traceback)
    assert "AssertionError: nope" in hidden.outputs[0].traceback[0]
    assert hide.preprocess_cell(visible, {}, 0)[0].outputs[0].traceback == tb


# --- tampering with the tests -----------------------------------------------

@pytest.mark.parametrize("answer, finding", [
    ("np.allclose = lambda *a, **k: True", "assigns np.allclose"),
    ("np.testing.assert_allclose = print", "assigns np.testing.assert_allclose"),
    ("import numpy\nsetattr(numpy, 'allclose', lambda *a: True)", "calls setattr on numpy"),
    ("def assert_allclose(*a):\n    pass", "redefines the imported name assert_allclose"),
    ("import builtins\nbuiltins.AssertionError = None", "assigns builtins.AssertionError"),
    ("th.config.floatX = 'float64'\nupdates = updates.sgd(1, 2)\nlayer.W = 3\ndef f(x):\n    return x", None),
])
def test_suspicious_cells_flags_answers_that_patch_what_tests_use(answer, finding):
    from grader.tamper import suspicious_cells

    setup = new_code_cell("import numpy as np\nfrom numpy.testing import assert_allclose\n"
                          "import minitheano as th\nfrom minitheano import updates")
    test = new_code_cell("assert_allclose(f(1), 2)\nassert np.allclose(f(2), 3)",
                         metadata={"nbgrader": {"grade": True, "solution": False}})
    released = nbformat.v4.new_notebook(cells=[setup, new_code_cell("raise NotImplementedError()"), test])
    submitted = nbformat.v4.new_notebook(cells=[setup, new_code_cell(answer), test])
    found = suspicious_cells(submitted, released)
    assert (f"cell 1 {finding}" in found) if finding else found == [], found
    assert suspicious_cells(released, released) == []


# --- finding submissions ----------------------------------------------------

def test_find_submissions_reads_both_layouts_and_reports_the_rest(tmp_path):
    known = ["01_synth", "02_more"]
    (tmp_path / "alice" / "01_synth").mkdir(parents=True)
    (tmp_path / "alice" / "01_synth" / "01_synth.ipynb").write_text("{}")
    (tmp_path / "alice" / "02_more").mkdir()
    (tmp_path / "bob_smith_01_synth.ipynb").write_text("{}")
    (tmp_path / "carol_01_synth.ipynb").write_text("{}")
    (tmp_path / "carol" / "01_synth").mkdir(parents=True)
    (tmp_path / "dan_09_unknown.ipynb").write_text("{}")
    (tmp_path / "notes.txt").write_text("hi")
    (tmp_path / ".DS_Store").write_text("")
    found, unusable = find_submissions(tmp_path, known)
    assert found[("alice", "01_synth")] == [tmp_path / "alice" / "01_synth"]
    assert found[("alice", "02_more")] == [tmp_path / "alice" / "02_more"]
    assert found[("bob_smith", "01_synth")] == [tmp_path / "bob_smith_01_synth.ipynb"]
    assert len(found[("carol", "01_synth")]) == 2
    assert ("dan", "09_unknown") in found
    assert [name for name, _ in unusable] == ["notes.txt"]


def test_failure_reason_names_the_cause_not_nbgrader_summary(tmp_path):
    from grader.grade import failure_reason

    log = ("[ERROR] Traceback (most recent call last):\n    File x\n"
           "    nbgrader.nbgraderformat.common.SchemaTooOldError: schema version 1\n"
           "[ERROR] There was an error processing assignment 'a' for student 's'\n")
    error = "nbgrader.converters.base.NbGraderException: Please see the the above traceback"
    reason = failure_reason({"success": False, "log": log, "error": error}, tmp_path / "x.ipynb", 30)
    assert reason == "nbgrader failed: nbgrader.nbgraderformat.common.SchemaTooOldError: schema version 1"
    dead = {"success": False, "log": "    nbclient.exceptions.DeadKernelError: Kernel died"}
    assert failure_reason(dead, tmp_path / "x.ipynb", 30).startswith("kernel died")
    assert failure_reason({"success": True}, tmp_path / "x.ipynb", 30) == "nbgrader wrote no autograded notebook"


# --- lint -------------------------------------------------------------------

def _lint(tmp_path, nb):
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(path))
    return lint_solution_notebook(path)


def test_lint_accepts_the_synthetic_notebook(tmp_path):
    assert _lint(tmp_path, synthetic.notebook()) == []


@pytest.mark.parametrize("last_line, flagged", [
    ("0.5", True), ("score", True), ("len(errors)", True), ("check(x)", True),
    ("print('ok')", False), ("np.testing.assert_allclose(a, b)", False), ("x = 1", False),
    ("assert x", False), ("display(fig)", False),
])
def test_lint_flags_test_cells_ending_with_a_bare_expression(tmp_path, last_line, flagged):
    nb = synthetic.notebook()
    nb.cells[3].source = "assert square(-3) == 9\n" + last_line
    problems = _lint(tmp_path, nb)
    assert bool(problems) == flagged, problems
    if flagged:
        assert "test_square" in problems[0] and "partial score" in problems[0]


def test_lint_flags_missing_and_duplicate_grade_ids_and_stray_markers(tmp_path):
    nb = synthetic.notebook()
    nb.cells[6].metadata["nbgrader"]["grade_id"] = "test_square"
    nb.cells[5].metadata["nbgrader"]["grade_id"] = ""
    nb.cells[1].source += "\n### BEGIN HIDDEN TESTS\nassert MODE\n### END HIDDEN TESTS"
    problems = "\n".join(_lint(tmp_path, nb))
    assert "grade_id 'test_square' is used by cells [3, 6]" in problems
    assert "cell 5: nbgrader cell without a grade_id" in problems
    assert "cell 1: hidden tests in a cell not marked" in problems


@pytest.mark.parametrize("name", _real_params(REAL))
def test_real_solution_notebook_passes_lint(name):
    assert lint_solution_notebook(ROOT / "solutions" / name / f"{name}.ipynb") == []


# --- validation (what CI uses instead of `nbgrader validate`) ----------------

def test_cell_failures_applies_nbgrader_rules_to_test_cells():
    nb = synthetic.notebook()
    test = nb.cells[3]
    test.outputs = [new_output("stream", name="stderr", text="DeprecationWarning: x\n")]
    partial = nb.cells[6]
    partial.outputs = [new_output("execute_result", data={"text/plain": "0.5"}, execution_count=1)]
    blank = nb.cells[4]
    blank.outputs = [new_output("error", ename="NotImplementedError", evalue="", traceback=[])]
    failures = {f.index: f for f in cell_failures(nb)}
    assert failures[3].ename == "stderr" and not failures[3].blank
    assert failures[6].ename == "PartialScore" and "0.5" in failures[6].evalue
    assert failures[4].blank and failures[4].grade_id == "test_square_hidden"


# --- slow: real nbgrader runs on the synthetic assignment --------------------

@pytest.fixture(scope="module")
def synth_course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    synthetic.make_course(root)
    release(root, log=_quiet)
    return root


@pytest.mark.slow
def test_release_is_byte_identical_and_hides_solutions_hidden_tests_and_outputs(synth_course, tmp_path):
    released = synth_course / "course" / A / f"{A}.ipynb"
    first = released.read_bytes()
    again = release(synth_course, dest=tmp_path / "again", log=_quiet)[0]
    assert again.read_bytes() == first
    release(synth_course, log=_quiet)
    assert released.read_bytes() == first

    text = first.decode()
    for secret in ("return x * x", "return x ** 3", "BEGIN SOLUTION", "BEGIN HIDDEN TESTS",
                   "square(0.5)", "fractions"):
        assert secret not in text
    nb = _read(released)
    assert "raise NotImplementedError()" in nb.cells[2].source
    assert nb.cells[4].source == "assert square(-2) == 4"
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")


@pytest.mark.slow
def test_release_removes_assignments_gone_from_solutions(synth_course):
    stale = synth_course / "course" / "09_gone"
    stale.mkdir()
    (stale / "09_gone.ipynb").write_text("{}")
    release(synth_course, log=_quiet)
    assert not stale.exists() and (synth_course / "course" / A).is_dir()


@pytest.mark.slow
def test_nbgrader_cli_uses_our_config_from_another_directory(synth_course, tmp_path):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    cmd = [str(Path(sys.executable).parent / "nbgrader"), "generate_assignment", A,
           f"--NbGrader.config_file={ROOT / 'grader' / 'nbgrader_config.py'}",
           f"--CourseDirectory.root={synth_course}", f"--CourseDirectory.release_directory={tmp_path / 'rel'}",
           f"--CourseDirectory.db_url=sqlite:///{tmp_path / 'gb.db'}", "--force"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "rel" / A / f"{A}.ipynb").read_bytes() == \
        (synth_course / "course" / A / f"{A}.ipynb").read_bytes()


GOOD = {"square": "def square(x):\n    return x * x", "cube": "def cube(x):\n    return x ** 3"}
STUDENTS = {
    # student: (how the submission is made, expected status prefix, expected score)
    "good": ("nested", "graded", 4.0),
    "untouched": ("nested", "graded", 0.0),
    "wrong": ("flat", "graded", 2.0),
    "notjson": ("nested", "not graded: not a notebook", None),
    "killer": ("nested", "not graded: kernel died", None),
    "looper": ("nested", "not graded: timed out", None),
    "deaf": ("nested", "not graded: timed out", None),
    "deleter": ("nested", "graded", 2.0),  # the deleted hidden test scores 0, and is noted
    "chatty": ("nested", "graded", 4.0),
    "patcher": ("nested", "graded", 1.0),  # the guard puts np.allclose back before each test; flagged
    "eve": ("nested", "not graded: missing", None),
}


def _submissions(folder, course_nb):
    def put(student, nb=None, text=None, flat=False):
        path = folder / f"{student}_{A}.ipynb" if flat else folder / student / A / f"{A}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            nbformat.write(nb, str(path))
        else:
            path.write_text(text)

    fill = synthetic.with_answers
    put("good", fill(course_nb, GOOD))
    put("untouched", course_nb)
    put("wrong", fill(course_nb, {**GOOD, "square": synthetic.WRONG["square"]}), flat=True)
    put("notjson", text="this is not a notebook\n")
    put("killer", fill(course_nb, {**GOOD, "square": "import os\nos._exit(1)"}))
    put("looper", fill(course_nb, {**GOOD, "square": "while True:\n    pass"}))
    put("deaf", fill(course_nb, {**GOOD, "square": "import signal, time\n"
                                 "signal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.1)"}))
    deleter = fill(course_nb, {**GOOD, "square": synthetic.WRONG["square"]})
    del deleter.cells[4]  # the cell with the hidden test that would catch the wrong answer
    put("deleter", deleter)
    put("chatty", fill(course_nb, {**GOOD, "square": "print('z' * 3_000_000)\n" + GOOD["square"]}))
    put("patcher", fill(course_nb, {**GOOD, "square": "import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                                    "def square(x):\n    return 0"}))
    (folder / "eve" / A).mkdir(parents=True)


@pytest.fixture(scope="module")
def synth_graded(synth_course, tmp_path_factory):
    """The synthetic assignment graded for every student in STUDENTS, in one grader run."""
    subs = tmp_path_factory.mktemp("submissions")
    _submissions(subs, _read(synth_course / "course" / A / f"{A}.ipynb"))
    before = _tree_digest(subs)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSE_MODE", "fast")
        mp.setenv("GRADER_CELL_TIMEOUT", "6")
        mp.delenv("GRADER_MAX_OUTPUT_BYTES", raising=False)
        rows = grade(subs, root=synth_course, log=_quiet)
    work = synth_course / common.WORK
    return {"rows": {r.student: r for r in rows}, "subs": subs, "before": before, "work": work,
            "csv": write_csv(rows, work / "grades.csv")}


@pytest.mark.slow
@pytest.mark.parametrize("student", list(STUDENTS))
def test_grade_round_trip_reports_each_submission(synth_graded, student):
    _, status, score = STUDENTS[student]
    row = synth_graded["rows"][student]
    assert row.status.startswith(status), row
    assert row.score == score
    assert row.max_score == synthetic.MAX_SCORE
    if status == "graded":
        assert Path(row.feedback).is_file()
    assert ("review: cell 2 assigns np.allclose" in row.notes) == (student == "patcher"), row.notes
    assert ("deleted by the learner, scored 0: test_square_hidden" in row.notes) == (student == "deleter")


@pytest.mark.slow
def test_grade_round_trip_csv_never_shows_ungraded_as_zero(synth_graded):
    with open(synth_graded["csv"]) as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert set(rows) == set(STUDENTS)
    for student, (_, status, score) in STUDENTS.items():
        assert rows[student]["status"].startswith(status)
        assert rows[student]["score"] == ("" if score is None else f"{score:g}")
        assert rows[student]["max_score"] == "4"


@pytest.mark.slow
def test_grade_leaves_the_submissions_untouched(synth_graded):
    assert _tree_digest(synth_graded["subs"]) == synth_graded["before"]
    assert (synth_graded["work"] / "submitted" / "wrong" / A / f"{A}.ipynb").is_file()


@pytest.mark.slow
def test_feedback_never_shows_hidden_tests(synth_graded):
    work = synth_graded["work"]
    autograded = (work / "autograded" / "wrong" / A / f"{A}.ipynb").read_text()
    assert "square(0.5)" in autograded  # the hidden test ran, and failed, for this learner
    scores = cell_scores(f"sqlite:///{work / 'gradebook.db'}", "wrong", A)
    assert scores["test_square_hidden"] == (0.0, 2.0) and scores["test_square"] == (1.0, 1.0)
    for student in ("wrong", "good", "untouched", "deleter"):
        text = _html_text(Path(synth_graded["rows"][student].feedback).read_text())
        assert "Score: " in text and "assert np.allclose(square(3), 9)" in text, student
        assert "square(0.5)" not in text and "HIDDEN TESTS" not in text, student
    assert "traceback withheld" in _html_text(Path(synth_graded["rows"]["wrong"].feedback).read_text())


@pytest.mark.slow
def test_grade_truncates_huge_output_in_bytes(synth_graded):
    nb = _read(synth_graded["work"] / "autograded" / "chatty" / A / f"{A}.ipynb")
    outputs = nb.cells[2].outputs
    assert sum(preprocessors.output_bytes(o) for o in outputs) < 1_000_000 + 500
    assert "truncated by the grader" in outputs[-1].text


@pytest.mark.slow
def test_grade_refuses_submissions_inside_the_work_folder(synth_course):
    inside = synth_course / common.WORK / "submitted"
    inside.mkdir(parents=True, exist_ok=True)
    with pytest.raises(common.GraderError, match="inside"):
        grade(inside, root=synth_course, log=_quiet)


@pytest.mark.slow
def test_run_course_runs_solutions_and_released_notebooks(synth_course, monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "fast")
    [solution] = run_course(synth_course / "solutions", log=_quiet)
    assert solution.passed() and solution.failures == []
    assert solution.results == [("synth_square_of_3", 9.0), ("synth_fast_mode", 1.0)]

    [released] = run_course(synth_course / "course", released=True, log=_quiet)
    assert released.passed(released=True) and not released.passed()
    assert {f.grade_id for f in released.blanks} >= {"test_square", "test_cube"}
    assert released.errors == []


@pytest.mark.slow
def test_validate_reports_errors_that_are_not_blanks(tmp_path):
    nb = synthetic.notebook()
    nb.cells[1].source = "MODE = 'fast'\nundefined_name"
    nb.cells.insert(2, new_code_cell("import sys\nprint('oops', file=sys.stderr)"))
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, str(path))
    v = validate_notebook(path, timeout=30)
    assert [(f.index, f.ename) for f in v.errors] == [(1, "NameError")]
    assert not v.passed() and not v.passed(released=True)


# --- slow: the real course notebooks -----------------------------------------

def _blanks(name):
    """{solution grade_id: [grade_ids of the test cells after it, up to the next solution cell]}."""
    return _blanks_of(_read(ROOT / "solutions" / name / f"{name}.ipynb"))


def _blanks_of(nb):
    blanks, current = {}, None
    for cell in nb.cells:
        meta = _meta(cell)
        if meta.get("solution") and meta.get("grade_id"):
            current = meta["grade_id"]
            blanks[current] = []
        elif meta.get("grade") and current is not None:
            blanks[current].append(meta["grade_id"])
    return blanks


BLANKS = [(name, blank) for name in REAL for blank in _blanks(name)]


def _wrong_list(name, blank):
    value = WRONG_ANSWERS.get(name, {}).get(blank, [])
    return [value] if isinstance(value, str) else list(value)


def _student_id(*parts):
    return re.sub(r"[^\w-]", "_", "-".join(str(p) for p in parts))


@pytest.mark.slow
@pytest.mark.parametrize("name", _real_params(REAL))
def test_course_is_what_solutions_release_to(name, tmp_path):
    release(ROOT, dest=tmp_path, assignments=[name], log=_quiet)
    fresh, committed = tmp_path / name, ROOT / "course" / name
    assert committed.is_dir(), f"course/{name} is missing: run `make release`"
    files = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(committed) for p in committed.rglob("*") if p.is_file())
    for rel in files:
        assert (fresh / rel).read_bytes() == (committed / rel).read_bytes(), \
            f"course/{name}/{rel} differs from what solutions/ generates: run `make release`"


def _wrong_submission(solution, blank, source):
    """The solution with one blank wrong, cut after the blank's tests: later cells cannot change
    their grades, and nbgrader scores the test cells cut off 0 without running anything."""
    nb = synthetic.with_answers(solution, {blank: source})
    wanted = {blank, *_blanks_of(solution)[blank]}
    last = max(i for i, cell in enumerate(nb.cells) if _meta(cell).get("grade_id") in wanted)
    nb.cells = nb.cells[:last + 1]
    return nb


@pytest.fixture(scope="module")
def real_graded(tmp_path_factory):
    """Every real notebook graded in one grader run (COURSE_MODE=fast) as: its solution, the
    untouched released notebook, and the solution with one blank replaced by each wrong answer."""
    subs = tmp_path_factory.mktemp("real_submissions")
    students = {}
    for name in REAL:
        solution = _read(ROOT / "solutions" / name / f"{name}.ipynb")
        course = ROOT / "course" / name / f"{name}.ipynb"
        todo = [("solution", solution)] + ([("untouched", _read(course))] if course.is_file() else [])
        for blank in _blanks(name):
            for k, source in enumerate(_wrong_list(name, blank)):
                student = _student_id("wrong", name, blank, k)
                todo.append((student, _wrong_submission(solution, blank, source)))
                students[(name, blank, k)] = student
        right = RIGHT_ANSWERS.get(name, {})
        for k in range(max((len(v) for v in right.values()), default=0)):
            answers = {blank: sources[k] for blank, sources in right.items() if k < len(sources)}
            todo.append((_student_id("right", name, k), synthetic.with_answers(solution, answers)))
        for student, nb in todo:
            path = subs / student / name / f"{name}.ipynb"
            path.parent.mkdir(parents=True)
            nbformat.write(nb, str(path))
    work = tmp_path_factory.mktemp("real_work")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSE_MODE", "fast")
        rows = grade(subs, root=ROOT, work=work, log=print)
    return {"rows": {(r.student, r.assignment): r for r in rows}, "students": students,
            "db": f"sqlite:///{work / 'gradebook.db'}"}


@pytest.mark.slow
@pytest.mark.parametrize("name", _real_params(REAL))
def test_solution_gets_full_marks(name, real_graded):
    row = real_graded["rows"][("solution", name)]
    assert row.status == "graded" and row.score == row.max_score > 0, row


@pytest.mark.slow
@pytest.mark.parametrize("name", _real_params(REAL))
def test_right_answers_written_differently_get_full_marks(name, real_graded):
    right = RIGHT_ANSWERS.get(name, {})
    few = sorted(blank for blank in _blanks(name) if len(right.get(blank, [])) < 2)
    assert not few, f"tests/right_answers.py: {name} needs two right answers for {few}"
    for k in range(max(len(v) for v in right.values())):
        student = _student_id("right", name, k)
        row = real_graded["rows"][(student, name)]
        scores = cell_scores(real_graded["db"], student, name)
        lost = {t: s for t, s in scores.items() if (s[0] or 0) < s[1]}
        assert row.status == "graded" and not lost, (f"right answers #{k} of {name} lose marks on {lost}: "
                                                     f"{row}")


@pytest.mark.slow
@pytest.mark.parametrize("name", _real_params(REAL))
def test_untouched_course_notebook_gets_zero(name, real_graded):
    row = real_graded["rows"].get(("untouched", name))
    assert row is not None, f"course/{name} is missing: run `make release`"
    assert row.status == "graded" and row.score == 0, row


@pytest.mark.slow
@pytest.mark.parametrize("name, blank", _real_params(BLANKS, width=2))
def test_wrong_answer_loses_marks_on_its_blank(name, blank, real_graded):
    wrong = _wrong_list(name, blank)
    assert wrong, (f"no wrong answer for blank '{blank}' of {name}: add one to "
                   f"tests/wrong_answers.py as WRONG_ANSWERS['{name}']['{blank}']")
    tests = _blanks(name)[blank]
    assert tests, f"blank '{blank}' of {name} has no graded test cell after it"
    for k in range(len(wrong)):
        student = real_graded["students"][(name, blank, k)]
        row = real_graded["rows"][(student, name)]
        assert row.status == "graded", row
        scores = cell_scores(real_graded["db"], student, name)
        got = sum(scores[t][0] or 0 for t in tests)
        full = sum(scores[t][1] for t in tests)
        assert got < full, (f"wrong answer {k} for '{blank}' of {name} still gets {got:g}/{full:g} "
                            f"on tests {tests} (notebook total {row.score:g}/{row.max_score:g})")


@pytest.mark.parametrize("answers, file", [(WRONG_ANSWERS, "wrong_answers.py"), (RIGHT_ANSWERS, "right_answers.py")])
def test_answer_files_name_existing_blanks(answers, file):
    for name, blanks in answers.items():
        assert name in REAL, f"tests/{file}: no solutions/{name}"
        unknown = set(blanks) - set(_blanks(name))
        assert not unknown, f"tests/{file}: {name} has no solution cells {sorted(unknown)}"
