"""Checks on instructor notebooks for the nbgrader rules that fail silently.

nbgrader 0.9.6 takes the value of a test cell's last bare expression as a
partial score when it is a number, zeroes a test cell that writes anything to
stderr, and needs a unique grade_id on every graded cell. None of these is an
error when the notebook runs, so we look for them in the source.
"""
import ast
from collections import defaultdict
from pathlib import Path

import nbformat

# A last-line call to one of these returns None, so nbgrader cannot read it as a score.
_NONE_CALLS = ("print", "display")


def _called_name(node):
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _last_bare_expression(source):
    """The source of the cell's last statement if it is a bare expression nbgrader could score, else None."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return None
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return None
    value = tree.body[-1].value
    if isinstance(value, ast.Call):
        name = _called_name(value) or ""
        if name in _NONE_CALLS or name.startswith("assert"):
            return None
    return ast.unparse(value)


def _markers(source, begin, end):
    """True if the source has a balanced begin/end region, None if none, an error text if unbalanced."""
    depth, seen = 0, False
    for line in source.splitlines():
        if begin in line:
            if depth:
                return f"nested '{begin}'"
            depth, seen = 1, True
        elif end in line:
            if not depth:
                return f"'{end}' without '{begin}'"
            depth = 0
    if depth:
        return f"'{begin}' without '{end}'"
    return True if seen else None


def lint_solution_notebook(path):
    """Problems in one solutions/ notebook, as a list of messages (empty when clean)."""
    path = Path(path)
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # any reason it cannot be read is the problem to report
        return [f"{path}: not a readable notebook ({type(exc).__name__}: {exc})"]
    problems, ids = [], defaultdict(list)
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        graded = meta.get("grade") or meta.get("solution") or meta.get("task")
        grade_id = meta.get("grade_id") or ""
        where = f"{path.name} cell {index}" + (f" ({grade_id})" if grade_id else "")
        if graded and not grade_id:
            problems.append(f"{where}: nbgrader cell without a grade_id")
        if meta and grade_id:
            ids[grade_id].append(index)
        if meta and meta.get("schema_version") != 3:
            problems.append(f"{where}: nbgrader schema_version is {meta.get('schema_version')!r}, not 3")
        if meta.get("grade") and not meta.get("points"):
            problems.append(f"{where}: graded cell without points")

        solution = _markers(cell.source, "BEGIN SOLUTION", "END SOLUTION")
        if isinstance(solution, str):
            problems.append(f"{where}: {solution}")
        elif solution and not meta.get("solution"):
            problems.append(f"{where}: solution region in a cell not marked as a solution cell")
        hidden = _markers(cell.source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
        if isinstance(hidden, str):
            problems.append(f"{where}: {hidden}")
        elif hidden and not meta.get("grade"):
            problems.append(f"{where}: hidden tests in a cell not marked as a graded test cell")

        is_test = cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")
        if is_test:
            expression = _last_bare_expression(cell.source)
            if expression is not None:
                problems.append(
                    f"{where}: test cell ends with the bare expression `{expression}`; if it is a number "
                    "nbgrader gives it as a partial score. End with an assert, an assignment or print().")
            if "sys.stderr" in cell.source or "warnings.warn" in cell.source:
                problems.append(f"{where}: test cell writes to stderr, and nbgrader zeroes any test cell that does")
    for grade_id, cells in ids.items():
        if len(cells) > 1:
            problems.append(f"{path.name}: grade_id '{grade_id}' is used by cells {cells}")
    return problems
