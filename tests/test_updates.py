"""Update rules: two steps on a small quadratic against the formulas computed here in numpy."""
from collections import OrderedDict

import numpy as np
import pytest

import minitheano as th
import minitheano.tensor as T
from minitheano import updates

A = np.array([1.0, 3.0, 0.5], np.float64)     # curvature per coordinate
C = np.array([2.0, -1.0, 0.5], np.float64)     # the minimum
W0 = np.array([0.5, 0.2, -1.5], np.float64)


def grad_np(w):
    return A * (w - C)


def make_problem():
    w = th.shared(W0.astype(np.float32), name="w")
    loss = 0.5 * T.sum(T.constant(A.astype(np.float32)) * (w - T.constant(C.astype(np.float32))) ** 2)
    return w, loss


def run(rule, steps=2, **kwargs):
    w, loss = make_problem()
    ups = rule(loss, [w], **kwargs)
    assert isinstance(ups, OrderedDict)
    step = th.function([], loss, updates=ups)
    values = []
    for _ in range(steps):
        step()
        values.append(w.get_value())
        assert values[-1].dtype == np.float32
    return values


def check(got, expected, atol=1e-6):
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=atol)


def test_sgd():
    w, out = W0.copy(), []
    for _ in range(2):
        w = w - 0.1 * grad_np(w)
        out.append(w)
    check(run(updates.sgd, learning_rate=0.1), out)


def test_momentum():
    w, v, out = W0.copy(), np.zeros(3), []
    for _ in range(2):
        v = 0.9 * v - 0.1 * grad_np(w)
        w = w + v
        out.append(w)
    check(run(updates.momentum, learning_rate=0.1, momentum=0.9), out)


def test_nesterov_momentum():
    w, v, out = W0.copy(), np.zeros(3), []
    for _ in range(2):
        g = grad_np(w)
        v = 0.8 * v - 0.1 * g
        w = w + 0.8 * v - 0.1 * g
        out.append(w)
    check(run(updates.nesterov_momentum, learning_rate=0.1, momentum=0.8), out)


def test_adagrad_defaults():
    w, acc, out = W0.copy(), np.zeros(3), []
    for _ in range(2):
        g = grad_np(w)
        acc = acc + g ** 2
        w = w - 1.0 * g / np.sqrt(acc + 1e-6)
        out.append(w)
    check(run(updates.adagrad), out)


def test_rmsprop_defaults():
    w, acc, out = W0.copy(), np.zeros(3), []
    for _ in range(2):
        g = grad_np(w)
        acc = 0.9 * acc + 0.1 * g ** 2
        w = w - 1.0 * g / np.sqrt(acc + 1e-6)
        out.append(w)
    check(run(updates.rmsprop), out)


def test_rmsprop_custom():
    w, acc, out = W0.copy(), np.zeros(3), []
    for _ in range(2):
        g = grad_np(w)
        acc = 0.5 * acc + 0.5 * g ** 2
        w = w - 0.01 * g / np.sqrt(acc + 1e-4)
        out.append(w)
    check(run(updates.rmsprop, learning_rate=0.01, rho=0.5, epsilon=1e-4), out)


def test_adadelta_defaults():
    w, acc, dacc, out = W0.copy(), np.zeros(3), np.zeros(3), []
    for _ in range(2):
        g = grad_np(w)
        acc = 0.95 * acc + 0.05 * g ** 2
        step = g * np.sqrt(dacc + 1e-6) / np.sqrt(acc + 1e-6)
        w = w - 1.0 * step
        dacc = 0.95 * dacc + 0.05 * step ** 2
        out.append(w)
    check(run(updates.adadelta), out)


@pytest.mark.parametrize("lr", [0.001, 0.1])
def test_adam(lr):
    w, m, v, out = W0.copy(), np.zeros(3), np.zeros(3), []
    for t in (1, 2):
        g = grad_np(w)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g ** 2
        a = lr * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        w = w - a * m / (np.sqrt(v) + 1e-8)
        out.append(w)
    # 1 - 0.999**t loses digits in float32: allow a few float32 steps of slack.
    check(run(updates.adam, learning_rate=lr), out, atol=3e-5 * lr / 0.1)


def test_gradients_may_be_given_instead_of_a_loss():
    w, loss = make_problem()
    g = th.grad(loss, w)
    step = th.function([], [], updates=updates.sgd([g * 2], [w], 0.05))
    step()
    np.testing.assert_allclose(w.get_value(), W0 - 0.1 * grad_np(W0), rtol=1e-6)
    with pytest.raises(ValueError, match="1 gradient expressions for 2 parameters"):
        updates.sgd([g], [w, th.shared(np.zeros(2, np.float32))], 0.1)
    with pytest.raises(ValueError, match="shared variables"):
        updates.sgd(loss, [T.vector("v")], 0.1)


def test_shared_learning_rate_can_change_and_keeps_float32():
    w, loss = make_problem()
    lr = th.shared(np.float64(0.1), name="lr")        # a float64 rate must not make w float64
    step = th.function([], loss, updates=updates.momentum(loss, [w], lr, momentum=0.5))
    step()
    first = W0 - 0.1 * grad_np(W0)
    np.testing.assert_allclose(w.get_value(), first, rtol=1e-6)
    lr.set_value(0.0)
    step()  # only the velocity moves w now
    np.testing.assert_allclose(w.get_value(), first + 0.5 * (first - W0), rtol=1e-6)
    assert w.get_value().dtype == np.float32


def test_apply_momentum_and_nesterov_to_other_updates():
    w, loss = make_problem()
    ups = updates.apply_nesterov_momentum(updates.sgd(loss, [w], 0.1), momentum=0.5)
    assert len(ups) == 2
    ups = updates.apply_momentum(updates.sgd(loss, [w], 0.1), [w], momentum=0.5)
    step = th.function([], [], updates=ups)
    step()
    step()
    w1 = W0 - 0.1 * grad_np(W0)
    w2 = w1 + 0.5 * (w1 - W0) - 0.1 * grad_np(w1)
    np.testing.assert_allclose(w.get_value(), w2, rtol=1e-6)


def test_state_variables_are_float32_shared():
    w, loss = make_problem()
    for rule in (updates.momentum, updates.nesterov_momentum):
        for var in rule(loss, [w], 0.1):
            assert var.dtype == "float32"
    for rule in (updates.rmsprop, updates.adagrad, updates.adadelta, updates.adam):
        for var in rule(loss, [w]):
            assert var.dtype == "float32"


def test_total_norm_constraint():
    a, b = T.vector("a"), T.matrix("b")
    av = np.array([3.0, 0.0], np.float32)
    bv = np.array([[4.0]], np.float32)            # joint norm 5
    scaled, norm = updates.total_norm_constraint([a, b], max_norm=2.5, return_norm=True)
    sa, sb, n = th.function([a, b], scaled + [norm])(av, bv)
    np.testing.assert_allclose(n, 5.0)
    np.testing.assert_allclose(sa, av * 2.5 / (5 + 1e-7), rtol=1e-6)
    np.testing.assert_allclose(sb, bv * 2.5 / (5 + 1e-7), rtol=1e-6)
    small = th.function([a, b], updates.total_norm_constraint([a, b], max_norm=10))(av, bv)
    np.testing.assert_allclose(small[0], av, rtol=1e-6)


def test_norm_constraint_per_unit():
    w = T.matrix("w")
    wv = np.array([[3.0, 0.1], [4.0, 0.1]], np.float32)   # column norms 5 and ~0.14
    got = th.function([w], updates.norm_constraint(w, 1.0))(wv)
    np.testing.assert_allclose(np.sqrt((got ** 2).sum(0)), [1.0, np.sqrt(0.02)], rtol=1e-5)
