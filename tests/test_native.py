"""Composites compiled for the CPU (``kernels.native``): the same values as numpy's plan to the
bit, for each op it compiles, each layout a call can bring (a bias row, channels-last image maps,
in place), every large composite of the course's training steps, and whole training steps; and
numpy's plan where there is no compiler, the compiler fails, or a call's arrays do not fit."""
import shutil
import warnings

import numpy as np
import pytest

import minitheano as th
import minitheano.tensor as T
from minitheano.config import config
from minitheano.graph import Constant, toposort
from minitheano.kernels import compiler, fused, native
from minitheano.ops.composite import Composite, Finished
from minitheano.ops.elemwise import relu_grad
from test_cuda_source import bn_dropout_net

pytestmark = pytest.mark.skipif(not config.cxx or shutil.which(config.cxx.split()[0]) is None,
                                reason="needs a C++ compiler (g++; MINITHEANO_CXX) for the host kernels")


def composites_of(f):
    """(nodes, inputs) of every composite ``f`` runs: its own and those finishing a kernel."""
    found = []
    for node in toposort(f.linked):
        if isinstance(node.op, Finished):
            node = node.op._parts(node.inputs)[1]
        if isinstance(node.op, Composite):
            found.append((node.op.inner_nodes(node.inputs), node.inputs))
    return found


def values_for(inputs, shape, rng):
    """Values of ``inputs`` broadcasting to ``shape`` (their static shapes padded on the left): floats
    with 10% exact zeros and a few NaNs and infinities, the known constants as they are."""
    values = []
    for v in inputs:
        if isinstance(v, Constant):
            values.append(np.asarray(v.data))
            continue
        own = tuple(s if d is None or d != 1 else 1 for d, s in zip(v.type.shape, shape[len(shape) - v.ndim:]))
        if np.dtype(v.dtype).kind == "b":
            values.append(rng.random(own) < 0.5)
            continue
        a = rng.normal(size=own).astype(v.dtype)
        a[rng.random(own) < 0.1] = 0
        a.flat[::97] = np.nan
        a.flat[5::101] = np.inf
        a.flat[7::103] = -np.inf
        values.append(a)
    return values


def numpy_plan(nodes, inputs):
    """The same chain run as numpy ufuncs, the compiler left out."""
    saved, config.cxx = config.cxx, ""
    try:
        return fused.composite_thunk(nodes, inputs, np)
    finally:
        config.cxx = saved


def assert_same_as_numpy(nodes, inputs, values, out=None):
    kernel = native.host_kernel(nodes, inputs)
    assert kernel is not None, [str(n.op) for n in nodes]
    with np.errstate(all="ignore"):
        expected = numpy_plan(nodes, inputs)(*[v.copy() for v in values])
        got = kernel(*values, out=out)
    assert got is not NotImplemented, [(v.shape, v.strides) for v in values]
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected, err_msg=" ".join(str(n.op) for n in nodes))
    return got


def single_composite(expr, *variables):
    f = th.function(list(variables), expr)
    found = composites_of(f)
    assert len(found) == 1, found
    return found[0]


x, y, z = T.matrix("x"), T.matrix("y"), T.vector("z")
CHAINS = {
    "arithmetic": (x * y + x / (y + 2) - (-x) * 3, x, y),
    "sqrt and square": (T.sqrt(T.abs_(x) + 1e-3) * T.square(y) - T.sqrt(T.square(x) + y), x, y),
    "max, min, clip, relu": (T.maximum(x, y) - T.minimum(x, 0.5) + T.clip(y * 2, -1, 1) + T.relu(x - y), x, y),
    "relu gradient": (relu_grad(x, y / 0.6) * 2, x, y),
    "comparisons to floats": (T.cast(T.lt(x, y), "float32") + (x > 0) * y + T.cast(T.le(x, 0) | T.ge(y, 1), "float32")
                              + T.cast(T.eq(x, y) & T.neq(y, 0), "float32"), x, y),
    "switch and nan": (T.switch(T.isnan(x), y, x * 2) + T.switch(x > y, x, y), x, y),
    "a bias row": (T.relu(x * 2 + z) - z * y, x, y, z),
    "comparisons combined": ((T.gt(x, y) & T.lt(x, 1)) | T.isnan(y), x, y),
}


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_each_compiled_op_gives_numpys_values_to_the_bit(name):
    expr, *variables = CHAINS[name]
    nodes, inputs = single_composite(expr, *variables)
    assert_same_as_numpy(nodes, inputs, values_for(inputs, (61, 70), np.random.default_rng(0)))


def test_exp_log_and_tanh_are_left_to_numpy():
    """Their libm and numpy roundings differ: no kernel, so results do not depend on a compiler."""
    for expr in (T.exp(x) * y + 1, T.log(T.abs_(x) + 1) * y, T.tanh(x) * y - x):
        nodes, inputs = single_composite(expr, x, y)
        assert native.host_kernel(nodes, inputs) is None


def test_bit_flips_and_casts_to_integers_are_left_to_numpy():
    """numpy's ~ of an int8 comparison flips its bits; C leaves a NaN cast to an integer undefined."""
    for expr in (T.cast(T.invert(T.gt(x, y)), "float32") * x, T.cast(T.cast(x * 100, "int16"), "float32") + y):
        nodes, inputs = single_composite(expr, x, y)
        assert native.host_kernel(nodes, inputs) is None


def test_small_results_are_left_to_numpy():
    """Under MIN_SIZE values the call would cost more than numpy's passes: known when compiling
    where the static shape says it, else at the call."""
    s = T.TensorType("float32", (20, 30))("s")
    nodes, inputs = single_composite(T.square(s) * 0.9 + 1, s)
    assert native.host_kernel(nodes, inputs) is None
    nodes, inputs = single_composite(z * 0.9 + T.square(z), z)
    small = np.arange(500, dtype=np.float32)
    assert native.host_kernel(nodes, inputs)(small, np.float32(0.9)) is NotImplemented
    np.testing.assert_array_equal(fused.composite_thunk(nodes, inputs, np)(small, np.float32(0.9)),
                                  small * np.float32(0.9) + np.square(small))


def test_channels_last_maps_with_a_per_channel_operand():
    """Image maps stored channels-last (as the convolutions write them) with a bias per channel."""
    m, g = T.tensor4("m"), T.tensor4("g")
    b = T.TensorType("float32", (1, None, 1, 1))("b")
    nodes, inputs = single_composite(T.relu(m + b) * g - b, m, b, g)
    rng = np.random.default_rng(1)
    maps = [np.ascontiguousarray(rng.normal(size=(5, 9, 11, 7)).astype(np.float32)).transpose(0, 3, 1, 2)
            for _ in range(2)]
    bias = rng.normal(size=(1, 7, 1, 1)).astype(np.float32)
    got = assert_same_as_numpy(nodes, inputs, [maps[0], bias, maps[1]])
    assert got.transpose(0, 2, 3, 1).flags.c_contiguous  # the result keeps its operands' layout


def test_the_result_can_overwrite_an_operand():
    nodes, inputs = single_composite(x * 0.9 + T.square(y) * 0.1, x, y)
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(300, 40)).astype(np.float32), rng.normal(size=(300, 40)).astype(np.float32)
    expected = a * np.float32(0.9) + np.square(b) * np.float32(0.1)
    args = [a if v is x else b if v is y else np.asarray(v.data) for v in inputs]
    got = native.host_kernel(nodes, inputs)(*args, out=a)
    assert got is a
    np.testing.assert_array_equal(a, expected)


def test_arrays_the_loop_does_not_take_go_to_numpy():
    """A transposed operand, a result that partly overlaps an operand, a batch of one where the
    kernel expects a full operand: the kernel declines, and the composite runs numpy's plan."""
    nodes, inputs = single_composite(x * 2 + y, x, y)
    kernel = native.host_kernel(nodes, inputs)
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(100, 80)).astype(np.float32), rng.normal(size=(80, 100)).astype(np.float32)
    two = np.asarray(inputs[1].data)
    assert kernel(a, two, b.T) is NotImplemented
    buffer = rng.normal(size=(101, 80)).astype(np.float32)
    assert kernel(buffer[1:], two, buffer[:-1], out=buffer[:-1]) is NotImplemented
    assert kernel(a[:1, :1], two, a) is NotImplemented
    run = fused.composite_thunk(nodes, inputs, np)
    np.testing.assert_array_equal(run(a, two, b.T), a * 2 + b.T)
    with pytest.raises(TypeError, match="takes 3 arrays, got 2"):
        kernel(a, b)


def _graph(kind):
    from bench.training import train_graph

    th.random.set_seed(0)
    return bn_dropout_net(8, 200) if kind == "bn" else train_graph(kind)  # big enough to be compiled


@pytest.mark.parametrize("kind", ["mlp", "cnn", "bn"])
def test_the_large_composites_of_a_training_step_are_compiled_with_numpys_values(kind):
    X, target, loss, upd = _graph(kind)
    f = th.function([X, target], loss, updates=upd)
    compiled = 0
    for nodes, inputs in composites_of(f):
        if native.host_kernel(nodes, inputs) is None:
            continue
        static = nodes[-1].outputs[0].type.shape  # a length not known: a batch, or a bias's 4096
        shape = tuple((64 if len(static) > 1 else 4096) if d is None else d for d in static)
        assert_same_as_numpy(nodes, inputs, values_for(inputs, shape, np.random.default_rng(4)))
        compiled += 1
    assert compiled >= {"mlp": 6, "cnn": 4, "bn": 4}[kind]


@pytest.mark.parametrize("kind", ["mlp", "cnn", "bn"])
def test_training_steps_are_the_same_with_and_without_the_compiler(kind, mnist):
    """Five steps of each network, compiled twice from the same seed: equal losses and parameters
    (the same to the bit for the MLP; to float32 rounding where the convolutions are compiled)."""
    runs = []
    saved = config.cxx
    for cxx in (saved, ""):
        config.cxx = cxx
        try:
            X, target, loss, upd = _graph(kind)
            f = th.function([X, target], loss, updates=upd)
        finally:
            config.cxx = saved
        n = 500 if kind == "mlp" else 50
        images = mnist.X_train[:n * 5] if kind != "bn" else mnist.X_train[:n * 5, :, 8:20, 8:20]
        losses = [float(f(images[k * n:(k + 1) * n], mnist.y_train[k * n:(k + 1) * n])) for k in range(5)]
        runs.append((losses, [np.array(s.get_value()) for s in dict(upd)]))
    if kind == "mlp":
        assert runs[0][0] == runs[1][0]
        for a, b in zip(runs[0][1], runs[1][1]):
            np.testing.assert_array_equal(a, b)
    else:  # the compiled convolutions sum in another order, with fused multiply-adds
        np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-5)
        for a, b in zip(runs[0][1], runs[1][1]):
            np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-6)


def test_a_failing_compiler_warns_once_and_numpy_computes(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "compiledir", str(tmp_path))
    monkeypatch.setattr(config, "cxx", "false --no-such-compiler")
    a, b = np.ones((100, 50), np.float32), np.full((100, 50), 2, np.float32)
    with pytest.warns(RuntimeWarning, match="could not compile its kernels with 'false"):
        f = th.function([x, y], x * 3 + y)
    np.testing.assert_array_equal(f(a, b), a * 3 + b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = th.function([x, y], x * 4 - y)
        np.testing.assert_array_equal(g(a, b), a * 4 - b)
    assert not list(tmp_path.glob("*.so"))


def test_a_kernel_is_built_once_and_then_loaded_from_the_compiledir(tmp_path, monkeypatch):
    nodes, inputs = single_composite(x * 5 + y * y, x, y)
    code = native.host_source(nodes, inputs)
    monkeypatch.setattr(config, "compiledir", str(tmp_path))
    monkeypatch.setattr(compiler, "_builds", {})
    first = compiler.build(code)
    assert first.process is not None and first.library() is not None
    [library] = tmp_path.glob("kernel_*.so")
    built = library.stat().st_mtime_ns
    monkeypatch.setattr(compiler, "_builds", {})  # as a new process would
    again = compiler.build(code)
    assert again.process is None and again.library() is not None
    assert library.stat().st_mtime_ns == built and list(tmp_path.iterdir()) == [library]


@pytest.mark.parametrize("shape, channels_last, dtype", [((6, 16, 24, 24), True, "float32"),
                                                         ((3, 70, 9, 11), True, "float32"),
                                                         ((4, 3, 9, 11), False, "float64")])
def test_the_compiled_max_pooling_gradient_gives_numpys_values_to_the_bit(shape, channels_last, dtype, monkeypatch):
    """Tied maxima (the first one takes the gradient), NaN in the maps, infinities in the gradient,
    rows and columns no window covers, more channels than one block of 64."""
    from minitheano.kernels import pool

    rng = np.random.default_rng(5)
    n, c, h, w = shape
    x = np.round(rng.normal(size=(n, h, w, c)) * 2).astype(dtype)
    x.flat[::37] = np.nan
    x = x.transpose(0, 3, 1, 2) if channels_last else np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    y = pool.pool2d(np, x, (2, 2), (2, 2), (0, 0), True, "max")
    gy = rng.normal(size=y.shape).astype(dtype)
    gy.flat[::53] = np.inf
    results = []
    for cxx in (config.cxx, ""):
        monkeypatch.setattr(config, "cxx", cxx)
        with np.errstate(invalid="ignore"):
            results.append(pool.max_pool2d_grad(np, x, y, gy, (2, 2), (2, 2), (0, 0), True))
    np.testing.assert_array_equal(*results)
    assert np.isnan(results[0]).any() and (results[0] == 0).any()


@pytest.mark.parametrize("size", [1, 7, 8, 9, 17, 1001, 250000])
def test_compiled_bernoulli_draws_are_numpys_words(size, monkeypatch):
    """The words of numpy's PCG64, two draws each, the same with and without the compiled loop
    (tails shorter than one round of the four interleaved generators included)."""
    from minitheano.ops.random import _bernoulli

    for p in (0.0, 1e-9, 0.3, 0.6, 1 - 1e-9):
        results = []
        for cxx in (config.cxx, ""):
            monkeypatch.setattr(config, "cxx", cxx)
            results.append(_bernoulli(np.random.default_rng([11, size]), (size,), p))
        np.testing.assert_array_equal(*results)
        assert results[0].dtype == np.float32
    words = np.random.default_rng([11, size]).bit_generator.random_raw((size + 1) // 2).view(np.uint32)[:size]
    monkeypatch.undo()
    draws = _bernoulli(np.random.default_rng([11, size]), (size,), 0.6)
    np.testing.assert_array_equal(draws, words < round(0.6 * 2**32))


def test_the_direct_correlation_agrees_with_the_matrix_products(monkeypatch):
    """The benchmark ConvNet's layers, forward and both gradients: the compiled loops against the
    im2col products, to float32 rounding; other dtypes and filter counts keep the products."""
    from minitheano.kernels import conv, conv_direct

    rng = np.random.default_rng(6)
    for x_shape, w_shape in [((20, 1, 28, 28), (16, 1, 3, 3)), ((20, 16, 26, 26), (16, 16, 3, 3)),
                             ((20, 16, 12, 12), (32, 16, 3, 3)), ((20, 32, 10, 10), (32, 32, 3, 3))]:
        n, c, h, w = x_shape
        x = rng.normal(size=(n, h, w, c)).astype(np.float32).transpose(0, 3, 1, 2)  # channels-last, as a layer's
        filters = rng.normal(size=w_shape).astype(np.float32)
        assert conv_direct.correlator(np, filters, np.float32) is not None
        assert (conv_direct.filter_gradient(np, w_shape, np.float32) is None) == (w_shape[1] == 1)
        results = []
        for cxx in (config.cxx, ""):
            monkeypatch.setattr(config, "cxx", cxx)
            y = conv.correlate2d(np, x, filters, (0, 0), (1, 1))
            results.append((y, conv.correlate2d_grad_input(np, y, filters, x_shape, (0, 0), (1, 1)),
                            conv.correlate2d_grad_weights(np, x, y, w_shape, (0, 0), (1, 1))))
        monkeypatch.undo()
        for got, want in zip(*results):
            np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5 * np.abs(want).max())
    assert conv_direct.correlator(np, np.ones((12, 3, 3, 3), np.float32), np.float32) is None
    assert conv_direct.correlator(np, np.ones((16, 3, 3, 3)), np.float64) is None
