"""The course's pictures: readable text, words on the axes, counts that contrast with their cells."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402

from minitheano import plotting  # noqa: E402


def test_digit_labels_stay_readable_in_a_wide_grid():
    images = np.random.default_rng(0).random((30, 784))
    fig = plotting.plot_digits(images, labels=np.arange(30) % 10, cols=15)
    assert fig.get_figwidth() <= plotting.MAX_WIDTH + 1e-9  # not scaled down by JupyterLab
    sizes = [ax.title.get_fontsize() for ax in fig.axes if ax.get_title()]
    assert len(sizes) == 30 and min(sizes) >= 10


def test_learning_curves_are_labelled_in_words():
    history = [dict(epoch=e, train_loss=1 / e, val_loss=1.1 / e, val_acc=0.5 + e / 10) for e in (1, 2, 3)]
    ax = plotting.plot_curves(history).axes[0]
    assert ax.get_ylabel() == "loss"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training loss", "validation loss"]
    ax = plotting.plot_curves(history, history, keys=("val_acc",), labels=("a", "b")).axes[0]
    assert ax.get_ylabel() == "accuracy"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a: validation accuracy", "b: validation accuracy"]


def test_confusion_counts_mistakes_and_contrast_with_their_cells():
    y_true = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 1, 0, 2, 2, 0])
    ax = plotting.plot_confusion(y_true, y_pred, classes=3).axes[0]
    texts = {(round(t.get_position()[1]), round(t.get_position()[0])): t for t in ax.texts}
    assert {k: int(t.get_text()) for k, t in texts.items()} == {(0, 1): 3, (1, 0): 1, (2, 0): 1}
    image = ax.images[0]
    for (i, j), text in texts.items():
        cell = np.array(image.cmap(image.norm(image.get_array()[i, j]))[:3])
        luminance = lambda rgb: float(np.dot(rgb, [0.2126, 0.7152, 0.0722]))  # noqa: E731
        assert abs(luminance(cell) - luminance(np.array(to_rgb(text.get_color())))) > 0.4, (i, j)
