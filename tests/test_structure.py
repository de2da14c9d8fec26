"""The core stays readable one module at a time: dependencies go one way (no import cycle in
minitheano/), no import hides inside a function of the core, and no module is over 400 lines."""
import ast
from pathlib import Path

import pytest

import minitheano as th
import minitheano.tensor as T

PACKAGE = Path(__file__).resolve().parent.parent / "minitheano"
CORE = ("graph.py", "tensor.py", "gradient.py", "rewrites", "shapes.py", "ops", "compile", "kernels")
MAX_LINES = 400


def modules():
    """{dotted name: path} of every module in the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _resolve(name, module, is_package, level):
    if level == 0:
        return name
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def imports(module, path, known):
    """The package's modules that ``module`` imports, at its top or inside a function."""
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(node.module, module, path.name == "__init__.py", node.level)
            names = [target] + [f"{target}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(n for n in names if n in known and n != module)
    return found


def find_cycle(graph):
    """One import cycle as a list of modules, or None."""
    state, stack = {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == "open":
                return stack[stack.index(n):] + [n]
            if n not in state:
                cycle = visit(n)
                if cycle:
                    return cycle
        state[m] = "done"
        stack.pop()
        return None

    for m in sorted(graph):
        if m not in state:
            cycle = visit(m)
            if cycle:
                return cycle
    return None


def import_graph():
    known = modules()
    graph = {m: imports(m, p, known) for m, p in known.items()}
    graph["minitheano"] = set()  # the top-level package imports everything, by design
    return graph


def test_no_import_cycle_inside_the_package():
    assert find_cycle(import_graph()) is None, f"import cycle: {' -> '.join(find_cycle(import_graph()))}"


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def core_files():
    for entry in CORE:
        path = PACKAGE / entry
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


@pytest.mark.parametrize("path", list(core_files()), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_import_inside_a_function_of_the_core(path):
    tree = ast.parse(path.read_text())
    hidden = [f"line {node.lineno}" for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
              for node in ast.walk(fn) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert not hidden, f"{path.name} imports inside a function at {', '.join(hidden)}: import at the top"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_over_400_lines(path):
    n = len(path.read_text().splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(PACKAGE)} has {n} lines (at most {MAX_LINES}): split it by idea"


def test_every_variable_a_graph_holds_has_the_tensor_operators():
    """graph.py makes variables through TensorType's classes, which the tensor vocabulary sets."""
    x = T.vector("x")
    s = th.shared([1.0, 2.0])
    f = th.function([x], (x + 2 * 3) * s, givens={s: T.constant([3.0, 4.0])})
    leaves = th.graph.graph_inputs(f.graph) + th.graph.graph_inputs(f.graph_before)
    made = [x, s, T.constant(1.0), x + 1] + leaves
    assert all(isinstance(v, T.TensorOperators) for v in made), [type(v) for v in made]
