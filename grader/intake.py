"""What may be graded: student ids, symlinks and code handed in beside a notebook, notebook shape.

Checked before anything runs, so a name or a folder never reaches nbgrader
(which reads student ids as glob patterns) or the sandbox.
"""
import hashlib
import re
import unicodedata
from pathlib import Path

_VALID_ID = re.compile(r"\w[\w-]*")
_CODE_SUFFIXES = {".py", ".pyc", ".pyo", ".pyd", ".so", ".pth", ".pyx", ".egg", ".whl", ".zip"}


def normalise(student):
    """The NFC form of a student id."""
    return unicodedata.normalize("NFC", student)


def id_problem(student):
    """Why `student` (already NFC) is not a usable id, or None."""
    if student != student.strip():
        return "surrounding whitespace"
    if student.startswith("."):
        return "leading dot"
    if "/" in student or "\\" in student:
        return "path separator"
    if not _VALID_ID.fullmatch(student):
        bad = sorted({ch for ch in student if not re.fullmatch(r"[\w-]", ch)})
        return f"characters {' '.join(repr(c) for c in bad)} (only letters, digits, _ and -)"
    return None


def symlinks(path):
    """Symlinks at or under `path`, relative to path's parent."""
    path = Path(path)
    found = [path] if path.is_symlink() else []
    if path.is_dir() and not path.is_symlink():
        found += [p for p in path.rglob("*") if p.is_symlink()]
    return [str(p.relative_to(path.parent)) for p in found]


def code_beside(folder, notebook):
    """Code files and packages handed in next to the notebook, as 'name' or 'name/' (rejected)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if path.name in (notebook, ".ipynb_checkpoints"):
            continue
        if path.is_file() and path.suffix in _CODE_SUFFIXES:
            found.append(path.name)
        elif path.is_dir() and any(p.suffix in _CODE_SUFFIXES for p in path.rglob("*")):
            found.append(path.name + "/")
    return found


def content_hash(*parts):
    """sha256 of byte strings, in order (a submission with its assignment's source and the grader's code)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def test_ids(nb):
    """grade_ids of the test cells (graded, not solutions) of a notebook, in order, duplicates kept."""
    ids = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            ids.append(meta.get("grade_id"))
    return ids


def shape_problem(nb, assignment, tests_by_assignment):
    """Why a readable notebook cannot be graded as `assignment`: no test cells, another assignment, duplicates."""
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    ids = [i for i in ids if i]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        return f"duplicated cell ids ({', '.join(dup)}): a cell was copied; hand in one copy of each"
    own = set(tests_by_assignment.get(assignment, []))
    found = set(test_ids(nb))
    if own & found:
        return None
    others = [a for a, tests in tests_by_assignment.items() if a != assignment and found & set(tests)]
    if others:
        return f"wrong assignment (this is a notebook of {others[0]}, handed in as {assignment})"
    return "no test cells (metadata lost or wrong notebook)"
