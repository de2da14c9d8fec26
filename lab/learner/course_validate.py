"""The learner's Validate button: nbgrader's, with each failed check's one-line message shown first.

nbgrader's dialog shows the whole source of a failed check cell, then its error. When the error is
one of the course's own failures (CheckFailed, NotFilledIn: one line saying what is wrong), the
dialog here shows that line first and only the start of the check's code below it. Which cells
fail, and how they are graded, is nbgrader's: only the text of the dialog changes.
"""
import html
import re
import textwrap

from jupyter_server.utils import url_path_join
from nbconvert.filters import strip_ansi
from nbgrader.server_extensions.validate_assignment.handlers import NbGraderVersionHandler, ValidateAssignmentHandler

COURSE_ERROR = re.compile(r"(?:CheckFailed|NotFilledIn): (.*)", re.DOTALL)
CONTEXT_LINES = 3
WIDTH = 100  # the dialog does not wrap lines


def message_first(failed):
    """A failed cell as nbgrader's dialog shows it (source, then error HTML), the course's message first."""
    found = COURSE_ERROR.fullmatch(strip_ansi(failed.get("raw_error", "")).strip())
    if not found:
        return failed
    lines = failed["source"].splitlines()
    start = "\n".join(lines[:CONTEXT_LINES]) + ("\n…" if len(lines) > CONTEXT_LINES else "")
    message = "\n".join(textwrap.fill(line, WIDTH) for line in found.group(1).splitlines())
    return {**failed, "source": message,
            "error": f'<span style="opacity: 0.7">in the check cell that starts:\n{html.escape(start)}</span>'}


class ValidateHandler(ValidateAssignmentHandler):
    def validate_notebook(self, path):
        result = super().validate_notebook(path)
        if result.get("success") and isinstance(result.get("value"), dict) and "failed" in result["value"]:
            result["value"]["failed"] = [message_first(cell) for cell in result["value"]["failed"]]
        return result


def _jupyter_server_extension_points():
    return [{"module": "course_validate"}]


def _load_jupyter_server_extension(server_app):
    webapp = server_app.web_app
    webapp.settings["root_dir"] = server_app.root_dir
    base_url = webapp.settings["base_url"]
    webapp.add_handlers(".*$", [(url_path_join(base_url, "/assignments/validate"), ValidateHandler),
                                (url_path_join(base_url, "/nbgrader_version"), NbGraderVersionHandler)])
