"""Objectives against numpy references, and the stability of crossentropy after compiling."""
import numpy as np
import pytest

import minitheano as th
import minitheano.tensor as T
from minitheano import objectives


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _log_softmax(z):
    s = z - z.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


RNG = np.random.default_rng(0)
P = _softmax(RNG.normal(size=(6, 4))).astype(np.float32)
LABELS = np.array([0, 3, 1, 1, 2, 3], np.int32)


def test_categorical_crossentropy_integer_targets():
    p, y = T.matrix("p"), T.ivector("y")
    f = th.function([p, y], objectives.categorical_crossentropy(p, y))
    np.testing.assert_allclose(f(P, LABELS), -np.log(P[np.arange(6), LABELS]), rtol=1e-5)


def test_categorical_crossentropy_one_hot_targets():
    p, t = T.matrix("p"), T.matrix("t")
    onehot = np.eye(4, dtype=np.float32)[LABELS]
    f = th.function([p, t], objectives.categorical_crossentropy(p, t))
    np.testing.assert_allclose(f(P, onehot), -np.log(P[np.arange(6), LABELS]), rtol=1e-5)


def test_crossentropy_of_softmax_is_stable_after_compiling():
    z, y = T.matrix("z"), T.ivector("y")
    loss = objectives.categorical_crossentropy(T.nnet.softmax(z), y).mean()
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 500.0, 0.0]], np.float32)
    labels = np.array([2, 0], np.int32)
    value, g = th.function([z, y], [loss, th.grad(loss, z)])(logits, labels)
    expected = -_log_softmax(logits.astype(np.float64))[np.arange(2), labels].mean()
    assert np.isfinite(value) and np.all(np.isfinite(g))
    np.testing.assert_allclose(value, expected, rtol=1e-5)
    expected_grad = (_softmax(logits.astype(np.float64)) - np.eye(3)[labels]) / 2
    np.testing.assert_allclose(g, expected_grad, atol=1e-6)


def test_binary_crossentropy():
    p, t = T.vector("p"), T.vector("t")
    pv = np.array([0.1, 0.5, 0.9, 0.99], np.float32)
    tv = np.array([0, 1, 1, 0], np.float32)
    f = th.function([p, t], objectives.binary_crossentropy(p, t))
    np.testing.assert_allclose(f(pv, tv), -(tv * np.log(pv) + (1 - tv) * np.log(1 - pv)), rtol=1e-5)


def test_binary_crossentropy_aligns_a_vector_with_a_column():
    p = T.tensor(ndim=2, name="p", shape=(None, 1))
    t = T.vector("t")
    out = objectives.binary_crossentropy(p, t)
    assert out.ndim == 2
    pv = np.array([[0.2], [0.7]], np.float32)
    tv = np.array([1, 0], np.float32)
    np.testing.assert_allclose(th.function([p, t], out)(pv, tv)[:, 0], -np.log([0.2, 0.3]), rtol=1e-5)


def test_squared_error():
    a, b = T.matrix("a"), T.matrix("b")
    av, bv = RNG.normal(size=(3, 2)).astype(np.float32), RNG.normal(size=(3, 2)).astype(np.float32)
    np.testing.assert_allclose(th.function([a, b], objectives.squared_error(a, b))(av, bv), (av - bv) ** 2, rtol=1e-6)


def test_aggregate_modes():
    x, w = T.vector("x"), T.vector("w")
    xv = np.array([1.0, 2.0, 4.0], np.float32)
    wv = np.array([0.0, 1.0, 3.0], np.float32)
    f = th.function([x, w], [objectives.aggregate(x), objectives.aggregate(x, mode="sum"),
                             objectives.aggregate(x, w), objectives.aggregate(x, w, mode="sum"),
                             objectives.aggregate(x, w, mode="normalized_sum")])
    np.testing.assert_allclose(f(xv, wv), [7 / 3, 7.0, 14 / 3, 14.0, 14 / 4], rtol=1e-6)
    with pytest.raises(ValueError, match="needs weights"):
        objectives.aggregate(x, mode="normalized_sum")
    with pytest.raises(ValueError, match="mode must be"):
        objectives.aggregate(x, mode="median")


def test_categorical_accuracy_top1_with_labels_and_one_hot():
    p, y, t = T.matrix("p"), T.ivector("y"), T.matrix("t")
    expected = (P.argmax(1) == LABELS).astype(np.float32)
    f = th.function([p, y], objectives.categorical_accuracy(p, y))
    np.testing.assert_array_equal(f(P, LABELS), expected)
    g = th.function([p, t], objectives.categorical_accuracy(p, t).mean())
    np.testing.assert_allclose(g(P, np.eye(4, dtype=np.float32)[LABELS]), expected.mean())


@pytest.mark.parametrize("k", [2, 3])
def test_categorical_accuracy_top_k(k):
    p, y = T.matrix("p"), T.ivector("y")
    top = np.argsort(-P, axis=1)[:, :k]
    expected = np.array([LABELS[i] in top[i] for i in range(6)])
    got = th.function([p, y], objectives.categorical_accuracy(p, y, top_k=k))(P, LABELS)
    np.testing.assert_array_equal(got.astype(bool), expected)


def test_binary_accuracy():
    p, t = T.vector("p"), T.vector("t")
    pv = np.array([0.2, 0.5, 0.8, 0.4], np.float32)
    tv = np.array([0, 1, 0, 1], np.float32)
    got = th.function([p, t], objectives.binary_accuracy(p, t))(pv, tv)
    np.testing.assert_array_equal(got, [1, 1, 0, 0])
    got = th.function([p, t], objectives.binary_accuracy(p, t, threshold=0.3))(pv, tv)
    np.testing.assert_array_equal(got, [1, 1, 0, 1])
