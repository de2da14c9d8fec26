"""Every op: forward values against numpy (float32 by default), gradients against finite
differences (float64, ``verify_grad``), static shape/dtype inference and its errors."""
import numpy as np
import pytest

import minitheano as th
import minitheano.tensor as T
from minitheano import ShapeError, verify_grad


@pytest.fixture
def rng():
    return np.random.default_rng(42)


def run(inputs, outputs, *values, **kwargs):
    return th.function(inputs, outputs, **kwargs)(*values)


def away_from_zero(rng, shape, lo=0.2, hi=2.0):
    """Values with |v| in [lo, hi] and random signs: no kinks (abs, relu) within eps."""
    return rng.uniform(lo, hi, size=shape) * rng.choice([-1.0, 1.0], size=shape)


# Elementwise --------------------------------------------------------------------------------

UNARY = {
    "neg": (T.neg, np.negative, "any"),
    "abs": (T.abs, np.abs, "nonzero"),
    "exp": (T.exp, np.exp, "any"),
    "log": (T.log, np.log, "positive"),
    "log1p": (T.log1p, np.log1p, "positive"),
    "sqrt": (T.sqrt, np.sqrt, "positive"),
    "square": (T.square, np.square, "any"),
    "sin": (T.sin, np.sin, "any"),
    "cos": (T.cos, np.cos, "any"),
    "sigmoid": (T.sigmoid, lambda a: 1 / (1 + np.exp(-a)), "any"),
    "tanh": (T.tanh, np.tanh, "any"),
    "softplus": (T.softplus, lambda a: np.log1p(np.exp(a)), "any"),
    "relu": (T.relu, lambda a: np.maximum(a, 0), "nonzero"),
}


def sample(rng, domain, shape):
    if domain == "positive":
        return rng.uniform(0.3, 3.0, size=shape)
    if domain == "nonzero":
        return away_from_zero(rng, shape)
    return rng.normal(size=shape)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_forward_float32(name, rng):
    op, ref, domain = UNARY[name]
    x = T.matrix("x")
    out = op(x)
    assert out.dtype == "float32" and out.ndim == 2
    value = sample(rng, domain, (3, 4)).astype("float32")
    result = run([x], out, value)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, ref(value.astype("float64")), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_grad(name, rng):
    op, _, domain = UNARY[name]
    verify_grad(op, [sample(rng, domain, (3, 4))])


BINARY = {
    "add": (lambda a, b: a + b, np.add, "any"),
    "sub": (lambda a, b: a - b, np.subtract, "any"),
    "mul": (lambda a, b: a * b, np.multiply, "any"),
    "div": (lambda a, b: a / b, np.divide, "positive"),
    "pow": (lambda a, b: a ** b, np.power, "positive"),
    "maximum": (T.maximum, np.maximum, "any"),
    "minimum": (T.minimum, np.minimum, "any"),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_forward_float32(name, rng):
    op, ref, domain = BINARY[name]
    a, b = T.matrix("a"), T.matrix("b")
    va, vb = (sample(rng, domain, (3, 4)).astype("float32") for _ in range(2))
    result = run([a, b], op(a, b), va, vb)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, ref(va.astype("float64"), vb.astype("float64")), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_grad(name, rng):
    op, _, domain = BINARY[name]
    va = sample(rng, domain, (3, 4))
    vb = va + away_from_zero(rng, (3, 4), 0.1, 0.5) if name in ("maximum", "minimum") else sample(rng, domain, (3, 4))
    verify_grad(op, [va, vb])


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_grad_broadcasts_vector_against_matrix(name, rng):
    op, _, domain = BINARY[name]
    shift = 0.05 if name in ("maximum", "minimum") else 0  # no ties
    verify_grad(op, [sample(rng, domain, (3, 4)), sample(rng, domain, (4,)) + shift])
    verify_grad(op, [sample(rng, domain, (4,)), sample(rng, domain, (3, 4))])


def test_broadcasting_row_column_and_scalar_forward(rng):
    row = T.matrix("row", shape=(1, None))
    col = T.matrix("col", shape=(None, 1))
    s = T.scalar("s")
    out = row * col + s
    assert out.type.shape == (None, None)
    vr, vc = rng.normal(size=(1, 4)).astype("float32"), rng.normal(size=(3, 1)).astype("float32")
    result = run([row, col, s], out, vr, vc, 2.5)
    assert result.shape == (3, 4)
    np.testing.assert_allclose(result, vr * vc + 2.5, rtol=1e-6)


def test_broadcasting_gradients_sum_over_broadcast_axes(rng):
    row = T.matrix("row", shape=(1, 4))
    col = T.matrix("col", shape=(3, 1))
    s = T.scalar("s")
    m = T.matrix("m")
    cost = ((row * col + s) * m).sum()
    grads = th.grad(cost, [row, col, s])
    vr, vc, vm = (rng.normal(size=shape).astype("float32") for shape in ((1, 4), (3, 1), (3, 4)))
    gr, gc, gs = run([row, col, s, m], grads, vr, vc, 0.5, vm)
    assert gr.shape == (1, 4) and gc.shape == (3, 1) and gs.shape == ()
    np.testing.assert_allclose(gr, (vc * vm).sum(axis=0, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(gc, (vr * vm).sum(axis=1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(gs, vm.sum(), rtol=1e-5)


def test_broadcasting_gradient_of_runtime_length_one_axes(rng):
    # Shapes unknown when the graph is built: the gradient sums where the value had length 1.
    verify_grad(lambda a, b: a * b, [rng.normal(size=(3, 1)), rng.normal(size=(1, 4))])
    verify_grad(lambda a, b: a - b, [rng.normal(size=(2, 3, 4)), rng.normal(size=(3, 1))])


def test_scalar_with_python_numbers(rng):
    x = T.scalar("x")
    f = th.function([x], [x + 2, 3 - x, 2 * x, x / 4, 2 ** x, x ** 2, -x, abs(x)])
    results = f(-1.5)
    np.testing.assert_allclose([float(r) for r in results], [0.5, 4.5, -3.0, -0.375, 2 ** -1.5, 2.25, 1.5, 1.5])
    assert all(r.dtype == np.float32 for r in results)
    verify_grad(lambda a: 3 / a + 2 ** a - a ** 3, [np.array(1.3)])


def test_integer_arithmetic_and_floor_mod(rng):
    a, b = T.ivector("a"), T.ivector("b")
    va, vb = np.array([7, -7, 9], "int32"), np.array([2, 2, -4], "int32")
    s, fd, md, td = run([a, b], [a + b, a // b, a % b, a / b], va, vb)
    assert s.dtype == np.int32 and np.array_equal(s, va + vb)
    assert np.array_equal(fd, va // vb) and np.array_equal(md, va % vb)
    assert td.dtype == np.float32 and np.allclose(td, va / vb)


def test_comparisons_and_logic(rng):
    a, b = T.vector("a"), T.vector("b")
    va = np.array([1.0, 2.0, 3.0, np.nan], "float32")
    vb = np.array([2.0, 2.0, 1.0, 0.0], "float32")
    outs = [a < b, a > b, a <= b, a >= b, T.eq(a, b), T.neq(a, b), (a < b) | (a > b), (a <= b) & (a >= b),
            ~(a < b), T.isnan(a)]
    refs = [va < vb, va > vb, va <= vb, va >= vb, va == vb, va != vb, (va < vb) | (va > vb),
            (va <= vb) & (va >= vb), ~(va < vb), np.isnan(va)]
    for out, got, want in zip(outs, run([a, b], outs, va, vb), refs):
        assert out.dtype == "int8" and got.dtype == np.int8
        assert np.array_equal(got, want.astype("int8")), out


def test_comparison_has_no_gradient_but_switch_routes_it(rng):
    x = T.vector("x")
    cond = x > 0
    out = T.switch(cond, x ** 2, -3 * x)
    vx = away_from_zero(rng, (6,)).astype("float32")
    np.testing.assert_allclose(run([x], out, vx), np.where(vx > 0, vx ** 2, -3 * vx), rtol=1e-6)
    g = run([x], th.grad(out.sum(), x), vx)
    np.testing.assert_allclose(g, np.where(vx > 0, 2 * vx, -3.0), rtol=1e-6)
    assert T.where is T.switch
    verify_grad(lambda a, b, c: T.switch(a > 0, b, c), [away_from_zero(rng, (3, 4)), rng.normal(size=(3, 4)),
                                                         rng.normal(size=(4,))])


def test_clip_maximum_minimum_values_and_grads(rng):
    x = T.vector("x")
    vx = np.array([-2.0, -0.5, 0.25, 0.9, 3.0], "float32")
    c, mx, mn = run([x], [T.clip(x, -1, 1), T.maximum(x, 0.0), T.minimum(x, 0.5)], vx)
    np.testing.assert_allclose(c, np.clip(vx, -1, 1))
    np.testing.assert_allclose(mx, np.maximum(vx, 0))
    np.testing.assert_allclose(mn, np.minimum(vx, 0.5))
    assert c.dtype == mx.dtype == mn.dtype == np.float32
    g = run([x], th.grad(T.clip(x, -1, 1).sum(), x), vx)
    np.testing.assert_allclose(g, [0, 1, 1, 1, 0])
    verify_grad(lambda a: T.clip(a, -1, 1) * a, [np.array([-2.0, -0.5, 0.25, 0.9, 3.0])])
    verify_grad(lambda a: a.clip(-1.0, 1.0), [np.array([-1.5, 0.3, 2.0])])


def test_cast_and_astype(rng):
    x = T.vector("x")
    vx = np.array([-1.7, 0.2, 2.9], "float32")
    i, d, same = run([x], [T.cast(x, "int32"), x.astype("float64"), T.cast(x, "floatX")], vx)
    assert i.dtype == np.int32 and np.array_equal(i, vx.astype("int32"))
    assert d.dtype == np.float64 and np.allclose(d, vx)
    assert T.cast(x, "floatX") is x and same.dtype == np.float32
    # float -> float casts carry the gradient (in the input's dtype); float -> int cuts it
    g = run([x], th.grad(x.astype("float64").sum() * 2, x), vx)
    assert g.dtype == np.float32 and np.allclose(g, 2)
    with pytest.raises(th.DisconnectedInputError):
        th.grad(T.cast(x, "int32").sum().astype("float32"), x)
    verify_grad(lambda a: T.cast(a, "float32") * 3, [rng.normal(size=(3,))], eps=1e-2, rel_tol=1e-3)


# Reductions -----------------------------------------------------------------------------

REDUCTIONS = {
    "sum": (T.sum, np.sum),
    "mean": (T.mean, np.mean),
    "max": (T.max, np.max),
    "min": (T.min, np.min),
    "prod": (T.prod, np.prod),
    "var": (T.var, np.var),
    "std": (T.std, np.std),
}
AXES = [None, 0, 1, -1, (0, 2), (0, 1, 2)]


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_forward(name, axis, keepdims, rng):
    op, ref = REDUCTIONS[name]
    x = T.tensor3("x")
    out = op(x, axis=axis, keepdims=keepdims)
    value = rng.uniform(0.5, 1.5, size=(2, 3, 4)).astype("float32")
    want = ref(value.astype("float64"), axis=axis, keepdims=keepdims)
    assert out.ndim == np.ndim(want)
    result = run([x], out, value)
    assert result.dtype == np.float32 and result.shape == np.shape(want)
    np.testing.assert_allclose(result, want, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("axis", [None, 1, (0, 2)], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_grad(name, axis, keepdims, rng):
    op, _ = REDUCTIONS[name]
    value = rng.permutation(24).reshape(2, 3, 4) / 10.0 + 0.5  # distinct values: max/min are unique
    verify_grad(lambda a: op(a, axis=axis, keepdims=keepdims), [value])


def test_reduction_methods_match_functions(rng):
    x = T.matrix("x")
    value = rng.normal(size=(3, 5)).astype("float32")
    outs = run([x], [x.sum(axis=1), x.mean(0), x.max(axis=1, keepdims=True), x.min(), x.prod(axis=0), x.var(1),
                     x.std(), x.argmax(axis=1), x.argmin(axis=0), x.norm(2, axis=1)], value)
    refs = [value.sum(1), value.mean(0), value.max(1, keepdims=True), value.min(), value.prod(0), value.var(1),
            value.std(), value.argmax(1), value.argmin(0), np.linalg.norm(value, axis=1)]
    for got, want in zip(outs, refs):
        assert got.shape == np.shape(want)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_argmax(axis, keepdims, rng):
    x = T.matrix("x")
    value = rng.normal(size=(4, 5)).astype("float32")
    out = T.argmax(x, axis=axis, keepdims=keepdims)
    assert out.dtype == "int64"
    result = run([x], out, value)
    want = np.argmax(value, axis=axis, keepdims=keepdims)
    assert result.shape == np.shape(want) and np.array_equal(result, want)


def test_argmax_has_no_gradient():
    x = T.vector("x")
    with pytest.raises(TypeError, match="integer"):
        th.grad(T.argmax(x), x)  # an integer cost
    with pytest.raises(th.DisconnectedInputError):
        th.grad(T.argmax(x).astype("float32"), x)


def test_reduction_dtypes():
    i = T.imatrix("i")
    assert T.sum(i).dtype == "int64"
    assert T.mean(i).dtype == "float32"
    assert T.max(i).dtype == "int32"
    assert T.var(i).dtype == "float32"
    vi = np.array([[1, 2], [3, 5]], "int32")
    s, m, v = run([i], [i.sum(axis=0), i.mean(), i.var()], vi)
    assert s.dtype == np.int64 and np.array_equal(s, [4, 7])
    assert m.dtype == np.float32 and m == pytest.approx(2.75)
    assert v.dtype == np.float32 and v == pytest.approx(np.var(vi))


def test_reduction_axis_errors():
    x = T.matrix("x")
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        x.sum(axis=2)
    with pytest.raises(ValueError, match="repeated axis"):
        x.sum(axis=(0, -2))


def test_max_gradient_goes_to_the_maximum():
    x = T.matrix("x")
    value = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], "float32")
    g = run([x], th.grad(x.max(axis=1).sum(), x), value)
    np.testing.assert_array_equal(g, [[0, 1, 0], [1, 0, 0]])


def test_prod_gradient_is_exact_with_zeros():
    x = T.matrix("x")
    value = np.array([[0, 2, 3], [1, 2, 3], [0, 0, 2]], "float32")
    g = run([x], th.grad(x.prod(axis=1).sum(), x), value)
    np.testing.assert_array_equal(g, [[6, 0, 0], [6, 3, 2], [0, 0, 0]])
    g = run([x], th.grad(x.prod(axis=0).sum(), x), value)
    np.testing.assert_array_equal(g, [[0, 0, 6], [0, 0, 6], [0, 4, 9]])
    verify_grad(lambda a: a.prod(axis=1, keepdims=True), [value.astype("float64")])


# Linear algebra -------------------------------------------------------------------------

DOT_SHAPES = {"vector.vector": ((4,), (4,)), "matrix.vector": ((3, 4), (4,)),
              "vector.matrix": ((4,), (4, 5)), "matrix.matrix": ((3, 4), (4, 5))}


@pytest.mark.parametrize("combo", sorted(DOT_SHAPES))
def test_dot_forward_and_grad(combo, rng):
    sa, sb = DOT_SHAPES[combo]
    a, b = T.tensor(ndim=len(sa), name="a"), T.tensor(ndim=len(sb), name="b")
    va, vb = rng.normal(size=sa).astype("float32"), rng.normal(size=sb).astype("float32")
    out = T.dot(a, b)
    want = np.dot(va, vb)
    assert out.ndim == want.ndim and out.dtype == "float32"
    result = run([a, b], [out, a.dot(b), a @ b], va, vb)
    for r in result:
        assert r.dtype == np.float32
        np.testing.assert_allclose(r, want, rtol=1e-5, atol=1e-6)
    verify_grad(T.dot, [va.astype("float64"), vb.astype("float64")])


def test_dot_with_a_scalar_is_elementwise(rng):
    s, m = T.scalar("s"), T.matrix("m")
    vm = rng.normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(run([s, m], T.dot(s, m), 2.0, vm), 2 * vm)


def test_dot_static_shapes():
    a = T.matrix("A", shape=(3, 4))
    assert T.dot(a, T.matrix("B", shape=(4, 2))).type.shape == (3, 2)
    assert T.dot(a, T.vector("v")).type.shape == (3,)
    assert T.dot(T.vector("u", shape=(3,)), a).type.shape == (4,)


def test_dot_shape_mismatch_fails_when_built():
    a = T.matrix("A", shape=(3, 4))
    b = T.matrix("B", shape=(5, 2))
    with pytest.raises(ShapeError) as info:
        T.dot(a, b)
    message = str(info.value)
    assert "A" in message and "B" in message and "(3, 4)" in message and "(5, 2)" in message
    assert "4" in message and "5" in message


def test_dot_refuses_higher_dims():
    with pytest.raises(TypeError, match="flatten"):
        T.dot(T.tensor3("t"), T.matrix("m"))


def test_outer(rng):
    a, b = T.vector("a"), T.vector("b")
    va, vb = rng.normal(size=3).astype("float32"), rng.normal(size=4).astype("float32")
    np.testing.assert_allclose(run([a, b], T.outer(a, b), va, vb), np.outer(va, vb), rtol=1e-6)


# Shape ops ------------------------------------------------------------------------------

def test_dimshuffle_and_transpose(rng):
    x = T.tensor3("x")
    v = rng.normal(size=(2, 3, 4)).astype("float32")
    outs = [x.dimshuffle(2, 0, 1), x.dimshuffle(0, "x", 1, 2), x.transpose(), x.transpose(1, 0, 2),
            T.transpose(x, (0, 2, 1))]
    refs = [v.transpose(2, 0, 1), v[:, None], v.transpose(), v.transpose(1, 0, 2), v.transpose(0, 2, 1)]
    for got, want in zip(run([x], outs, v), refs):
        np.testing.assert_array_equal(got, want)
    m = T.matrix("m")
    assert m.T.type.shape == (None, None) and m.T.owner.op.pattern == (1, 0)
    assert x.dimshuffle(0, "x", 1, 2).type.shape == (None, 1, None, None)


def test_dimshuffle_drops_length_one_axes(rng):
    col = T.matrix("col", shape=(None, 1))
    out = col.dimshuffle(0)
    assert out.type.shape == (None,)
    v = rng.normal(size=(3, 1)).astype("float32")
    np.testing.assert_array_equal(run([col], out, v), v[:, 0])
    verify_grad(lambda a: a.dimshuffle(0) ** 2, [rng.normal(size=(3, 1))])
    with pytest.raises(ShapeError, match="drops axis 1"):
        T.matrix("full", shape=(3, 2)).dimshuffle(0)
    with pytest.raises(ValueError, match="not a valid pattern"):
        T.matrix("m").dimshuffle(0, 0)


def test_dimshuffle_grads(rng):
    verify_grad(lambda a: a.dimshuffle(2, "x", 0, 1), [rng.normal(size=(2, 3, 4))])
    verify_grad(lambda a: a.T, [rng.normal(size=(2, 3))])
    verify_grad(lambda a: a.dimshuffle("x", 1, 0, "x") * a.dimshuffle("x", 1, 0, "x"), [rng.normal(size=(2, 3))])


def test_reshape_and_flatten(rng):
    x = T.tensor3("x")
    n = T.lscalar("n")
    v = rng.normal(size=(2, 3, 4)).astype("float32")
    outs = [x.reshape(-1), x.reshape((6, 4)), x.reshape((4, -1)), x.reshape((n, -1)), x.flatten(), x.flatten(2),
            T.reshape(x, (2, 12)), x.reshape(x.shape[::-1], ndim=3)]
    refs = [v.reshape(-1), v.reshape(6, 4), v.reshape(4, -1), v.reshape(3, -1), v.reshape(-1), v.reshape(2, -1),
            v.reshape(2, 12), v.reshape(4, 3, 2)]
    for out, got, want in zip(outs, run([x, n], outs, v, 3), refs):
        assert out.ndim == want.ndim
        np.testing.assert_array_equal(got, want)
    verify_grad(lambda a: a.reshape((4, -1)) ** 2, [rng.normal(size=(2, 3, 4))])
    verify_grad(lambda a: a.flatten(2) * 3, [rng.normal(size=(2, 3, 4))])


def test_reshape_static_shapes_and_errors():
    x = T.tensor3("x", shape=(2, 3, 4))
    assert x.reshape(-1).type.shape == (24,)
    assert x.reshape((4, -1)).type.shape == (4, 6)
    assert x.flatten(2).type.shape == (2, 12)
    with pytest.raises(ShapeError, match=r"cannot reshape x of shape \(2, 3, 4\)"):
        x.reshape((5, 5))
    with pytest.raises(ShapeError):
        x.reshape((5, -1))
    with pytest.raises(ValueError, match="at most one -1"):
        x.reshape((-1, -1))


def test_reshape_runtime_error_is_a_compute_error(rng):
    x = T.vector("x")
    f = th.function([x], x.reshape((3, 3)))
    with pytest.raises(th.ComputeError, match="reshape"):
        f(np.zeros(10, "float32"))


def test_concatenate_and_stack(rng):
    a, b = T.matrix("a"), T.matrix("b")
    va, vb = rng.normal(size=(2, 3)).astype("float32"), rng.normal(size=(2, 3)).astype("float32")
    outs = [T.concatenate([a, b]), T.concatenate([a, b], axis=1), T.concatenate([a, b], axis=-1), T.stack([a, b]),
            T.stack([a, b], axis=1), T.stack([a, b], axis=2)]
    refs = [np.concatenate([va, vb]), np.concatenate([va, vb], 1), np.concatenate([va, vb], -1), np.stack([va, vb]),
            np.stack([va, vb], 1), np.stack([va, vb], 2)]
    for got, want in zip(run([a, b], outs, va, vb), refs):
        np.testing.assert_array_equal(got, want)
    s, t = T.scalar("s"), T.scalar("t")
    np.testing.assert_array_equal(run([s, t], T.stack([s, t, 2.0]), 1.0, 3.0), [1.0, 3.0, 2.0])
    verify_grad(lambda p, q: T.concatenate([p, q, p], axis=1) ** 2, [rng.normal(size=(2, 3)), rng.normal(size=(2, 1))])
    verify_grad(lambda p, q: T.stack([p, q], axis=1), [rng.normal(size=(3,)), rng.normal(size=(3,))])


def test_concatenate_static_checks():
    a = T.matrix("a", shape=(2, 3))
    b = T.matrix("b", shape=(4, 3))
    assert T.concatenate([a, b]).type.shape == (6, 3)
    with pytest.raises(ShapeError, match="axis 0 lengths differ: a"):
        T.concatenate([a, b], axis=1)
    with pytest.raises(ShapeError, match="same number of dims"):
        T.concatenate([a, T.vector("v")])


def test_concatenate_of_int_and_float32_is_float32():
    out = T.concatenate([T.fvector("f"), T.ivector("i")])
    assert out.dtype == "float32"
    got = run([out.owner.inputs[0], out.owner.inputs[1]], out, np.array([0.5], "float32"), np.array([2], "int32"))
    assert got.dtype == np.float32 and np.array_equal(got, [0.5, 2.0])


def test_shape_op(rng):
    x = T.tensor3("x")
    v = np.zeros((2, 3, 4), "float32")
    s, n, size = run([x], [x.shape, x.shape[1], x.size], v)
    assert s.dtype == np.int64 and np.array_equal(s, [2, 3, 4])
    assert int(n) == 3 and int(size) == 24
    assert x.shape.type.shape == (3,)


def test_alloc_zeros_ones_arange(rng):
    n = T.lscalar("n")
    z, o, a, a2, zl = run([n], [T.zeros((n, 2)), T.ones((3,), dtype="int32"), T.arange(n), T.arange(1, n, 2),
                               T.zeros_like(T.arange(n))], 5)
    assert z.shape == (5, 2) and z.dtype == np.float32 and not z.any()
    assert o.dtype == np.int32 and np.array_equal(o, [1, 1, 1])
    assert np.array_equal(a, np.arange(5)) and np.array_equal(a2, np.arange(1, 5, 2))
    assert np.array_equal(zl, np.zeros(5))
    assert T.arange(4).type.shape == (4,)


def test_alloc_and_fill_gradients(rng):
    weights = np.arange(6.0).reshape(2, 3)
    verify_grad(lambda a: T.alloc(a, 2, 3) * weights, [np.array(1.5)])
    verify_grad(lambda a, b: T.fill(b, a) * weights, [rng.normal(size=(3,)), rng.normal(size=(2, 3))])


def test_arange_with_float_bounds():
    for args in ((0, 1.0, 0.25), (0.0, 1.0, 0.3), (5, 0, -2), (3, 1)):
        out = T.arange(*args)
        want = np.arange(*args)
        assert out.dtype == ("int64" if want.dtype.kind == "i" else "float32")
        assert out.type.shape == want.shape
        np.testing.assert_allclose(th.function([], out)(), want, rtol=1e-6)
    d = T.dscalar("d")
    assert T.arange(d, 3).dtype == "float64"
    with pytest.raises(ValueError, match="step must not be zero"):
        T.arange(0, 1, 0)


# Indexing -------------------------------------------------------------------------------

INDEXES = {
    "int": lambda x: x[1],
    "negative int": lambda x: x[-1],
    "slice": lambda x: x[1:3],
    "negative slice": lambda x: x[-3:-1],
    "reversed": lambda x: x[::-1],
    "step": lambda x: x[::2, 1::2],
    "column": lambda x: x[:, 0],
    "element": lambda x: x[2, -2],
    "newaxis": lambda x: x[None],
    "newaxis middle": lambda x: x[:, None, 1:],
    "ellipsis": lambda x: x[..., 0],
    "int array repeated": lambda x: x[[0, 0, 2]],
    "two int arrays": lambda x: x[[0, 1, 1], [1, 2, 2]],
    "array and slice": lambda x: x[[0, 2], 1:3],
    "slice and array": lambda x: x[:, [0, 4, 0]],
    "2-d index array": lambda x: x[np.array([[0, 1], [3, 3]])],
}


@pytest.mark.parametrize("name", sorted(INDEXES))
def test_indexing_forward(name, rng):
    index = INDEXES[name]
    x = T.matrix("x")
    v = rng.normal(size=(4, 5)).astype("float32")
    out = index(x)
    want = index(v)
    assert out.ndim == want.ndim
    got = run([x], out, v)
    assert got.shape == want.shape and got.dtype == np.float32
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", sorted(INDEXES))
def test_indexing_static_shape_matches_numpy(name):
    index = INDEXES[name]
    assert index(T.matrix("x", shape=(4, 5))).type.shape == index(np.zeros((4, 5))).shape


@pytest.mark.parametrize("name", sorted(INDEXES))
def test_indexing_grad(name, rng):
    verify_grad(INDEXES[name], [rng.normal(size=(4, 5))])


INDEXES_3D = [
    (slice(None), [0, 1], [1, 2]),
    ([0, 1], slice(None), [1, 2]),
    (0, slice(None), [1, 2]),
    (slice(None), 1, [0, 1]),
    (None, [0, 1], slice(1, 3)),
    ([[0], [1]], slice(None), [1, 2]),
    (Ellipsis, [0, 0]),
    (1, [0, 1], 2),
]


@pytest.mark.parametrize("index", INDEXES_3D, ids=str)
def test_advanced_indexing_of_a_tensor3(index, rng):
    v = rng.normal(size=(3, 4, 5))
    want = v[index]
    assert T.tensor3("x", shape=(3, 4, 5))[index].type.shape == want.shape
    x = T.dtensor3("x")
    np.testing.assert_array_equal(run([x], x[index], v), want)
    verify_grad(lambda a: a[index], [v])


def test_static_shapes_of_indexing():
    x = T.matrix("x", shape=(4, 5))
    assert x[1].type.shape == (5,)
    assert x[1:3].type.shape == (2, 5)
    assert x[::-1, None].type.shape == (4, 1, 5)
    assert x[:, [0, 1, 2]].type.shape == (4, 3)
    assert x[[0, 1]].type.shape == (2, 5)


def test_repeated_integer_indices_accumulate_gradient(rng):
    x = T.vector("x")
    idx = T.lvector("idx")
    out = (x[idx] * T.arange(1, 5).astype("float32")).sum()
    g = run([x, idx], th.grad(out, x), np.zeros(3, "float32"), np.array([0, 2, 0, 0]))
    np.testing.assert_array_equal(g, [1 + 3 + 4, 0, 2])


def test_pick_per_row_with_arange_and_labels(rng):
    p = T.matrix("p")
    y = T.ivector("y")
    picked = p[T.arange(p.shape[0]), y]
    vp = rng.uniform(0.1, 1, size=(4, 3)).astype("float32")
    vy = np.array([2, 0, 0, 1], "int32")
    np.testing.assert_array_equal(run([p, y], picked, vp, vy), vp[np.arange(4), vy])
    g = run([p, y], th.grad(T.log(picked).sum(), p), vp, vy)
    want = np.zeros_like(vp)
    want[np.arange(4), vy] = 1 / vp[np.arange(4), vy]
    np.testing.assert_allclose(g, want, rtol=1e-6)


def test_index_errors():
    x = T.matrix("x", shape=(4, 5))
    with pytest.raises(IndexError, match="out of bounds"):
        x[4]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="integers"):
        x[T.vector("f")]
    with pytest.raises(IndexError, match="boolean"):
        x[np.array([True, False, True, False])]


def test_inc_and_set_subtensor(rng):
    x = T.matrix("x")
    y = T.vector("y")
    idx = T.lvector("idx")
    v = rng.normal(size=(3, 4)).astype("float32")
    vy = rng.normal(size=(4,)).astype("float32")
    inc, st, inc_rep = run([x, y, idx], [T.inc_subtensor(x[1], y), T.set_subtensor(x[:, 0], 7.0),
                                         T.inc_subtensor(x[idx], y)], v, vy, np.array([0, 0, 2]))
    want = v.copy()
    want[1] += vy
    np.testing.assert_allclose(inc, want)
    want = v.copy()
    want[:, 0] = 7
    np.testing.assert_allclose(st, want)
    want = v.copy()
    np.add.at(want, [0, 0, 2], vy)
    np.testing.assert_allclose(inc_rep, want, rtol=1e-6)
    verify_grad(lambda a, b: T.set_subtensor(a[1:, 2], b) ** 2, [rng.normal(size=(3, 4)), rng.normal(size=(2,))])
    verify_grad(lambda a, b: T.inc_subtensor(a[[0, 0, 2]], b) ** 2, [rng.normal(size=(3, 4)), rng.normal(size=(4,))])
    with pytest.raises(TypeError, match="indexed variable"):
        T.inc_subtensor(x, 1.0)


# Neural-network ops -------------------------------------------------------------------

def np_softmax(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("shape", [(5,), (3, 5)])
def test_softmax_and_log_softmax(shape, rng):
    x = T.tensor(ndim=len(shape), name="x")
    v = rng.normal(size=shape).astype("float32")
    sm, lsm = run([x], [T.softmax(x), T.log_softmax(x)], v)
    assert sm.dtype == lsm.dtype == np.float32
    np.testing.assert_allclose(sm, np_softmax(v.astype("float64")), rtol=1e-5)
    np.testing.assert_allclose(sm.sum(axis=-1), 1, rtol=1e-6)
    np.testing.assert_allclose(lsm, np.log(np_softmax(v.astype("float64"))), rtol=1e-5, atol=1e-6)
    verify_grad(T.softmax, [rng.normal(size=shape)])
    verify_grad(T.log_softmax, [rng.normal(size=shape)])


def test_softmax_needs_vector_or_matrix():
    with pytest.raises(TypeError, match="3 dims"):
        T.softmax(T.tensor3("t"))


def test_softmax_is_shift_invariant_and_finite_for_huge_logits():
    x = T.matrix("x")
    v = np.array([[1e4, 1e4 + 1, 1e4 - 2], [-1e4, 0, 1e4]], "float32")
    sm, lsm = run([x], [T.softmax(x), T.log_softmax(x)], v)
    assert np.isfinite(sm).all() and np.isfinite(lsm).all()
    np.testing.assert_allclose(sm[0], np_softmax(np.array([0.0, 1, -2])), rtol=1e-5)
    np.testing.assert_allclose(lsm[1], [-2e4, -1e4, 0], rtol=1e-6)


def test_sigmoid_and_softplus_are_finite_at_extremes():
    x = T.vector("x")
    v = np.array([-1000, -50, 0, 50, 1000], "float32")
    s, sp = run([x], [T.sigmoid(x), T.softplus(x)], v)
    np.testing.assert_allclose(s, [0, 0, 0.5, 1, 1], atol=1e-7)
    np.testing.assert_allclose(sp, [0, 0, np.log(2), 50, 1000], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("one_hot", [False, True])
def test_categorical_crossentropy(one_hot, rng):
    p = T.matrix("p")
    target = T.matrix("t") if one_hot else T.ivector("t")
    vp = np_softmax(rng.normal(size=(4, 3))).astype("float32")
    labels = np.array([0, 2, 1, 2], "int32")
    vt = np.eye(3, dtype="float32")[labels] if one_hot else labels
    got = run([p, target], T.categorical_crossentropy(p, target), vp, vt)
    np.testing.assert_allclose(got, -np.log(vp[np.arange(4), labels]), rtol=1e-5)
    with pytest.raises(TypeError, match="categorical_crossentropy"):
        T.categorical_crossentropy(p, T.vector("float_labels"))


def test_binary_crossentropy(rng):
    o, t = T.vector("o"), T.vector("t")
    vo = rng.uniform(0.1, 0.9, size=5).astype("float32")
    vt = (rng.random(5) > 0.5).astype("float32")
    np.testing.assert_allclose(run([o, t], T.binary_crossentropy(o, t), vo, vt),
                               -(vt * np.log(vo) + (1 - vt) * np.log(1 - vo)), rtol=1e-5)
    verify_grad(lambda a: T.binary_crossentropy(T.sigmoid(a), vt.astype("float64")), [rng.normal(size=5)])


def test_nnet_namespace():
    assert T.nnet.softmax is T.softmax and T.nnet.sigmoid is T.sigmoid


# Static shape and dtype rules ------------------------------------------------------------

def test_broadcasting_mismatch_fails_when_built():
    a = T.vector("a", shape=(3,))
    b = T.vector("b", shape=(4,))
    with pytest.raises(ShapeError) as info:
        a + b
    message = str(info.value)
    assert "a with shape (3,)" in message and "b with shape (4,)" in message and "add" in message


def test_broadcasting_static_shapes():
    m = T.matrix("m", shape=(3, 4))
    assert (m + T.vector("v")).type.shape == (3, 4)
    assert (m * T.matrix("r", shape=(1, 4))).type.shape == (3, 4)
    assert (T.matrix("c", shape=(None, 1)) + T.matrix("r", shape=(1, 5))).type.shape == (None, 5)
    assert (T.scalar("s") + T.matrix("x")).ndim == 2
    assert (T.matrix("r", shape=(1, 1)) + 1).type.broadcastable == (True, True)


def test_runtime_broadcasting_mismatch_is_a_compute_error():
    a, b = T.vector("a"), T.vector("b")
    f = th.function([a, b], a + b)
    with pytest.raises(th.ComputeError) as info:
        f(np.zeros(3, "float32"), np.zeros(4, "float32"))
    message = str(info.value)
    assert "add" in message and "(3,)" in message and "(4,)" in message and "test_ops.py" in message


def test_default_float_dtype_is_float32():
    assert th.config.floatX == "float32"
    for make in (T.scalar, T.vector, T.matrix, T.tensor3, T.tensor4):
        assert make().dtype == "float32"
    for make, ndim in ((T.iscalar, 0), (T.ivector, 1), (T.imatrix, 2), (T.itensor3, 3), (T.itensor4, 4)):
        v = make()
        assert v.dtype == "int32" and v.ndim == ndim
    assert T.lvector().dtype == "int64" and T.dmatrix().dtype == "float64" and T.fscalar().dtype == "float32"
    assert T.tensor4("t").broadcastable == (False,) * 4


def test_python_numbers_do_not_upcast_float32():
    x = T.vector("x")
    for out in (x * 2.5, 2.5 + x, x / 3, x ** 2.0, x - 1e-3, T.maximum(x, 0.0), T.clip(x, 0.0, 1.0),
                T.switch(x > 0, x, 0.5)):
        assert out.dtype == "float32", out
    value = run([x], x * 0.1, np.array([1.0, 2.0], "float32"))
    assert value.dtype == np.float32
    assert (T.dvector("d") * 2.5).dtype == "float64"


def test_integer_and_float_promotion():
    f, i, l_ = T.vector("f"), T.ivector("i"), T.lvector("l")
    assert (i + f).dtype == "float32"
    assert (l_ * f).dtype == "float32"
    assert (i + 1).dtype == "int32"
    assert (i + l_).dtype == "int64"
    assert (i / i).dtype == "float32"
    assert (i // 2).dtype == "int32"
    assert T.exp(i).dtype == "float32"
    assert (i * 1.5).dtype == "float32"
    got = run([f, i], i + f, np.array([0.5], "float32"), np.array([2], "int32"))
    assert got.dtype == np.float32 and got[0] == 2.5
    got = run([i], [i / 2, T.sqrt(i)], np.array([3], "int32"))
    assert got[0].dtype == np.float32 and got[0][0] == 1.5 and got[1].dtype == np.float32


def test_floatx_float64_variables_stay_float64():
    d = T.dmatrix("d")
    assert (T.sigmoid(d) + T.sum(d)).dtype == "float64"
    assert T.dot(d, T.matrix("f")).dtype == "float64"
    assert T.mean(d).dtype == "float64"


def test_constants():
    c = T.constant(np.arange(3))
    assert c.dtype == "int64" and isinstance(c, th.Constant)
    assert T.constant(1.5).dtype == "float32"
    assert T.constant(np.float64(1.5)).dtype == "float32"
    assert T.constant(np.array(1.5)).dtype == "float64"  # arrays keep their dtype
    assert T.constant(3).dtype == "int8" and T.constant(300).dtype == "int16"
    with pytest.raises(TypeError):
        T.constant("text")


def test_symbolic_variables_refuse_python_truth_and_len():
    x = T.vector("x")
    with pytest.raises(TypeError, match="truth value"):
        bool(x > 0)
    with pytest.raises(TypeError, match="len"):
        len(x)
    with pytest.raises(TypeError, match="iterate"):
        list(x)


def test_eval(rng):
    x = T.vector("x")
    np.testing.assert_allclose((x * 2).eval({x: np.array([1.0, 2.0], "float32")}), [2, 4])
    assert float((T.constant(2.0) * 3).eval()) == 6.0
