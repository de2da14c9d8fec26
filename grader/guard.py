"""nbgrader's Execute, guarded: before each test cell, undo what learner code did to turn tests off.

At kernel start (before any notebook cell) a snippet records the functions
and classes of builtins, numpy, numpy.testing, math and of the IPython shell
and kernel classes. Before every test cell a second snippet, evaluated as a
user expression (so no input transformer sees it), puts back any
of them that was replaced (``vars(np)['allclose'] = ...``), and resets the
shell hooks that can skip or rewrite a cell: input and AST transformers,
custom exception handlers, trace functions, pre-run callbacks, instance
overrides of the shell's run methods. What it had to restore is written into
the test cell's outputs (NOTE_PREFIX), so the feedback and the grade row say so.

A test cell that passed but wrote to stderr would get 0 from nbgrader; its
stderr is kept as stdout, marked STDERR_PREFIX, so a warning does not cost marks.
"""
import secrets

from jupyter_core.utils import run_sync
from nbformat.v4 import new_code_cell, new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool

from grader.sandbox import SandboxedKernelManager

NOTE_PREFIX = "[grader] "
STDERR_PREFIX = "[stderr] "

_SETUP = r'''
def _grader_setup(token):
    import builtins, importlib, sys
    from IPython.core.inputtransformer2 import TransformerManager
    ip = get_ipython()
    # set by IPython and ipykernel themselves as cells run
    _VOLATILE = {"_", "__", "___", "input", "raw_input", "get_ipython", "display", "exit", "quit"}
    hooks = ("run_cell", "run_cell_async", "run_ast_nodes", "run_code", "should_run_async", "transform_cell",
             "transform_ast", "showtraceback", "_showtraceback", "showsyntaxerror", "user_expressions", "ex", "ev")
    own = {k: vars(ip).get(k) for k in hooks}
    objects = {}
    for name in ("builtins", "numpy", "numpy.testing", "math"):
        try:
            objects[name] = importlib.import_module(name)
        except Exception:
            pass
    for cls in type(ip).__mro__[:-1] + type(getattr(ip, "kernel", None)).__mro__[:-1]:
        objects[f"{cls.__module__}.{cls.__qualname__}"] = cls
    saved = {name: (obj, {k: v for k, v in vars(obj).items()
                          if (callable(v) or isinstance(v, type)) and k not in _VOLATILE})
             for name, obj in objects.items()}
    fresh = TransformerManager()
    shapes = lambda tm: [len(tm.cleanup_transforms), len(tm.line_transforms), len(tm.token_transformers)]
    default_shape = shapes(fresh)

    def check():
        restored = []
        for name, (obj, attrs) in saved.items():
            now = vars(obj)
            for key, value in attrs.items():
                if now.get(key) is not value:
                    try:
                        setattr(obj, key, value)
                    except Exception:
                        restored.append(f"{name}.{key} (could not restore)")
                        continue
                    restored.append(f"{name}.{key}")
        tm = ip.input_transformer_manager
        if type(tm) is not TransformerManager or shapes(tm) != default_shape:
            restored.append("input transformers")
        ip.input_transformer_manager = TransformerManager()
        for attr in ("input_transformers_post", "ast_transformers"):
            if getattr(ip, attr):
                restored.append(attr.replace("_", " "))
                setattr(ip, attr, [])
        if ip.custom_exceptions:
            restored.append("custom exception handler")
            ip.set_custom_exc((), None)
        for key in hooks:
            if vars(ip).get(key) is not own[key]:
                restored.append(f"shell.{key}")
                if own[key] is None:
                    delattr(ip, key)
                else:
                    setattr(ip, key, own[key])
        if sys.gettrace() is not None or sys.getprofile() is not None:
            restored.append("trace function")
            sys.settrace(None)
            sys.setprofile(None)
        for key, callbacks in ip.events.callbacks.items():
            learners = [c for c in callbacks if getattr(c, "__module__", "__main__") == "__main__"]
            if learners:
                restored.append(f"{key} callbacks")
                callbacks[:] = [c for c in callbacks if c not in learners]
        return (f"GRADER-GUARD {token} restored: " + "; ".join(restored) if restored
                else f"GRADER-GUARD {token} ok")
    return check

__GUARD__ = _grader_setup("__TOKEN__")
del _grader_setup
'''


class GuardedExecute(Execute):
    """Execute with the kernel in the sandbox (unless `sandboxed` is off) and test cells guarded."""

    sandboxed = Bool(True, help="run the kernel in the bubblewrap sandbox").tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.sandboxed:
            self.kernel_manager_class = SandboxedKernelManager

    def preprocess(self, nb, resources=None, km=None):
        self._token = secrets.token_hex(8)
        self._guard = f"_grader_guard_{self._token}"
        self._guard_ready = False
        return super().preprocess(nb, resources, km=km)

    def _run_hidden(self, source, index):
        """Run `source` in the kernel outside the notebook (before any learner code runs)."""
        try:
            self.execute_cell(new_code_cell(source), index, store_history=False)
        except Exception:  # a kernel that no longer answers is reported by the real cells
            pass

    async def _async_ask(self, expression):
        """Evaluate `expression` as a user expression: eval in the kernel, past any input transformer."""
        msg_id = self.kc.execute("", silent=True, store_history=False, user_expressions={"g": expression})
        while True:
            msg = await self.kc.get_shell_msg(timeout=self.timeout or 60)
            if msg["parent_header"].get("msg_id") == msg_id:
                text = msg["content"].get("user_expressions", {}).get("g", {}).get("data", {}).get("text/plain", "")
                return text.strip("'\"")

    def _ask(self, expression):
        try:
            return run_sync(self._async_ask)(expression)
        except Exception:  # no answer: reported as not checked; a dead kernel is reported by the real cells
            return ""

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        is_test = cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")
        if cell.cell_type == "code" and not self._guard_ready:
            self._run_hidden(_SETUP.replace("__GUARD__", self._guard).replace("__TOKEN__", self._token), index)
            self._guard_ready = True
        note = None
        if is_test:
            said = self._ask(f"{self._guard}()")
            if f"GRADER-GUARD {self._token} restored: " in said:
                note = "before this test cell the grader restored " + said.split("restored: ", 1)[1].strip()
            elif f"GRADER-GUARD {self._token} ok" not in said:
                note = "the grader could not check the interpreter state before this test cell"
        cell, resources = super().preprocess_cell(cell, resources, index)
        if is_test:
            if any(o.output_type == "stream" and o.name == "stderr" for o in cell.outputs) and \
                    not any(o.output_type == "error" for o in cell.outputs):
                for out in cell.outputs:
                    if out.output_type == "stream" and out.name == "stderr":
                        out.name, out.text = "stdout", STDERR_PREFIX + out.text
            if note:
                cell.outputs.insert(0, new_output("stream", name="stdout", text=NOTE_PREFIX + note + "\n"))
        return cell, resources
