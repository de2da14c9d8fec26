"""Helpers the notebooks share: the speed mode, reporting results, progress bars, a training
loop with a per-epoch table, and checks that explain what is wrong.

The speed mode comes from the environment variable COURSE_MODE: 'full' (the default, what
learners get) or 'fast' (a data subset and few epochs, so CI runs the course in minutes).
"""
import dis
import os
import sys
import time

import numpy as np

from .datasets import iterate_minibatches


def mode():
    """'fast' or 'full', from COURSE_MODE (default 'full')."""
    value = os.environ.get("COURSE_MODE", "full").strip().lower()
    if value not in ("fast", "full"):
        raise ValueError(f"COURSE_MODE must be 'fast' or 'full', not {value!r}")
    return value


def fast_mode():
    return mode() == "fast"


def pick(fast, full):
    """``fast`` in fast mode, else ``full`` (e.g. ``epochs = pick(fast=1, full=20)``)."""
    return fast if fast_mode() else full


RESULT_MIMETYPE = "application/vnd.minitheano.result+json"


def report(name, value, text=None):
    """Show a figure the notebook reached as a sentence, and record it for ``make run``.

    The learner sees ``text`` (default: the name in words and the value). The runner reads
    ``{name: value}`` from the output's RESULT_MIMETYPE data, which JupyterLab does not show.
    """
    value = float(value)
    if text is None:
        words = name.replace("_", " ")
        text = f"{words}: {value:.2%}" if "accuracy" in name else f"{words}: {value:.4g}"
    shell = _shell()
    if shell is None:
        print(text)
    else:
        from IPython.display import display

        display({"text/plain": text, RESULT_MIMETYPE: {"name": name, "value": value}}, raw=True)


def _shell():
    """The running IPython shell, or None in plain Python."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


class Progress:
    """A progress bar: a widget while it runs in a notebook, then one line of text in its place.

    Replacing the widget when done means a saved notebook reopens showing how the run ended,
    not "model not found". Outside a kernel only the final line is printed, on stdout.
    """

    def __init__(self, total=None, desc=None):
        self.total, self.desc, self.n = total, desc or "progress", 0
        self.start = self._drawn = time.perf_counter()
        self.widget = self.handle = None
        shell = _shell()
        if shell is not None and getattr(shell, "kernel", None) is not None:
            try:
                import ipywidgets
                from IPython.display import display
            except ImportError:
                return
            self._label = ipywidgets.Label(self.desc)
            self._bar = ipywidgets.IntProgress(value=0, min=0, max=max(total or 1, 1))
            self._count = ipywidgets.Label(self._counts())
            self.widget = ipywidgets.HBox([self._label, self._bar, self._count])
            self.handle = display(self.widget, display_id=True)

    def _counts(self):
        seconds = time.perf_counter() - self.start
        return f"{self.n}/{self.total} ({seconds:.1f} s)" if self.total else f"{self.n} ({seconds:.1f} s)"

    def update(self, n=1, desc=None):
        """Count ``n`` more steps (and change the description); redraws at most 10 times a second."""
        self.n += n
        if desc is not None:
            self.desc = desc
        now = time.perf_counter()
        if self.widget is not None and (now - self._drawn > 0.1 or self.n == self.total):
            self._drawn = now
            self._label.value, self._bar.value, self._count.value = self.desc, self.n, self._counts()

    def close(self, text=None):
        """Replace the bar by ``text`` (default: how far it got and how long it took)."""
        seconds = time.perf_counter() - self.start
        if text is None:
            done = f"{self.n}/{self.total}" if self.total else f"{self.n}"
            stopped = "" if self.total is None or self.n >= self.total else " (stopped early)"
            text = f"{self.desc}: {done} in {seconds:.1f} s{stopped}"
        if self.handle is None:
            print(text)
            return
        self.widget.close()
        self.handle.update({"text/plain": text}, raw=True)
        self.widget = self.handle = None


def progress(iterable, total=None, desc=None):
    """Iterate over ``iterable`` behind a Progress bar, which ends as one line of text."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    bar = Progress(total, desc)
    try:
        for item in iterable:
            yield item
            bar.update()
    finally:
        bar.close()


# Training ---------------------------------------------------------------------------------

def evaluate(fn, X, y, batchsize=500):
    """Mean of each output of ``fn(X_batch, y_batch)`` over ``X`` in batches, weighted by batch size."""
    totals, count = None, 0
    for Xb, yb in iterate_minibatches(X, y, batchsize, shuffle=False, drop_last=False):
        out = fn(Xb, yb)
        out = [float(o) for o in (out if isinstance(out, (list, tuple)) else [out])]
        totals = [t + o * len(Xb) for t, o in zip(totals, out)] if totals else [o * len(Xb) for o in out]
        count += len(Xb)
    return [t / count for t in totals] if len(totals) > 1 else totals[0] / count


class History(list):
    """One dict per epoch (epoch, train_loss, val_loss, val_acc, seconds); ``h['val_acc']`` is a column."""

    def __getitem__(self, key):
        if isinstance(key, str):
            return [row[key] for row in self]
        return super().__getitem__(key)

    def best(self, key="val_acc"):
        return max(self, key=lambda row: row[key])


def train(train_fn, val_fn, X_train, y_train, X_val, y_val, epochs, batchsize=500, seed=0, verbose=True):
    """Train for ``epochs`` epochs and return a History.

    ``train_fn(X, y)`` returns the batch loss (and applies the updates); ``val_fn(X, y)`` returns
    (loss, accuracy). Batches are shuffled with a generator seeded by ``seed``.
    """
    rng = np.random.default_rng(seed)
    history = History()
    n_batches = len(X_train) // batchsize
    bar = Progress(epochs * n_batches, desc=f"epoch 1/{epochs}")
    if verbose:
        print(f"{'epoch':>5} {'train loss':>11} {'val loss':>9} {'val acc':>8} {'time':>6}")
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            losses = []
            for Xb, yb in iterate_minibatches(X_train, y_train, batchsize, shuffle=True, rng=rng):
                losses.append(float(train_fn(Xb, yb)))
                bar.update(desc=f"epoch {epoch}/{epochs}")
            val_loss, val_acc = evaluate(val_fn, X_val, y_val, batchsize)
            row = dict(epoch=epoch, train_loss=float(np.mean(losses)), val_loss=val_loss, val_acc=val_acc,
                       seconds=time.perf_counter() - start)
            history.append(row)
            if verbose:
                print(f"{epoch:5d} {row['train_loss']:11.4f} {val_loss:9.4f} {100 * val_acc:7.2f}% "
                      f"{row['seconds']:5.1f}s")
    finally:
        seconds = time.perf_counter() - bar.start
        done = f"{len(history)} of {epochs}" if len(history) < epochs else f"{epochs}"
        done += " epoch" + "s" * (epochs != 1)
        bar.close(f"Trained {done} ({bar.n} batches) in {seconds:.1f} s.")
    return history


# Checks -----------------------------------------------------------------------------------

class CheckFailed(AssertionError):
    """A visible check in a notebook failed; the message says what is wrong and how to look."""

    def _render_traceback_(self):
        """IPython shows a failed check as its one-line message: the check's own code is no help
        to the learner. The error is still the cell's output, so nbgrader grades it the same."""
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


class NotFilledIn(CheckFailed):
    """A check ran before the exercise above it was filled in."""


def require(*names):
    """Fail with one line, naming what is missing, when the exercise above has not defined ``names``.

    Called first in every check, so an empty blank reads "not filled in yet", not a NameError.
    """
    namespace = sys._getframe(1).f_globals
    missing = [name for name in names if name not in namespace]
    empty = [name for name in names if name in namespace and _only_raises(namespace[name])]
    if missing or empty:
        said = [f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not defined"] if missing else []
        said += [f"{', '.join(empty)} still raise{'s' if len(empty) == 1 else ''} NotImplementedError"] if empty else []
        raise NotFilledIn(f"The exercise above is not filled in yet: {'; '.join(said)}. Write your answer in "
                          "place of `raise NotImplementedError()` and run that cell first.") from None


_BLANK_BODY = {"RESUME", "NOP", "CACHE", "PUSH_NULL", "LOAD_GLOBAL", "PRECALL", "CALL", "CALL_FUNCTION",
               "RAISE_VARARGS"}


def _only_raises(value):
    """True for a function whose whole body is ``raise NotImplementedError()`` (a released blank)."""
    code = getattr(value, "__code__", None)
    return (code is not None and code.co_names == ("NotImplementedError",)
            and all(ins.opname in _BLANK_BODY for ins in dis.get_instructions(code)))


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def check_close(actual, expected, what, rtol=1e-4, atol=1e-5):
    """``actual`` equals ``expected`` up to tolerance; otherwise say where and by how much."""
    actual, expected = np.asarray(actual, dtype="float64"), np.asarray(expected, dtype="float64")
    check_shape(actual, expected.shape, what)
    if not np.allclose(actual, expected, rtol=rtol, atol=atol):
        diff = np.abs(actual - expected)
        i = np.unravel_index(np.argmax(diff), diff.shape) if diff.ndim else ()
        where = f" at index {tuple(int(k) for k in i)}" if diff.ndim else ""
        raise CheckFailed(f"{what}: expected {expected[i]:.6g}{where}, got {actual[i]:.6g} "
                          f"(largest difference {diff[i]:.3g}).")


def check_shape(actual, expected_shape, what):
    shape = tuple(np.shape(actual))
    if shape != tuple(expected_shape):
        raise CheckFailed(f"{what}: expected shape {tuple(expected_shape)}, got {shape}.")


def check_symbolic(value, what):
    """``value`` must be a symbolic variable (not a number or a numpy array)."""
    from .graph import Variable

    if not isinstance(value, Variable):
        raise CheckFailed(f"{what} must be a symbolic expression built from T.* variables, got "
                          f"{type(value).__name__}. Did you compute it with numpy instead of minitheano.tensor?")
