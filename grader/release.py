"""Regenerate the learner notebooks course/ from the instructor notebooks solutions/ (`make release`).

Runs `nbgrader generate_assignment --force` for every solutions/NN_name/NN_name.ipynb,
with a gradebook rebuilt from scratch (it is derived data). nbgrader removes
solutions, hidden tests and outputs; its output is byte-identical on re-run,
so CI can check that course/ is what solutions/ generates. Folders of course/
whose assignment no longer exists in solutions/ are removed. Each released
notebook gets the kernel metadata JupyterLab would fill in (LearnerMetadata in
grader/nbgrader_config.py), so opening it in `make lab` does not mark it modified.

    python grader/release.py [ASSIGNMENT ...]
"""
import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.common import (ROOT, ASSIGNMENT_RE, GraderError, check, fresh_gradebook,  # noqa: E402
                           list_assignments, nbgrader_api, nbgrader_config)
from grader.lint import lint_solution_notebook  # noqa: E402


def release(root=ROOT, dest=None, assignments=None, log=print):
    """Generate learner notebooks from root/solutions into `dest` (default root/course); return their paths."""
    root = Path(root).resolve()
    dest = Path(dest).resolve() if dest else root / "course"
    available = list_assignments(root / "solutions")
    if not available:
        raise GraderError(f"no assignments in {root / 'solutions'} (expected NN_name/NN_name.ipynb)")
    unknown = sorted(set(assignments or ()) - set(available))
    if unknown:
        raise GraderError(f"unknown assignments {unknown}; solutions/ has {available}")
    chosen = list(assignments) if assignments else available

    for stale in sorted(dest.glob("*")) if not assignments else ():
        if stale.is_dir() and ASSIGNMENT_RE.fullmatch(stale.name) and stale.name not in available:
            log(f"removing {stale}: no solutions/{stale.name} any more")
            shutil.rmtree(stale)

    with tempfile.TemporaryDirectory(prefix="release-gradebook-") as tmp:
        config = nbgrader_config(root, release=dest, db=Path(tmp) / "gradebook.db")
        api = nbgrader_api(config)
        fresh_gradebook(config.CourseDirectory.db_url)
        written = []
        for assignment in chosen:
            for problem in lint_solution_notebook(root / "solutions" / assignment / f"{assignment}.ipynb"):
                log(f"warning: {problem}")
            check(api.generate_assignment(assignment, force=True, create=True),
                  f"nbgrader generate_assignment {assignment}")
            path = dest / assignment / f"{assignment}.ipynb"
            log(f"released {path.relative_to(root) if path.is_relative_to(root) else path}")
            written.append(path)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: every one in solutions/)")
    args = parser.parse_args(argv)
    try:
        release(assignments=args.assignments or None)
    except GraderError as exc:
        print(f"release failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
