"""``grad`` semantics (higher derivatives, errors, consider_constant, known_grads, shared
variables) and ``verify_grad`` itself."""
import warnings

import numpy as np
import pytest

import minitheano as th
import minitheano.tensor as T
from minitheano import DisconnectedInputError, GradientError, grad, verify_grad


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def run(inputs, outputs, *values):
    return th.function(inputs, outputs)(*values)


# Values --------------------------------------------------------------------------------

def test_grad_is_symbolic_and_matches_calculus():
    x = T.scalar("x")
    g = grad(5 * x ** 2, x)
    assert isinstance(g, th.Variable) and g.ndim == 0 and g.dtype == "float32"
    assert float(run([x], g, 3.0)) == pytest.approx(30.0)


def test_second_derivative():
    x = T.scalar("x")
    g2 = grad(grad(5 * x ** 2, x), x)
    for value in (-2.0, 0.0, 3.0):
        assert float(run([x], g2, value)) == pytest.approx(10.0)


def test_third_derivative_of_sin():
    x = T.scalar("x")
    g = T.sin(x)
    for _ in range(3):
        g = grad(g, x)
    assert float(run([x], g, 0.7)) == pytest.approx(-np.cos(0.7), rel=1e-5)


def test_variable_used_twice_accumulates():
    x = T.vector("x")
    v = np.array([1.0, -2.0, 3.0], "float32")
    g = run([x], grad((x * x + 3 * x + T.exp(x) * x).sum(), x), v)
    np.testing.assert_allclose(g, 2 * v + 3 + np.exp(v) * (1 + v), rtol=1e-5)


def test_grad_of_cost_with_respect_to_itself():
    x = T.scalar("x")
    c = T.exp(x)
    assert float(grad(c, c).eval()) == 1.0


SECOND_ORDER = {
    "sigmoid": lambda a: T.sigmoid(a),
    "tanh": lambda a: T.tanh(a),
    "softplus": lambda a: T.softplus(a),
    "exp_log": lambda a: T.log(T.exp(a) + 2),
    "sqrt_div": lambda a: T.sqrt(a * a + 1) / (a * a + 2),
    "softmax": lambda a: T.softmax(a) * T.arange(4).astype("float64"),
    "log_softmax": lambda a: T.log_softmax(a) * T.arange(4).astype("float64"),
    "dot": lambda a: T.dot(T.dot(a, a.T), a),
    "indexing": lambda a: a[[0, 0, 2], 1:] ** 3,
    "reductions": lambda a: a.max(axis=1) * a.mean() + a.std(axis=0).sum(),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_gradients_of_gradients_against_finite_differences(name, rng):
    fn = SECOND_ORDER[name]
    verify_grad(lambda a: grad(fn(a).sum(), a), [rng.normal(size=(3, 4))], rel_tol=1e-3)


def test_hessian_vector_product(rng):
    w = T.vector("w")
    v = T.vector("v")
    a = rng.normal(size=(4, 4)).astype("float32")
    cost = 0.5 * T.dot(w, T.dot(a, w))
    hv = grad((grad(cost, w) * v).sum(), w)
    vw, vv = rng.normal(size=4).astype("float32"), rng.normal(size=4).astype("float32")
    np.testing.assert_allclose(run([w, v], hv, vw, vv), 0.5 * (a + a.T) @ vv, rtol=1e-5, atol=1e-6)


# wrt forms -----------------------------------------------------------------------------

def test_wrt_list_returns_list_in_order(rng):
    x, y = T.vector("x"), T.matrix("y")
    cost = (T.dot(y, x) ** 2).sum()
    grads = grad(cost, [y, x])
    assert isinstance(grads, list) and len(grads) == 2
    assert grads[0].ndim == 2 and grads[1].ndim == 1
    assert isinstance(grad(cost, (x,)), list)
    assert grad(cost, []) == []
    vx, vy = rng.normal(size=3).astype("float32"), rng.normal(size=(2, 3)).astype("float32")
    gy, gx = run([x, y], grads, vx, vy)
    r = vy @ vx
    np.testing.assert_allclose(gy, 2 * np.outer(r, vx), rtol=1e-5)
    np.testing.assert_allclose(gx, 2 * vy.T @ r, rtol=1e-5)


def test_gradient_with_respect_to_an_intermediate_variable(rng):
    z = T.matrix("z")
    p = T.softmax(z)
    # The stable rewrite log(softmax) -> log_softmax would bypass p; grad must keep it.
    g = grad(T.log(p).sum(), p)
    vz = rng.normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(run([z], g, vz), 1 / run([z], p, vz), rtol=1e-5)
    x = T.vector("x")
    h = T.log(1 + T.exp(x))
    np.testing.assert_allclose(run([x], grad((h * h).sum(), h), np.array([0.5, 2.0], "float32")),
                               2 * np.log1p(np.exp([0.5, 2.0])), rtol=1e-5)


def test_gradient_through_shared_variables(rng):
    w = th.shared(rng.normal(size=(3, 2)).astype("float32"), name="W")
    b = th.shared(np.zeros(2, "float32"), name="b")
    x = T.matrix("x")
    cost = ((T.dot(x, w) + b) ** 2).sum()
    gw, gb = grad(cost, [w, b])
    assert gw.dtype == "float32"
    vx = rng.normal(size=(5, 3)).astype("float32")
    out = vx @ w.get_value() + b.get_value()
    got_w, got_b = run([x], [gw, gb], vx)
    np.testing.assert_allclose(got_w, 2 * vx.T @ out, rtol=1e-5)
    np.testing.assert_allclose(got_b, 2 * out.sum(axis=0), rtol=1e-5)


# consider_constant and known_grads --------------------------------------------------------

def test_consider_constant_blocks_the_gradient():
    x = T.scalar("x")
    c = x ** 2
    cost = x * c
    assert float(run([x], grad(cost, x), 2.0)) == pytest.approx(12.0)
    assert float(run([x], grad(cost, x, consider_constant=[c]), 2.0)) == pytest.approx(4.0)
    with pytest.raises(DisconnectedInputError):
        grad(T.exp(c), x, consider_constant=[c])


def test_known_grads_without_cost(rng):
    x = T.vector("x")
    y = x ** 2
    gy = T.vector("gy")
    gx = grad(None, x, known_grads={y: gy})
    vx, vg = rng.normal(size=3).astype("float32"), rng.normal(size=3).astype("float32")
    np.testing.assert_allclose(run([x, gy], gx, vx, vg), 2 * vx * vg, rtol=1e-6)


def test_known_grads_add_to_the_cost_gradient(rng):
    x = T.vector("x")
    h = 3 * x
    cost = h.sum()
    gx = grad(cost, x, known_grads={h: T.ones_like(h)})
    np.testing.assert_allclose(run([x], gx, np.zeros(2, "float32")), [6.0, 6.0])


def test_grad_needs_a_cost_or_known_grads():
    with pytest.raises(ValueError, match="cost or known_grads"):
        grad(None, T.scalar("x"))


# Errors --------------------------------------------------------------------------------

def test_non_scalar_cost_error():
    x = T.matrix("x")
    with pytest.raises(TypeError) as info:
        grad(x * 2, x)
    message = str(info.value)
    assert "must be a scalar" in message and "2 dims" in message and "mean()" in message


def test_integer_cost_error():
    i = T.ivector("i")
    x = T.vector("x")
    with pytest.raises(TypeError, match="integer dtype int64; cast it"):
        grad((i * 2).sum() + T.cast(x.sum(), "int64"), x)


def test_integer_wrt_error():
    i = T.iscalar("i")
    with pytest.raises(TypeError, match="cannot differentiate with respect to i of integer dtype int32"):
        grad(T.cast(i, "float32") * 2, i)


def test_wrt_must_be_a_variable():
    with pytest.raises(TypeError, match="wrt must be symbolic"):
        grad(T.scalar("x") * 2, 3.0)


def test_disconnected_input_raise_warn_ignore():
    x, y = T.vector("x"), T.vector("y")
    cost = (x ** 2).sum()
    with pytest.raises(DisconnectedInputError) as info:
        grad(cost, [x, y])
    assert "does not depend on y" in str(info.value) and "disconnected_inputs='ignore'" in str(info.value)
    with pytest.warns(UserWarning, match="does not depend on y"):
        gx, gy = grad(cost, [x, y], disconnected_inputs="warn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gx2, gy2 = grad(cost, [x, y], disconnected_inputs="ignore")
    v = np.array([1.0, 2.0], "float32")
    for g_x, g_y in ((gx, gy), (gx2, gy2)):
        got_x, got_y = run([x, y], [g_x, g_y], v, v)
        np.testing.assert_allclose(got_x, 2 * v)
        np.testing.assert_array_equal(got_y, [0.0, 0.0])
    with pytest.raises(ValueError, match="'raise', 'warn' or 'ignore'"):
        grad(cost, x, disconnected_inputs="maybe")


def test_input_reached_only_through_integer_ops_is_disconnected():
    x = T.vector("x")
    cost = T.argmax(x).astype("float32") + T.cast(T.cast(x, "int32"), "float32").sum()
    with pytest.raises(DisconnectedInputError):
        grad(cost, x)


def test_op_without_gradient_says_so():
    class NoGrad(th.Op):
        def make_node(self, x):
            return th.Apply(self, [x], [x.type])

        def perform(self, xp, x):
            return x

    x = T.vector("x")
    with pytest.raises(NotImplementedError, match="does not define a gradient"):
        grad(NoGrad()(x).sum(), x)


# Stability: grad differentiates the stable form of the cost --------------------------------

def test_grad_of_softmax_crossentropy_is_finite_for_huge_logits():
    z = T.matrix("z")
    y = T.ivector("y")
    cost = T.categorical_crossentropy(T.softmax(z), y).mean()
    g = grad(cost, z)
    vz = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4 - 1]], "float32")
    vy = np.array([1, 2], "int32")
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        got = th.function([z, y], g, mode=mode)(vz, vy)
        assert np.isfinite(got).all()
        # d/dz mean(-log softmax(z)[y]) = (softmax(z) - onehot(y)) / n
        sm = np.exp(vz.astype("float64") - vz.max(axis=1, keepdims=True))
        sm /= sm.sum(axis=1, keepdims=True)
        want = (sm - np.eye(3)[vy]) / 2
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_grad_of_log_one_plus_exp_is_finite():
    x = T.vector("x")
    g = grad(T.log(1 + T.exp(x)).sum(), x)
    got = th.function([x], g, mode="FAST_COMPILE")(np.array([-1000.0, 0.0, 1000.0], "float32"))
    np.testing.assert_allclose(got, [0.0, 0.5, 1.0])


# verify_grad ---------------------------------------------------------------------------

class HalfWrongSquare(th.Op):
    """x ** 2 with a gradient that forgets the factor 2: what verify_grad must catch."""

    def make_node(self, x):
        return th.Apply(self, [x], [x.type])

    def perform(self, xp, x):
        return x * x

    def grad(self, node, grads):
        return [grads[0] * node.inputs[0]]


def test_verify_grad_catches_a_wrong_gradient_and_names_the_input(rng):
    with pytest.raises(GradientError) as info:
        verify_grad(lambda a, b: a * 2 + HalfWrongSquare()(b), [rng.normal(size=(2, 2)), rng.normal(size=(2, 2))])
    message = str(info.value)
    assert "input 1" in message and "shape (2, 2)" in message and "relative error" in message
    assert isinstance(info.value, AssertionError)


def test_verify_grad_passes_a_right_gradient_and_reports_the_worst(rng):
    check = verify_grad(lambda a, b: a * T.tanh(b), [rng.normal(size=3), rng.normal(size=3)])
    assert check.max_rel_error < 1e-6
    assert check.worst_input in ("input 0", "input 1")
    assert len(check.worst_index) == 1


def test_verify_grad_refuses_integer_outputs():
    with pytest.raises(TypeError, match="float tensor"):
        verify_grad(lambda a: T.argmax(a), [np.array([1.0, 2.0])])


def test_verify_grad_works_on_scalars_and_scalar_outputs(rng):
    verify_grad(lambda a, b: (a * b).sum(), [np.array(1.5), rng.normal(size=4)])


# Gradients once: grad sums broadcast gradients, casts them, and drops those of integer inputs --

class ScaleRows(th.Op):
    """x * s with s broadcast along the rows; its grad says only the mathematics ([g * s, g * x])."""

    broadcasts = True

    def make_node(self, x, s):
        return th.Apply(self, [x, s], [th.TensorType(x.dtype, x.type.shape)])

    def perform(self, xp, x, s):
        return x * s

    def grad(self, node, output_grads):
        (g,), (x, s) = output_grads, node.inputs
        return [g * s, g * x]


def test_grad_sums_a_broadcast_input_back_to_its_shape(rng):
    x, s = T.dmatrix("x"), T.dvector("s")
    gs = grad(ScaleRows()(x, s).sum(), s)
    assert gs.ndim == 1
    xv, sv = rng.normal(size=(3, 4)), rng.normal(size=4)
    np.testing.assert_allclose(th.function([x, s], gs)(xv, sv), xv.sum(axis=0))
    verify_grad(lambda a, b: ScaleRows()(a, b), [xv, sv])


def test_grad_drops_the_gradients_of_integer_inputs_and_casts_the_others():
    x, n = T.fvector("x"), T.ivector("n")
    cost = ScaleRows()(x, n).sum()
    gx = grad(cost, x)
    assert gx.dtype == "float32"
    np.testing.assert_array_equal(th.function([x, n], gx)(np.ones(3, "float32"), np.arange(3, dtype="int32")),
                                  [0, 1, 2])
    # the op's gradient for the integer input n is dropped, not cast to int32 and passed on
    grads = th.gradient._backpropagate([cost], {cost: T.constant(1.0)}, {x, n}, set())
    assert grads[n] is None and grads[x].dtype == "float32"
