"""nbgrader's instructor tools in `make instructor` (formgrader, create assignment) use the course's
configuration: grader/nbgrader_config.py (solutions/ is the source, course/ the release)."""
import os

_GRADER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "grader")
load_subconfig("nbgrader_config.py", path=_GRADER)  # noqa: F821 (provided by traitlets)
os.makedirs(os.path.join(_GRADER, "_work"), exist_ok=True)  # where the formgrader's gradebook lives
