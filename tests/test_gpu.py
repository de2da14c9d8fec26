"""The cupy backend computes what the numpy backend computes (skipped where there is no GPU)."""
import numpy as np
import pytest

import minitheano as th
import minitheano.tensor as T
from minitheano.backend import gpu_available

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not gpu_available(), reason="needs cupy and a CUDA device")]


@pytest.fixture
def on_gpu():
    previous = th.config.device
    th.config.device = "gpu"
    yield
    th.config.device = previous


def _mlp_step():
    rng = np.random.default_rng(0)
    X, y = T.matrix("X"), T.ivector("y")
    W = th.shared(rng.normal(0, 0.1, (20, 5)).astype("float32"), name="W")
    b = th.shared(np.zeros(5, "float32"), name="b")
    loss = T.nnet.categorical_crossentropy(T.nnet.softmax(T.dot(X, W) + b), y).mean()
    gW, gb = th.grad(loss, [W, b])
    fn = th.function([X, y], [loss, gW], updates=[(W, W - 0.1 * gW), (b, b - 0.1 * gb)])
    data = rng.normal(size=(32, 20)).astype("float32"), rng.integers(0, 5, 32).astype("int32")
    return fn, data, W


def test_training_step_matches_cpu(on_gpu):
    fn, data, W = _mlp_step()
    gpu_out = [fn(*data) for _ in range(3)]
    assert type(W.container).__module__.startswith("cupy")
    th.config.device = "cpu"
    fn, data, W_cpu = _mlp_step()
    cpu_out = [fn(*data) for _ in range(3)]
    for (lg, gg), (lc, gc) in zip(gpu_out, cpu_out):
        np.testing.assert_allclose(lg, lc, rtol=1e-4)
        np.testing.assert_allclose(gg, gc, rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(W.get_value(), W_cpu.get_value(), rtol=1e-4, atol=1e-6)


def test_outputs_come_back_as_numpy(on_gpu):
    x = T.vector("x")
    out = th.function([x], T.exp(x).sum())(np.ones(4, "float32"))
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, 4 * np.e, rtol=1e-6)


def _layers_step(kind):
    from minitheano import layers, nonlinearities, objectives, updates
    from minitheano.random import set_seed

    set_seed(0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 1, 10, 10)).astype("float32")
    net = l_in = layers.InputLayer((None, 1, 10, 10))
    if kind == "dropout":
        net = layers.DropoutLayer(layers.DenseLayer(net, 32, nonlinearity=nonlinearities.rectify), p=0.3)
    else:
        net = layers.MaxPool2DLayer(layers.Conv2DLayer(net, 4, 3), 2)
    net = layers.DenseLayer(net, 5, nonlinearity=nonlinearities.softmax)
    y = T.ivector("y")
    loss = objectives.categorical_crossentropy(layers.get_output(net), y).mean()
    params = layers.get_all_params(net, trainable=True)
    fn = th.function([l_in.input_var, y], loss, updates=updates.momentum(loss, params, 0.05))
    losses = [fn(X, rng.integers(0, 5, 16).astype("int32")) for _ in range(3)]
    return losses, [p.get_value() for p in params]


@pytest.mark.parametrize("kind", ["dropout", "conv"])
def test_layers_training_step_matches_cpu(on_gpu, kind):
    """Dropout (shapes and random masks on the device) and conv/pool kernels, as the notebooks use them."""
    gpu_losses, gpu_params = _layers_step(kind)
    th.config.device = "cpu"
    cpu_losses, cpu_params = _layers_step(kind)
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-4)
    for g, c in zip(gpu_params, cpu_params):
        np.testing.assert_allclose(g, c, rtol=1e-3, atol=1e-5)


def test_composites_run_as_generated_elementwise_kernels(on_gpu, monkeypatch):
    """Each fused chain is one cupy.ElementwiseKernel (kernels.cuda), in place for an update too."""
    from minitheano.kernels import fused

    made = []
    real = fused.elementwise_kernel
    monkeypatch.setattr(fused, "elementwise_kernel", lambda *a: made.append(real(*a)) or made[-1])
    x, m = T.matrix("x"), T.matrix("m")
    v = th.shared(np.ones((4, 3), "float32"), name="v")
    f = th.function([x, m], T.relu(x * 2 - 1) * m / 0.6, updates=[(v, 0.9 * v - 0.1 * T.tanh(x))])
    assert made and all(k is not None for k in made)
    rng = np.random.default_rng(0)
    xv, mv = rng.normal(size=(4, 3)).astype("float32"), (rng.random((4, 3)) < 0.6).astype("float32")
    np.testing.assert_allclose(f(xv, mv), np.maximum(xv * 2 - 1, 0) * mv / 0.6, rtol=1e-6)
    np.testing.assert_allclose(v.get_value(), 0.9 - 0.1 * np.tanh(xv), rtol=1e-6)
