"""Elementwise fusion (``compile.fuse``): chains of elementwise ops run as one Composite node,
with the values of the unfused graph (FAST_COMPILE), and composites written in place."""
import numpy as np
import pytest

import minitheano as th
import minitheano.tensor as T
from minitheano.backend import to_host
from minitheano.ops.composite import Composite

UNARY = [T.exp, T.tanh, T.sigmoid, T.abs_, T.relu, lambda a: -a, lambda a: a * a, lambda a: T.sqrt(T.abs_(a) + 1)]
BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / (T.abs_(b) + 1),
          T.maximum, T.minimum, lambda a, b: T.switch(T.gt(a, b), a, b * 2)]


def _composites(f):
    return [n for n in th.graph.toposort(f.linked) if isinstance(n.op, Composite)]


def random_graph(rng, leaves, depth):
    """A random elementwise expression of ``leaves``."""
    if depth == 0:
        return leaves[rng.integers(len(leaves))]
    if rng.random() < 0.4:
        return UNARY[rng.integers(len(UNARY))](random_graph(rng, leaves, depth - 1))
    op = BINARY[rng.integers(len(BINARY))]
    return op(random_graph(rng, leaves, depth - 1), random_graph(rng, leaves, depth - 1))


@pytest.mark.parametrize("seed", range(12))
def test_random_graphs_match_the_unfused_values(seed):
    rng = np.random.default_rng(seed)
    m, v, s, i = T.matrix("m"), T.vector("v"), T.scalar("s"), T.imatrix("i")
    leaves = [m, v, s, T.cast(i, "float32"), m * 0.5 + 1, T.constant(np.float32(2.5))]
    expr = random_graph(rng, leaves, 4) + m  # at least as large as m
    values = [rng.normal(size=(7, 5)).astype("float32"), rng.normal(size=5).astype("float32"),
              np.float32(rng.normal()), rng.integers(-3, 3, size=(7, 5)).astype("int32")]
    fast = th.function([m, v, s, i], expr, on_unused_input="ignore")
    slow = th.function([m, v, s, i], expr, mode="FAST_COMPILE", on_unused_input="ignore")
    np.testing.assert_allclose(fast(*values), slow(*values), rtol=1e-5, atol=1e-5)
    assert fast.rewrites_applied.count("fuse_elemwise") == len(_composites(fast))


def test_dropout_relu_rescale_becomes_one_node(capsys):
    x, mask = T.matrix("x"), T.matrix("mask")
    expr = T.relu(x * 2 - 1) * mask / 0.6
    f = th.function([x, mask], expr)
    assert "fuse_elemwise" in f.rewrites_applied and len(f.order) == 1 and len(_composites(f)) == 1
    th.debugprint(f.linked)
    assert "Composite{" in capsys.readouterr().out
    rng = np.random.default_rng(0)
    xv, mv = rng.normal(size=(4, 3)).astype("float32"), (rng.random((4, 3)) < 0.6).astype("float32")
    np.testing.assert_allclose(f(xv, mv), np.maximum(xv * 2 - 1, 0) * mv / 0.6, rtol=1e-6)
    assert f(xv, mv).dtype == np.float32


def test_integer_and_bool_chains_keep_their_dtypes():
    a, b = T.imatrix("a"), T.imatrix("b")
    f = th.function([a, b], [(a + b) * 3 - a, T.cast(T.gt(a, b) & T.lt(a, 2), "int32") + a])
    g = th.function([a, b], [(a + b) * 3 - a, T.cast(T.gt(a, b) & T.lt(a, 2), "int32") + a], mode="FAST_COMPILE")
    va, vb = np.arange(6, dtype="int32").reshape(2, 3), np.full((2, 3), 2, "int32")
    for fast, slow in zip(f(va, vb), g(va, vb)):
        assert fast.dtype == slow.dtype
        np.testing.assert_array_equal(fast, slow)
    assert _composites(f)


def test_scalar_chains_and_broadcast_results():
    s, v = T.scalar("s"), T.vector("v")
    f = th.function([s, v], [T.exp(s) * 2 + 1, (v + s) * (v - s)])
    out = f(np.float32(0.5), np.float32([1, 2, 3]))
    np.testing.assert_allclose(out[0], np.exp(0.5) * 2 + 1, rtol=1e-6)
    np.testing.assert_allclose(out[1], np.float32([1, 2, 3]) ** 2 - 0.25, rtol=1e-6)


def test_a_value_read_twice_or_returned_is_not_fused_away():
    x = T.vector("x")
    y = T.exp(x) + 1
    f = th.function([x], [y, y * 2 - 3])
    a, b = f(np.float32([0, 1]))
    np.testing.assert_allclose(a, np.exp([0, 1]) + 1, rtol=1e-6)
    np.testing.assert_allclose(b, (np.exp([0, 1]) + 1) * 2 - 3, rtol=1e-6)


def test_momentum_update_is_fused_and_written_in_place():
    from minitheano import updates as U
    rng = np.random.default_rng(1)
    X = rng.normal(size=(16, 4)).astype("float32")

    def run(mode):
        w = th.shared(np.ones((4, 2), "float32"), name="w")
        loss = T.square(T.relu(T.dot(T.constant(X), w)) - 1).mean()
        f = th.function([], loss, updates=U.momentum(loss, [w], 0.05, 0.9), mode=mode)
        velocity = [s for s in f.update_targets if s is not w][0]
        storage = velocity.container
        losses = [float(f()) for _ in range(4)]
        return f, losses, w, velocity.container is storage
    f, losses, w, same_storage = run("FAST_RUN")
    _, slow_losses, slow_w, slow_same = run("FAST_COMPILE")
    assert "fuse_elemwise" in f.rewrites_applied and "update_in_place" in f.rewrites_applied
    # The velocity's new value goes into its storage; w's can't: the velocity update reads old w after it.
    assert same_storage and not slow_same
    np.testing.assert_allclose(losses, slow_losses, rtol=1e-5)
    np.testing.assert_allclose(to_host(w.container), slow_w.get_value(), rtol=1e-5, atol=1e-6)


def test_composites_have_no_gradient():
    x = T.vector("x")
    f = th.function([x], T.exp(x) * 2 + 1)
    node = _composites(f)[0]
    with pytest.raises(NotImplementedError, match="fuse_elemwise"):
        node.op.grad(node, [T.vector("g")])


def test_fast_compile_does_not_fuse():
    x = T.vector("x")
    f = th.function([x], T.exp(x) * 2 + 1, mode="FAST_COMPILE")
    assert not _composites(f) and "fuse_elemwise" not in f.rewrites_applied


# Big composites run block by block (kernels.fused.BLOCK elements at a time) -----------------

@pytest.mark.parametrize("rows", [1, 3, 700, 1031])
def test_big_composites_in_blocks_match_the_unfused_values(rows):
    from minitheano.kernels import fused
    rng = np.random.default_rng(rows)
    m, r, c, s = T.matrix("m"), T.matrix("r", shape=(1, None)), T.matrix("c", shape=(None, 1)), T.scalar("s")
    expr = T.relu(m * s + r) / (T.abs_(c) + 1) - m
    cols = 4 * fused.BLOCK // 1000 + 7  # several blocks of rows, the last one short
    values = [rng.normal(size=(rows, cols)).astype("float32"), rng.normal(size=(1, cols)).astype("float32"),
              rng.normal(size=(rows, 1)).astype("float32"), np.float32(0.7)]
    fast = th.function([m, r, c, s], expr)
    slow = th.function([m, r, c, s], expr, mode="FAST_COMPILE")
    assert _composites(fast)
    np.testing.assert_allclose(fast(*values), slow(*values), rtol=1e-6, atol=1e-6)


def test_a_big_update_in_blocks_is_written_in_place():
    rng = np.random.default_rng(3)
    w = th.shared(rng.normal(size=(784, 500)).astype("float32"), name="w")
    acc = th.shared(np.ones((784, 500), "float32"), name="acc")
    g = T.matrix("g")
    new_acc = 0.9 * acc + 0.1 * g ** 2
    f = th.function([g], [], updates=[(acc, new_acc), (w, w - 1e-3 * g / T.sqrt(new_acc + 1e-6))])
    storage, w0, gv = acc.container, w.get_value(), rng.normal(size=(784, 500)).astype("float32")
    f(gv)
    expected_acc = 0.9 + 0.1 * gv.astype("float64") ** 2
    assert acc.container is storage
    np.testing.assert_allclose(acc.get_value(), expected_acc, rtol=1e-6)
    np.testing.assert_allclose(w.get_value(), w0 - 1e-3 * gv / np.sqrt(expected_acc + 1e-6), rtol=1e-5, atol=1e-7)


# Epilogues: a convolution finishes its result chunk by chunk (ops.composite.Finished) --------

def _finished(f):
    from minitheano.ops.composite import Finished
    return [n for n in th.graph.toposort(f.linked) if isinstance(n.op, Finished)]


def _conv_layer():
    x, w, b = T.tensor4("x"), T.tensor4("w"), T.vector("b")
    return x, w, b, T.relu(T.nnet.conv2d(x, w) + b.dimshuffle("x", 0, "x", "x"))


def test_bias_and_relu_are_applied_by_the_convolution(capsys):
    x, w, b, y = _conv_layer()
    f = th.function([x, w, b], y)
    assert len(f.order) == 2 and len(_finished(f)) == 1 and "fuse_epilogues" in f.rewrites_applied
    th.debugprint(f.linked)
    assert "conv2d{valid} then {relu((_ + i0))}" in capsys.readouterr().out
    rng = np.random.default_rng(0)
    xv, wv = rng.normal(size=(37, 3, 9, 8)).astype("float32"), rng.normal(size=(5, 3, 3, 2)).astype("float32")
    bv = rng.normal(size=5).astype("float32")
    slow = th.function([x, w, b], y, mode="FAST_COMPILE")
    np.testing.assert_allclose(f(xv, wv, bv), slow(xv, wv, bv), rtol=1e-5, atol=1e-5)
    conv = th.function([x, w], T.nnet.conv2d(x, w), mode="FAST_COMPILE")(xv, wv)
    np.testing.assert_allclose(f(xv, wv, bv), np.maximum(conv + bv[:, None, None], 0), rtol=1e-5, atol=1e-5)


def test_the_relu_gradient_is_applied_by_the_input_gradient():
    rng = np.random.default_rng(1)
    x, w, b, y = _conv_layer()
    w2 = T.tensor4("w2")
    z = T.relu(T.nnet.conv2d(y, w2, border_mode="half"))
    loss = (z * z).sum()
    grads = th.grad(loss, [x, w, b, w2])
    fast = th.function([x, w, b, w2], grads)
    slow = th.function([x, w, b, w2], grads, mode="FAST_COMPILE")
    formulas = [str(n.op) for n in _finished(fast)]
    assert any("conv2d_grad_inputs" in s and "relu_grad(i0, _)" in s for s in formulas), formulas
    values = [rng.normal(size=(40, 2, 7, 7)).astype("float32"), rng.normal(size=(4, 2, 3, 3)).astype("float32"),
              rng.normal(size=4).astype("float32"), rng.normal(size=(3, 4, 3, 3)).astype("float32")]
    for a, e in zip(fast(*values), slow(*values)):
        np.testing.assert_allclose(a, e, rtol=2e-4, atol=2e-4)


def test_an_epilogue_that_broadcasts_beyond_the_convolution_falls_back():
    # One image convolved, then added to a whole batch: the chain's result is larger than the
    # convolution's, so the kernel leaves the epilogue to the op, which applies it afterwards.
    x, w, big = T.tensor4("x"), T.tensor4("w"), T.tensor4("big")
    y = T.nnet.conv2d(x, w) * 2 + big
    f = th.function([x, w, big], y)
    assert _finished(f)
    rng = np.random.default_rng(2)
    xv, wv = rng.normal(size=(1, 2, 6, 6)).astype("float32"), rng.normal(size=(3, 2, 3, 3)).astype("float32")
    bigv = rng.normal(size=(5, 3, 4, 4)).astype("float32")
    expected = th.function([x, w, big], y, mode="FAST_COMPILE")(xv, wv, bigv)
    assert expected.shape == (5, 3, 4, 4)
    np.testing.assert_allclose(f(xv, wv, bigv), expected, rtol=1e-5, atol=1e-5)


def test_a_convolution_read_elsewhere_keeps_its_own_node():
    x, w = T.tensor4("x"), T.tensor4("w")
    c = T.nnet.conv2d(x, w)
    f = th.function([x, w], [T.relu(c), c.sum()])
    assert not _finished(f)


def test_a_bias_gradient_is_summed_only_where_it_was_broadcast():
    # x (n, 2) + b (1, 2): x's gradient needs no sum (b has length 1 along axis 0, x has the
    # result's known length along axis 1), b's does; an x that may be broadcast is still summed.
    x, b = T.matrix("x", shape=(None, 2)), T.matrix("b", shape=(1, 2))
    gx, gb = th.grad(((x + b) ** 2).sum(), [x, b])
    nodes = [str(n.op) for n in th.graph.toposort([gx])]
    assert "SumToShape" not in nodes
    f = th.function([x, b], [gx, gb])
    xv, bv = np.float32([[1, 2], [3, 4], [5, 6]]), np.float32([[1, -1]])
    np.testing.assert_allclose(f(xv, bv)[0], 2 * (xv + bv))
    np.testing.assert_allclose(f(xv, bv)[1], (2 * (xv + bv)).sum(axis=0, keepdims=True))
    u, v = T.matrix("u"), T.matrix("v")
    gu = th.grad(((u + v) ** 2).sum(), u)
    one_row = np.float32([[1, 2]])
    np.testing.assert_allclose(th.function([u, v], gu)(one_row, xv), (2 * (one_row + xv)).sum(0, keepdims=True))


@pytest.mark.parametrize("after_conv", [True, False])
def test_the_tanh_gradient_is_applied_by_the_pooling_gradient(after_conv):
    # After a convolution the maps are channels-last and the pooling gradient applies tanh's
    # gradient part by part; on channels-first maps (a tanh of the input) the op applies it after.
    # (A relu's mask is taken on the pooled maps instead: relu_grad_before_max_pool_grad.)
    rng = np.random.default_rng(4)
    x, w, b = T.tensor4("x"), T.tensor4("w"), T.vector("b")
    h = T.tanh(T.nnet.conv2d(x, w) + b.dimshuffle("x", 0, "x", "x") if after_conv else x * 2)
    pooled = T.nnet.pool_2d(h, (2, 2), ignore_border=True)
    loss = (pooled ** 2).sum()
    wrt = [x, w, b] if after_conv else [x]
    fast = th.function([x, w, b], th.grad(loss, wrt), on_unused_input="ignore")
    slow = th.function([x, w, b], th.grad(loss, wrt), mode="FAST_COMPILE", on_unused_input="ignore")
    assert any(str(n.op).startswith("max_pool_grad") and "(i0 * i0)" in str(n.op) for n in _finished(fast)), \
        [str(n.op) for n in _finished(fast)]
    values = [rng.normal(size=(64, 3, 10, 10)).astype("float32"), rng.normal(size=(4, 3, 3, 3)).astype("float32"),
              rng.normal(size=4).astype("float32")]
    for a, e in zip(fast(*values), slow(*values)):
        np.testing.assert_allclose(a, e, rtol=2e-4, atol=2e-4)


def test_per_channel_arithmetic_on_channels_last_maps_matches_the_unfused_values():
    # Batch norm's arithmetic on a convolution's (channels-last) maps: per-channel means and
    # scales, broadcast views (broadcast_like) and scalars, run as rows of the maps' memory.
    rng = np.random.default_rng(6)
    x, w, gamma = T.tensor4("x"), T.tensor4("w"), T.vector("gamma")
    c = T.nnet.conv2d(x, w)
    mean = c.mean(axis=(0, 2, 3), keepdims=True)
    centred = c - mean
    inv = 1 / T.sqrt((centred ** 2).mean(axis=(0, 2, 3), keepdims=True) + 1e-4)
    y = T.relu(centred * inv * gamma.dimshuffle("x", 0, "x", "x") + 0.5)
    loss = (y * c).sum()
    outputs = [y] + th.grad(loss, [x, w, gamma])
    fast = th.function([x, w, gamma], outputs)
    slow = th.function([x, w, gamma], outputs, mode="FAST_COMPILE")
    values = [rng.normal(size=(80, 3, 18, 18)).astype("float32"), rng.normal(size=(8, 3, 3, 3)).astype("float32"),
              rng.uniform(0.5, 2, size=8).astype("float32")]
    for a, e in zip(fast(*values), slow(*values)):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-3 * np.abs(e).max())
