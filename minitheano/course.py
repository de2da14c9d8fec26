"""Helpers the notebooks share: the speed mode, reporting results, progress bars, a training
loop with a per-epoch table, and checks that explain what is wrong.

The speed mode comes from the environment variable COURSE_MODE: 'full' (the default, what
learners get) or 'fast' (a data subset and few epochs, so CI runs the course in minutes).
"""
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


def report(name, value):
    """Print a figure the notebook reached, as a line ``make run`` collects: RESULT name: value."""
    print(f"RESULT {name}: {float(value):.4f}")


def progress(iterable, total=None, desc=None, leave=False):
    """A progress bar (a widget in JupyterLab, text elsewhere; never on stderr)."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=desc, leave=leave, file=sys.stdout, mininterval=0.5)


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
    if verbose:
        print(f"{'epoch':>5} {'train loss':>11} {'val loss':>9} {'val acc':>8} {'time':>6}")
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        losses = []
        n_batches = len(X_train) // batchsize
        batches = iterate_minibatches(X_train, y_train, batchsize, shuffle=True, rng=rng)
        for Xb, yb in progress(batches, total=n_batches, desc=f"epoch {epoch}"):
            losses.append(float(train_fn(Xb, yb)))
        val_loss, val_acc = evaluate(val_fn, X_val, y_val, batchsize)
        row = dict(epoch=epoch, train_loss=float(np.mean(losses)), val_loss=val_loss, val_acc=val_acc,
                   seconds=time.perf_counter() - start)
        history.append(row)
        if verbose:
            print(f"{epoch:5d} {row['train_loss']:11.4f} {val_loss:9.4f} {100 * val_acc:7.2f}% {row['seconds']:5.1f}s")
    return history


# Checks -----------------------------------------------------------------------------------

class CheckFailed(AssertionError):
    """A visible check in a notebook failed; the message says what is wrong and how to look."""


class NotFilledIn(CheckFailed):
    """A check ran before the exercise above it was filled in."""


def require(*names):
    """Fail with one line, naming what is missing, when the exercise above has not defined ``names``.

    Called first in every check, so an empty blank reads "not filled in yet", not a NameError.
    """
    namespace = sys._getframe(1).f_globals
    missing = [name for name in names if name not in namespace]
    if missing:
        listed = ", ".join(missing)
        raise NotFilledIn(f"The exercise above is not filled in yet: {listed} "
                          f"{'is' if len(missing) == 1 else 'are'} not defined. Write your answer in "
                          "place of `raise NotImplementedError()` and run that cell first.") from None


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
