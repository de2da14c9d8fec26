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
