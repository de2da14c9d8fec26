"""Losses and accuracies (Lasagne's ``objectives``): elementwise or per-example expressions,
reduced to a scalar with ``aggregate`` (or ``.mean()``).

Crossentropy is built from ``T.nnet.categorical_crossentropy``, so compiling
``categorical_crossentropy(softmax(z), y)`` rewrites log(softmax) into log_softmax: the loss
stays finite even for huge logits.
"""
import numpy as np

from . import tensor as T
from .graph import as_variable


def _align_targets(predictions, targets):
    """A vector of targets against a one-column matrix of predictions becomes a column too."""
    predictions, targets = as_variable(predictions), as_variable(targets)
    if predictions.ndim == 2 and predictions.type.shape[1] == 1 and targets.ndim == 1:
        targets = targets.dimshuffle(0, "x")
    return predictions, targets


def categorical_crossentropy(predictions, targets):
    """-log(predicted probability of the target class), one value per example. ``targets``:
    integer class labels (one dim fewer than ``predictions``) or one-hot/probability rows."""
    return T.nnet.categorical_crossentropy(predictions, targets)


def binary_crossentropy(predictions, targets):
    """-(t log p + (1 - t) log(1 - p)), elementwise, for probabilities ``predictions``."""
    predictions, targets = _align_targets(predictions, targets)
    return T.nnet.binary_crossentropy(predictions, targets)


def squared_error(a, b):
    """(a - b)**2, elementwise."""
    a, b = _align_targets(a, b)
    return T.square(a - b)


def aggregate(loss, weights=None, mode="mean"):
    """A scalar from an elementwise loss: 'mean', 'sum', or 'normalized_sum' (sum(w*loss) /
    sum(w)); ``weights`` multiply the loss first."""
    loss = as_variable(loss)
    if weights is not None:
        loss = loss * weights
    if mode == "mean":
        return loss.mean()
    if mode == "sum":
        return loss.sum()
    if mode == "normalized_sum":
        if weights is None:
            raise ValueError("aggregate: mode='normalized_sum' needs weights")
        return loss.sum() / as_variable(weights).sum()
    raise ValueError(f"aggregate: mode must be 'mean', 'sum' or 'normalized_sum', not {mode!r}")


def binary_accuracy(predictions, targets, threshold=0.5):
    """1 where (prediction >= threshold) equals the 0/1 target, else 0 (elementwise)."""
    predictions, targets = _align_targets(predictions, targets)
    return T.eq(T.ge(predictions, threshold), targets)


def categorical_accuracy(predictions, targets, top_k=1):
    """1 where the target class is among the ``top_k`` highest predictions, else 0 (one value
    per example). ``targets``: integer labels or one-hot rows."""
    predictions, targets = as_variable(predictions), as_variable(targets)
    if targets.ndim == predictions.ndim:
        targets = T.argmax(targets, axis=-1)
    elif targets.ndim != predictions.ndim - 1:
        raise TypeError(f"categorical_accuracy: targets {targets!r} ({targets.ndim}-d) must have the dims of "
                        f"predictions {predictions!r} ({predictions.ndim}-d) or one fewer")
    if np.dtype(targets.dtype).kind not in "iu":
        raise TypeError(f"categorical_accuracy: integer labels needed, got {targets!r} of dtype {targets.dtype}")
    if top_k == 1:
        return T.eq(T.argmax(predictions, axis=-1), targets)
    if predictions.ndim != 2:
        raise NotImplementedError("categorical_accuracy with top_k > 1 needs a matrix of predictions")
    # The target is in the top k when fewer than k classes score strictly higher.
    target_score = predictions[T.arange(predictions.shape[0]), targets]
    higher = T.sum(T.gt(predictions, target_score.dimshuffle(0, "x")), axis=-1)
    return T.lt(higher, top_k)


__all__ = ["categorical_crossentropy", "binary_crossentropy", "squared_error", "aggregate",
           "binary_accuracy", "categorical_accuracy"]
