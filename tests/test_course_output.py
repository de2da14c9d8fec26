"""What the course helpers leave in a notebook, run in a real kernel: progress bars that end as text
(no widget to go missing when the notebook is reopened), results the learner reads as a sentence and
`make run` reads as data, and failed checks shown as their one-line message."""
import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from minitheano.course import RESULT_MIMETYPE

pytestmark = pytest.mark.slow

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def outputs():
    cells = [
        "from minitheano import course\nfor _ in course.progress(range(25), desc='steps'):\n    pass",
        "import numpy as np\nX = np.ones((40, 3), 'float32'); y = np.zeros(40, 'int32')\n"
        "h = course.train(lambda X, y: 0.5, lambda X, y: (0.25, 0.75), X, y, X, y, epochs=2, batchsize=10)",
        "course.report('mlp_test_accuracy', 0.75751)",
        "course.require('W2')",
        "course.check(False, 'W2 should be a matrix.')",
    ]
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=120, allow_errors=True).execute()
    return [nbformat.from_dict(c).outputs for c in nb.cells]


def _kinds(outputs):
    return [key for o in outputs for key in o.get("data", {})]


def test_a_progress_bar_ends_as_a_line_of_text(outputs):
    [bar] = outputs[0]
    assert WIDGET_VIEW not in _kinds(outputs[0])
    assert bar.output_type == "display_data" and bar.data["text/plain"].startswith("steps: 25/25 in ")


def test_training_shows_its_table_and_ends_with_a_summary(outputs):
    assert WIDGET_VIEW not in _kinds(outputs[1])
    assert outputs[1][0].data["text/plain"].startswith("Trained 2 epochs (8 batches) in ")
    table = "".join(o.text for o in outputs[1] if o.output_type == "stream")
    assert all(o.name == "stdout" for o in outputs[1] if o.output_type == "stream")
    assert "75.00%" in table and len(table.strip().splitlines()) == 3


def test_a_result_is_a_sentence_for_the_learner_and_data_for_the_runner(outputs):
    [result] = outputs[2]
    assert result.data["text/plain"] == "mlp test accuracy: 75.75%"
    assert result.data[RESULT_MIMETYPE] == {"name": "mlp_test_accuracy", "value": 0.75751}
    assert "RESULT" not in result.data["text/plain"]


@pytest.mark.parametrize("cell, ename, message", [(3, "NotFilledIn", "not filled in yet: W2 is not defined"),
                                                  (4, "CheckFailed", "W2 should be a matrix.")])
def test_a_failed_check_shows_one_line_and_is_still_an_error(outputs, cell, ename, message):
    [error] = outputs[cell]
    assert error.output_type == "error" and error.ename == ename and message in error.evalue
    assert len(error.traceback) == 1 and message in error.traceback[0]
