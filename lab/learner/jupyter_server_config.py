"""The server of `make lab`: course/ for learners, with Validate and none of nbgrader's instructor tools
(formgrader, course and assignment lists, which need an instructor's set-up). Validate is nbgrader's,
showing the course's one-line check messages first (course_validate.py, next to this file)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)
c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.assignment_list": False,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.validate_assignment": False,
    "course_validate": True,
}
c.LabApp.default_url = "/lab/tree/01_expression_graphs/01_expression_graphs.ipynb"
