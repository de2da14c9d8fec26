"""Pictures the notebooks show: digits, learning curves, a confusion matrix, filters and feature maps (matplotlib)."""
import numpy as np


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _ticker():
    import matplotlib.ticker as ticker

    return ticker


def _grid(n, cols):
    cols = min(cols, n)
    return (n + cols - 1) // cols, cols


# JupyterLab shows a figure at 100 dpi, scaled down to fit the notebook when wider than about 10 inches:
# pictures are drawn at most this wide, with text of at least LABEL_SIZE points (11 px and more on screen).
MAX_WIDTH = 9.5
LABEL_SIZE = 11
WORDS = {"train_loss": "training loss", "val_loss": "validation loss", "test_loss": "test loss",
         "train_acc": "training accuracy", "val_acc": "validation accuracy", "test_acc": "test accuracy"}


def plot_digits(images, labels=None, predictions=None, cols=10, size=1.1, title=None):
    """A grid of 28x28 images; titles show labels, and predictions in red where they differ."""
    plt = _plt()
    images = np.asarray(images).reshape(len(images), 28, 28)
    rows, cols = _grid(len(images), cols)
    size = min(size, MAX_WIDTH / cols)
    titled = labels is not None or predictions is not None
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * (size + 0.3 * titled)), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= len(images):
            continue
        ax.imshow(images[k], cmap="gray_r", vmin=0, vmax=1)
        if predictions is not None:
            wrong = labels is not None and predictions[k] != labels[k]
            text = f"{predictions[k]}" + (f" (is {labels[k]})" if wrong else "")
            ax.set_title(text, fontsize=LABEL_SIZE, color="#c62828" if wrong else "black")
        elif labels is not None:
            ax.set_title(str(labels[k]), fontsize=LABEL_SIZE)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _words(key):
    return WORDS.get(key, key.replace("_", " "))


def plot_curves(*histories, keys=("train_loss", "val_loss"), labels=None, title=None, ylabel=None):
    """Learning curves: one line per (history, key); histories are lists of per-epoch dicts.

    Lines and axes are labelled in words ("validation loss"), and a run of one epoch shows as a dot.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for i, history in enumerate(histories):
        epochs = [row["epoch"] for row in history]
        for key in keys:
            name = _words(key) if labels is None else f"{labels[i]}: {_words(key)}"
            ax.plot(epochs, [row[key] for row in history], marker="o", markersize=3, label=name)
    if ylabel is None:
        kinds = {"loss" if key.endswith("loss") else "accuracy" if key.endswith("acc") else _words(key)
                 for key in keys}
        ylabel = kinds.pop() if len(kinds) == 1 else ", ".join(_words(key) for key in keys)
    ax.set_xlabel("epoch")
    epochs = sorted({row["epoch"] for history in histories for row in history})
    if len(epochs) <= 12:
        ax.set_xticks(epochs)
    else:
        ax.xaxis.set_major_locator(_ticker().MaxNLocator(integer=True))
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_confusion(y_true, y_pred, classes=10, mistakes_only=True, title=None):
    """How often each true class (row) was predicted as each class (column), the count in every cell.

    With ``mistakes_only`` the diagonal (right answers) is left out, so the colours show the mistakes.
    Counts are black on light cells and white on dark ones.
    """
    plt = _plt()
    counts = np.zeros((classes, classes), dtype=int)
    np.add.at(counts, (np.asarray(y_true), np.asarray(y_pred)), 1)
    if mistakes_only:
        counts -= np.diag(np.diag(counts))
    fig, ax = plt.subplots(figsize=(6, 5))
    image = ax.imshow(counts, cmap="Reds", vmin=0, vmax=max(counts.max(), 1))
    for i, j in zip(*np.nonzero(counts)):
        dark = counts[i, j] > 0.55 * counts.max()
        ax.text(j, i, counts[i, j], ha="center", va="center", fontsize=LABEL_SIZE - 1,
                color="white" if dark else "black")
    ax.set_xticks(range(classes))
    ax.set_yticks(range(classes))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true label")
    fig.colorbar(image, ax=ax, label="mistakes" if mistakes_only else "test images")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_filters(W, cols=8, size=1.0, title=None):
    """First-layer filters (out, in, h, w) as small images (the first input channel)."""
    plt = _plt()
    W = np.asarray(W)
    W = W[:, 0] if W.ndim == 4 else W
    rows, cols = _grid(len(W), cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(W):
            limit = np.abs(W[k]).max() or 1
            ax.imshow(W[k], cmap="RdBu_r", vmin=-limit, vmax=limit)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_feature_maps(maps, cols=8, size=1.2, title=None):
    """The channels of one example's feature maps (channels, h, w), each as an image."""
    plt = _plt()
    maps = np.asarray(maps)
    rows, cols = _grid(len(maps), cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(maps):
            ax.imshow(maps[k], cmap="viridis")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
