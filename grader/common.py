"""Paths, assignment discovery and the nbgrader set-up shared by the grader commands.

Every command works on a course root holding ``solutions/`` and ``course/``
(the repository by default, a temporary copy in tests) and a work folder for
derived data (``grader/_work`` by default): the gradebook, submissions copied
in for grading, autograded notebooks, feedback and logs.
"""
import logging
import os
import re
import sys
from pathlib import Path

from minitheano import course

ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILE = ROOT / "grader" / "nbgrader_config.py"
WORK = "grader/_work"
ASSIGNMENT_RE = re.compile(r"\d\d_\w+")
# Characters that nbgrader would read as regular-expression syntax in a folder path.
_REGEX_SPECIAL = re.compile(r"[\\^$*+?{}\[\]()|]")


class GraderError(RuntimeError):
    """An instructor-side problem (a broken source notebook, a wrong folder): stops the command."""


def course_mode():
    """COURSE_MODE as the notebooks read it (minitheano.course.mode): 'full' (default) or 'fast'."""
    try:
        return course.mode()
    except ValueError as exc:
        raise GraderError(str(exc)) from None


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise GraderError(f"environment variable {name} must be an integer, not {value!r}") from None


def cell_timeout():
    """Seconds one cell may run: GRADER_CELL_TIMEOUT, else 300 in full mode and 120 in fast mode."""
    return env_int("GRADER_CELL_TIMEOUT", 300 if course_mode() == "full" else 120)


def max_output_bytes():
    """Bytes of output one cell may keep after grading: GRADER_MAX_OUTPUT_BYTES, else 1 MB."""
    return env_int("GRADER_MAX_OUTPUT_BYTES", 1_000_000)


def list_assignments(folder):
    """Sorted ids of the assignments in `folder`: sub-folders NN_name holding NN_name.ipynb."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(d.name for d in folder.iterdir()
                  if d.is_dir() and ASSIGNMENT_RE.fullmatch(d.name) and (d / f"{d.name}.ipynb").is_file())


def _step_dir(root, path):
    """A folder as nbgrader wants it: relative to the root when inside it, else absolute.

    nbgrader matches folder names with regular expressions built from the
    unescaped path, so an absolute path with regex syntax in it would not match.
    """
    path = Path(path).resolve()
    try:
        return str(path.relative_to(root))
    except ValueError:
        if _REGEX_SPECIAL.search(str(path)):
            raise GraderError(f"nbgrader cannot work in {path}: the path contains regex characters") from None
        return str(path)


def nbgrader_config(root=ROOT, work=None, release=None, db=None, submitted=None):
    """The traitlets Config of grader/nbgrader_config.py, moved to other folders where given.

    root: course root (solutions/, course/); work: derived data (default
    root/grader/_work); release: where learner notebooks are generated
    (default root/course); db: the sqlite gradebook (default work/gradebook.db); submitted:
    where autograde reads submissions (default work/submitted).
    """
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader(CONFIG_FILE.name, path=str(CONFIG_FILE.parent)).load_config()
    root = Path(root).resolve()
    work = Path(work).resolve() if work else root / WORK
    cd = config.CourseDirectory
    cd.root = str(root)
    cd.submitted_directory = _step_dir(root, Path(submitted) if submitted else work / "submitted")
    cd.autograded_directory = _step_dir(root, work / "autograded")
    cd.feedback_directory = _step_dir(root, work / "feedback")
    cd.db_url = f"sqlite:///{Path(db).resolve() if db else work / 'gradebook.db'}"
    if release is not None:
        cd.release_directory = _step_dir(root, release)
    return config


def _venv_on_path():
    """Put this Python's bin folder on PATH: nbgrader runs the `alembic` command from PATH
    when it creates a gradebook, which fails when the virtual environment is not activated."""
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def nbgrader_api(config):
    """An in-process NbGraderAPI whose log goes only to the per-call captured logs."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    _venv_on_path()

    log = logging.getLogger("grader.nbgrader")
    log.propagate = False
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    log.setLevel(logging.INFO)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    api.log = log
    return api


_TEMPLATE = {}


def fresh_gradebook(db_url):
    """Start an empty gradebook at the sqlite URL `db_url`, replacing any old one.

    nbgrader runs an `alembic` subprocess (seconds on a busy machine) for
    every new gradebook, so the first one made in this process is kept as a
    template and copied for the next ones.
    """
    import atexit
    import shutil
    import tempfile

    from nbgrader.api import Gradebook

    path = Path(db_url[len("sqlite:///"):])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    if "path" not in _TEMPLATE:
        _venv_on_path()
        folder = tempfile.mkdtemp(prefix="gradebook-template-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = Path(folder) / "gradebook.db"
        with Gradebook(f"sqlite:///{template}", course_id="minitheano"):
            pass
        _TEMPLATE["path"] = template
    shutil.copyfile(_TEMPLATE["path"], path)
    return path


def check(result, what):
    """Raise GraderError with nbgrader's log when an NbGraderAPI call failed."""
    if not result.get("success"):
        raise GraderError(f"{what} failed:\n{result.get('log', '')}\n{result.get('error', '')}")
    return result
