"""nbgrader configuration of the course (nbgrader 0.9.6).

The grader commands (grader/release.py, grader/grade.py) load this file
themselves, so they work from any directory. To run nbgrader by hand, point
it here, from any directory, with the virtual environment activated (nbgrader
runs `alembic` from PATH when it creates a gradebook):
    nbgrader autograde 03_mlp_mnist --NbGrader.config_file=grader/nbgrader_config.py
or run nbgrader from inside grader/, where it finds this file by itself.

Layout: source = solutions/, release = course/; submitted, autograded,
feedback and the sqlite gradebook live in the git-ignored grader/_work/.

Environment:
  GRADER_CELL_TIMEOUT      seconds per cell (default 300 with COURSE_MODE=full, 120 with fast)
  GRADER_MAX_OUTPUT_BYTES  bytes of output kept per cell after autograding (default 1 MB)
"""
import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.converters import Autograde, GenerateAssignment  # noqa: E402
from nbgrader.preprocessors import ClearHiddenTests, Execute, GetGrades, LimitOutput  # noqa: E402

from grader.common import WORK, cell_timeout, max_output_bytes  # noqa: E402
from grader.guard import GuardedExecute  # noqa: E402
from grader.preprocessors import (HideHiddenTestTracebacks, LearnerMetadata, LimitOutputBytes,  # noqa: E402
                                  MarkersInAnswers)

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = "minitheano"
c.CourseDirectory.root = _ROOT
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
c.CourseDirectory.submitted_directory = f"{WORK}/submitted"
c.CourseDirectory.autograded_directory = f"{WORK}/autograded"
c.CourseDirectory.feedback_directory = f"{WORK}/feedback"
c.CourseDirectory.db_url = f"sqlite:///{_ROOT}/{WORK}/gradebook.db"

# A cell that runs past the timeout is interrupted and gets this error, which
# grader/grade.py looks for to report the submission as "not graded: timed out".
_timeout = cell_timeout()
c.Execute.timeout = _timeout
c.ExecutePreprocessor.timeout = _timeout  # the same for nbgrader's other executors (validate)
c.Execute.interrupt_on_timeout = True
c.Execute.error_on_timeout = {
    "ename": "CellTimeoutError",
    "evalue": f"the cell ran longer than the grader's limit of {_timeout} s",
    "traceback": [f"CellTimeoutError: the cell ran longer than the grader's limit of {_timeout} s"],
}

# The kernel runs in the sandbox and test cells are guarded (grader/guard.py); output is
# limited in lines by nbgrader and in bytes by us, right after it.
_autograde = list(Autograde.class_traits()["autograde_preprocessors"].default())
_autograde[_autograde.index(Execute)] = GuardedExecute
_autograde.insert(_autograde.index(LimitOutput) + 1, LimitOutputBytes)
c.Autograde.autograde_preprocessors = _autograde
c.LimitOutputBytes.max_bytes = max_output_bytes()

# Released notebooks carry the kernel metadata JupyterLab would otherwise fill in on opening.
c.GenerateAssignment.preprocessors = [*GenerateAssignment.class_traits()["preprocessors"].default(), LearnerMetadata]

# OverwriteCells.add_missing_cells stays off: in 0.9.6 it fails the whole
# submission (KeyError) when a deleted test cell follows a deleted solution
# cell. A deleted test cell scores 0, and grade.py notes it for review.

# Feedback never shows hidden tests: neither their source nor their tracebacks; hidden-test
# markers typed into answer cells are neutralised first, or ClearHiddenTests would fail.
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, MarkersInAnswers,
                                    HideHiddenTestTracebacks, ClearHiddenTests]
