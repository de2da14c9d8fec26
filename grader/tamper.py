"""Flag learner code that changes what the tests rely on, for a human to review.

nbgrader runs the tests in the learner's kernel, so an answer cell with
`np.allclose = lambda *a, **k: True` passes every check that uses it, and
nbgrader does not notice. We look, in the cells the learner wrote or changed,
for assignments to attributes of imported modules, setattr on them, rebinding
of imported names that test cells call, and reaching for builtins or sys.modules.
We also flag answers that reach the interpreter's machinery or the system:
get_ipython, exec/eval, vars(...)[...], __dict__, sys.modules, ctypes,
subprocess, sockets, files and databases. The sandbox makes these harmless to
other students; the flag lets a human see what the learner tried.
Findings are reported next to the grade; nothing is marked down automatically.
"""
import ast

# Module attributes a learner may legitimately set.
_ALLOWED_ATTRIBUTE_PARTS = {"config"}
_MACHINERY_CALLS = {"get_ipython", "exec", "eval", "compile", "__import__", "globals", "vars", "open",
                    "breakpoint"}
_SYSTEM_MODULES = {"ctypes", "subprocess", "sqlite3", "shutil", "socket", "multiprocessing", "gc", "importlib",
                   "pty", "signal", "threading", "urllib", "http", "requests", "resource", "mmap", "pickle"}
_OS_CALLS = ("system", "popen", "fork", "kill", "remove", "unlink", "rmdir", "rename", "replace", "exec", "spawn",
             "setsid", "listdir", "scandir", "walk", "chmod", "chdir", "open", "write", "environ", "putenv")
_FILE_METHODS = {"read_text", "write_text", "read_bytes", "write_bytes", "unlink", "rmdir", "rmtree", "touch",
                 "iterdir", "rglob", "glob"}


def _parse(source):
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return None


def _imports(trees):
    """(module aliases, names imported with `from x import name`) bound anywhere in the notebook."""
    modules, names = set(), set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                names.update(a.asname or a.name for a in node.names if a.name != "*")
    return modules, names


def _called_names(trees):
    """Plain names called as functions, e.g. assert_allclose in `assert_allclose(a, b)`."""
    return {node.func.id for tree in trees for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id] + parts[::-1]
    return None


def _findings(tree, modules, imported):
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            path = _dotted(target)
            if path and len(path) > 1 and path[0] in modules and not _ALLOWED_ATTRIBUTE_PARTS & set(path):
                yield f"assigns {'.'.join(path)}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr"):
            path = _dotted(node.args[0]) if node.args else None
            if path and path[0] in modules:
                yield f"calls {node.func.id} on {'.'.join(path)}"
        if isinstance(node, ast.Name) and node.id in ("__builtins__", "builtins"):
            yield f"uses {node.id}"
        if isinstance(node, ast.Attribute) and node.attr == "modules" and _dotted(node) == ["sys", "modules"]:
            yield "uses sys.modules"
        yield from _machinery(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in imported:
            yield f"redefines the imported name {node.name}"
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in imported:
                    yield f"rebinds the imported name {target.id}"


def _machinery(node):
    """Findings of code reaching the interpreter or the system (see the module docstring)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _MACHINERY_CALLS:
        yield f"calls {node.func.id}"
    if isinstance(node, ast.Attribute) and node.attr == "__dict__":
        yield "uses __dict__"
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        for name in names:
            if name.split(".")[0] in _SYSTEM_MODULES:
                yield f"imports {name}"
    if isinstance(node, ast.Attribute) and _dotted(node) and _dotted(node)[0] == "os" and \
            node.attr.startswith(_OS_CALLS):
        yield f"uses os.{node.attr}"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _FILE_METHODS:
        yield f"file access (.{node.func.attr})"


def _is_test(cell):
    meta = cell.metadata.get("nbgrader", {})
    return meta.get("grade") and not meta.get("solution")


def suspicious_cells(nb, reference):
    """Messages about cells of `nb` that are not in `reference` (the released notebook) and tamper with tests."""
    known = {cell.source for cell in reference.cells}
    trees = [t for t in (_parse(c.source) for c in nb.cells if c.cell_type == "code") if t is not None]
    modules, imported = _imports(trees)
    tests = [t for t in (_parse(c.source) for c in nb.cells if c.cell_type == "code" and _is_test(c))
             if t is not None]
    imported &= _called_names(tests)
    messages = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or cell.source in known:
            continue
        tree = _parse(cell.source)
        if tree is None:
            continue
        for finding in dict.fromkeys(_findings(tree, modules, imported)):
            messages.append(f"cell {index} {finding}")
    return messages
