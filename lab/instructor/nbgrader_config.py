"""nbgrader's instructor tools in `make instructor` (formgrader, create assignment) use the course's
configuration: grader/nbgrader_config.py (solutions/ is the source, course/ the release)."""
import os

load_subconfig("nbgrader_config.py", path=os.path.join(os.path.dirname(__file__), "..", "..", "grader"))  # noqa: F821
