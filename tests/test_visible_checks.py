"""The check right after each blank, without its hidden tests, as a learner runs it before submitting.

Each wrong answer of tests/wrong_answers.py must make that visible check fail with a CheckFailed message
(not a raw error, and not only the hidden tests), each right answer of tests/right_answers.py must pass it,
and an empty blank must give the one-line "not filled in yet". The notebook runs in this process
(COURSE_MODE=fast), cell by cell, up to the check; only the notebooks listed in CHECKED are covered so far.
"""
import contextlib
import importlib.util
import io
import re
from pathlib import Path

import matplotlib
import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from minitheano.course import CheckFailed, NotFilledIn

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parent.parent
CHECKED = ["01_expression_graphs", "02_autodiff"]
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _fast_mode(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "fast")


def _load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


WRONG = _load(ROOT / "tests" / "wrong_answers.py").WRONG_ANSWERS
RIGHT = _load(ROOT / "tests" / "right_answers.py").RIGHT_ANSWERS


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


def _notebook(name):
    return nbformat.read(str(ROOT / "solutions" / name / f"{name}.ipynb"), as_version=4)


def _released(source):
    """The blank as nbgrader releases it."""
    return re.sub(r"( *)### BEGIN SOLUTION.*?### END SOLUTION",
                  lambda m: f"{m.group(1)}# YOUR CODE HERE\n{m.group(1)}raise NotImplementedError()", source,
                  flags=re.S)


def _visible(source):
    return re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", "", source, flags=re.S)


class _Shell:
    """Enough of get_ipython() for line magics such as %matplotlib inline."""

    def run_line_magic(self, *args, **kwargs):
        pass


def _run_to_check(name, blank, source):
    """Run the solution notebook with `blank` replaced by `source`, up to the first check after it.
    Returns the exception the visible check raised (None if it passed); an error elsewhere fails the test."""
    import matplotlib.pyplot as plt

    namespace, after_blank = {"__name__": "__main__", "get_ipython": _Shell}, False
    transform = TransformerManager().transform_cell
    for cell in _notebook(name).cells:
        if cell.cell_type != "code":
            continue
        meta = _meta(cell)
        is_blank, is_check = meta.get("grade_id") == blank, meta.get("grade") and not meta.get("solution")
        code = source if is_blank else (_visible(cell.source) if is_check else cell.source)
        after_blank = after_blank or is_blank
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(transform(code), f"<{meta.get('grade_id') or cell.get('id')}>", "exec"), namespace)
        except Exception as error:  # the check's verdict, or an error the test reports
            if is_check and after_blank:
                return error
            raise AssertionError(f"cell {meta.get('grade_id') or cell.get('id')} raised before the check of "
                                 f"{blank!r}: {type(error).__name__}: {error}") from error
        finally:
            plt.close("all")
        if is_check and after_blank:
            return None
    raise AssertionError(f"no check cell after blank {blank!r}")


def _cases(answers):
    for name in CHECKED:
        for blank, sources in answers.get(name, {}).items():
            for k, source in enumerate([sources] if isinstance(sources, str) else sources):
                yield pytest.param(name, blank, source, id=f"{name[:2]}-{blank}-{k}")


def _blanks():
    for name in CHECKED:
        for cell in _notebook(name).cells:
            blank = _meta(cell).get("grade_id") if _meta(cell).get("solution") else None
            if blank:
                yield pytest.param(name, blank, cell.source, id=f"{name[:2]}-{blank}")


@pytest.mark.parametrize("name, blank, source", list(_cases(WRONG)))
def test_visible_check_flags_each_wrong_answer_with_a_message(name, blank, source):
    error = _run_to_check(name, blank, source)
    assert error is not None, f"the visible check after {blank!r} of {name} passes this wrong answer:\n{source}"
    assert isinstance(error, CheckFailed) and not isinstance(error, NotFilledIn), \
        f"the visible check after {blank!r} fails with a raw {type(error).__name__}: {error}"


@pytest.mark.parametrize("name, blank, source", list(_cases(RIGHT)))
def test_visible_check_passes_each_right_answer(name, blank, source):
    error = _run_to_check(name, blank, source)
    assert error is None, f"the visible check after {blank!r} rejects a right answer: {error}\n{source}"


@pytest.mark.parametrize("name, blank, source", list(_blanks()))
def test_visible_check_of_an_empty_blank_says_not_filled_in(name, blank, source):
    released = _released(source)
    try:
        compile(TransformerManager().transform_cell(released), "<blank>", "exec")
    except SyntaxError as error:
        pytest.fail(f"the released blank {blank!r} is not valid Python: {error}")
    error = _run_to_check(name, blank, "try:\n" + "".join(f"    {line}\n" for line in released.splitlines())
                          + "except NotImplementedError:\n    pass\n")
    assert isinstance(error, NotFilledIn) and "not filled in yet" in str(error), \
        f"the check after an empty {blank!r} says {type(error).__name__}: {error}"
