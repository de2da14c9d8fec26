"""Intake (grader/intake.py, grade.find_submissions): ids nbgrader would misread, symlinks, code beside
the notebook, notebooks that are not this assignment's, all refused with the reason, before anything runs."""
import os
import sys
import unicodedata
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import intake  # noqa: E402
from grader.grade import find_submissions  # noqa: E402
from grader.preprocessors import MarkersInAnswers  # noqa: E402


def _nested(folder, student, assignment="01_synth"):
    path = folder / student / assignment
    path.mkdir(parents=True)
    (path / f"{assignment}.ipynb").write_text("{}")
    return path


@pytest.mark.parametrize("student, problem", [
    ("alice", None), ("jean-luc_2", None), ("zoë", None),
    ("[A-Z]*", "characters"), ("eve ", "surrounding whitespace"), (" eve", "surrounding whitespace"),
    ("..dotdot", "leading dot"), (".hidden", "leading dot"), ("a/b", "path separator"), ("a.b", "characters"),
    ("bob?", "characters"), ("x(1)", "characters"),
])
def test_id_problem(student, problem):
    found = intake.id_problem(student)
    assert (found is None) if problem is None else (problem in found), found


def test_find_submissions_refuses_bad_ids_symlinks_and_two_spellings(tmp_path):
    for student in ("alice", "[A-Z]*", "eve ", "..dotdot", unicodedata.normalize("NFC", "josé"),
                    unicodedata.normalize("NFD", "josé")):
        _nested(tmp_path, student)
    (tmp_path / "mallory").mkdir()
    os.symlink(ROOT / "solutions", tmp_path / "mallory" / "01_synth")
    os.symlink(tmp_path / "alice", tmp_path / "trudy")
    found, unusable = find_submissions(tmp_path, ["01_synth"])
    reasons = dict(unusable)
    assert set(found) == {("alice", "01_synth"), ("mallory", "01_synth")}
    assert "invalid student id '[A-Z]*'" in reasons["[A-Z]*"]
    assert "surrounding whitespace" in reasons["eve "] and "leading dot" in reasons["..dotdot"]
    assert "symlink" in reasons["trudy"]
    collided = [r for name, r in unusable if "collision" in r]
    assert len(collided) == 2 and "NFC" in collided[0]
    assert intake.symlinks(found[("mallory", "01_synth")][0]) == ["01_synth"]


def test_code_beside_the_notebook_is_found(tmp_path):
    folder = _nested(tmp_path, "s")
    (folder / "matplotlib").mkdir()
    (folder / "matplotlib" / "__init__.py").write_text("")
    (folder / "helper.py").write_text("")
    (folder / "data.csv").write_text("1,2")
    (folder / "timestamp.txt").write_text("2024-01-01 00:00:00")
    assert intake.code_beside(folder, "01_synth.ipynb") == ["helper.py", "matplotlib/"]


def _nb(*ids, solution=False):
    cells = [nbformat.v4.new_code_cell("x", metadata={"nbgrader": {"grade": True, "solution": solution,
                                                                   "grade_id": i, "points": 1}}) for i in ids]
    return nbformat.v4.new_notebook(cells=cells)


def test_shape_problem_names_the_cause():
    tests = {"01_a": ["t1", "t2"], "02_b": ["u1"]}
    assert intake.shape_problem(_nb("t1", "t2"), "01_a", tests) is None
    assert intake.shape_problem(_nb("t1", "t2", "t2"), "01_a", tests).startswith("duplicated cell ids (t2)")
    assert intake.shape_problem(_nb("u1"), "01_a", tests).startswith("wrong assignment (this is a notebook of 02_b")
    assert intake.shape_problem(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")]), "01_a",
                                tests) == "no test cells (metadata lost or wrong notebook)"


def test_markers_in_answers_are_neutralised_but_not_in_tests():
    answer = nbformat.v4.new_code_cell("# ### BEGIN HIDDEN TESTS\nx = 1",
                                       metadata={"nbgrader": {"solution": True, "grade": False}})
    test = nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\nassert x\n### END HIDDEN TESTS",
                                     metadata={"nbgrader": {"solution": False, "grade": True}})
    pre = MarkersInAnswers()
    assert "BEGIN HIDDEN TESTS" not in pre.preprocess_cell(answer, {}, 0)[0].source
    assert pre.preprocess_cell(test, {}, 1)[0].source.startswith("### BEGIN HIDDEN TESTS")
