"""Pictures the notebooks show: digits, learning curves, filters and feature maps (matplotlib)."""
import numpy as np


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _grid(n, cols):
    cols = min(cols, n)
    return (n + cols - 1) // cols, cols


def plot_digits(images, labels=None, predictions=None, cols=10, size=1.1, title=None):
    """A grid of 28x28 images; titles show labels, and predictions in red where they differ."""
    plt = _plt()
    images = np.asarray(images).reshape(len(images), 28, 28)
    rows, cols = _grid(len(images), cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size * 1.15), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= len(images):
            continue
        ax.imshow(images[k], cmap="gray_r", vmin=0, vmax=1)
        if predictions is not None:
            wrong = labels is not None and predictions[k] != labels[k]
            text = f"{predictions[k]}" + (f" (is {labels[k]})" if wrong else "")
            ax.set_title(text, fontsize=8, color="red" if wrong else "black")
        elif labels is not None:
            ax.set_title(str(labels[k]), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_curves(*histories, keys=("train_loss", "val_loss"), labels=None, title=None, ylabel=None):
    """Learning curves: one line per (history, key); histories are lists of per-epoch dicts."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for i, history in enumerate(histories):
        epochs = [row["epoch"] for row in history]
        for key in keys:
            name = key if labels is None else f"{labels[i]}: {key}"
            ax.plot(epochs, [row[key] for row in history], marker="o", markersize=3, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel or ", ".join(keys))
    ax.grid(alpha=0.3)
    ax.legend()
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
