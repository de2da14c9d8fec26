"""A small synthetic nbgrader assignment (two blanks, visible and hidden tests) built in a temp folder.

The grader tests run on it so that they do not depend on the real course
notebooks, which are longer and may not exist yet.
"""
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ASSIGNMENT = "01_synth"
MAX_SCORE = 4.0
HIDDEN_LINE = "assert square(0.5) == 0.25, 'square must work for fractions'"

SQUARE_SOLUTION = '''def square(x):
    """Return x squared."""
    ### BEGIN SOLUTION
    return x * x
    ### END SOLUTION'''

CUBE_SOLUTION = '''def cube(x):
    """Return x cubed."""
    ### BEGIN SOLUTION
    return x ** 3
    ### END SOLUTION'''

# Realistic wrong answers, one per blank, as tests/wrong_answers.py would hold them.
WRONG = {
    "square": "def square(x):\n    return int(x) ** 2",
    "cube": 'def cube(x):\n    return 3 * x',
}


def _meta(grade_id, *, solution=False, grade=False, points=0):
    meta = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def notebook():
    """The instructor version (nbgrader source) of the synthetic assignment."""
    cells = [
        new_markdown_cell("# Synthetic assignment\nWrite `square` and `cube`."),
        new_code_cell("import os\nMODE = os.environ.get('COURSE_MODE', 'full')"),
        new_code_cell(SQUARE_SOLUTION, metadata=_meta("square", solution=True)),
        new_code_cell("import numpy as np\nassert np.allclose(square(3), 9)",
                      metadata=_meta("test_square", grade=True, points=1)),
        new_code_cell("assert square(-2) == 4\n### BEGIN HIDDEN TESTS\n" + HIDDEN_LINE + "\n### END HIDDEN TESTS",
                      metadata=_meta("test_square_hidden", grade=True, points=2)),
        new_code_cell(CUBE_SOLUTION, metadata=_meta("cube", solution=True)),
        new_code_cell("assert cube(2) == 8", metadata=_meta("test_cube", grade=True, points=1)),
        new_code_cell("from minitheano import course\ncourse.report('synth_square_of_3', square(3))\n"
                      "course.report('synth_fast_mode', MODE == 'fast')"),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.language_info = {"name": "python"}
    return nb


def make_course(root):
    """Write root/solutions/01_synth/01_synth.ipynb and return its path."""
    path = root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook(), str(path))
    return path


def with_answers(nb, answers):
    """A copy of `nb` whose solution cells with the given grade_ids have new source."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return nb
