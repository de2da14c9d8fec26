"""The strict backend (``MINITHEANO_DEVICE=strict``): a cupy stand-in that refuses implicit host conversions.

First the array type itself: what it refuses, and that what it computes equals numpy. Then small
training steps run on it in a subprocess and compared with the numpy backend: the GPU path,
tested without a GPU.
"""
import copy
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import minitheano as th
from minitheano import backend, strict

@pytest.fixture
def a():
    return strict.asarray(np.arange(12, dtype="float32").reshape(3, 4))


# --- the array type ----------------------------------------------------------------------------

@pytest.mark.parametrize("convert", [np.asarray, np.array, lambda v: np.exp(v), lambda v: np.concatenate([v, v]),
                                     lambda v: np.sum(v), lambda v: v + np.ones(4, "float32"),
                                     lambda v: np.ones(4, "float32") * v, lambda v: strict.add(v, np.ones(4))])
def test_implicit_conversions_to_host_raise(a, convert):
    with pytest.raises(TypeError):
        convert(a)


SCALAR_CONVERSIONS = {"float": (float, 1.0), "int": (int, 1), "bool": (bool, True), "complex": (complex, 1 + 0j),
                      "format": (lambda v: f"{v:.2f}", "1.00")}


@pytest.mark.parametrize("name", SCALAR_CONVERSIONS)
def test_scalar_conversions_raise_unless_sync_is_allowed(a, name, monkeypatch):
    convert, expected = SCALAR_CONVERSIONS[name]
    with pytest.raises(TypeError, match="to_host"):
        convert(a[0, 1])
    monkeypatch.setattr(strict, "allow_sync", True)  # cupy's own rule: one element converts (and syncs)
    assert convert(a[0, 1]) == expected
    with pytest.raises(TypeError, match="length-1"):
        convert(a)


def test_a_device_array_is_never_an_index(a, monkeypatch):
    monkeypatch.setattr(strict, "allow_sync", True)
    with pytest.raises(TypeError):
        [0, 1][a[0, 1]]


def test_explicit_transfers_return_numpy(a):
    host = np.arange(12, dtype="float32").reshape(3, 4)
    for value in (a.get(), strict.asnumpy(a), backend.to_host(a)):
        assert type(value) is np.ndarray
        np.testing.assert_array_equal(value, host)
    assert a[2, 3].item() == 11.0 and a.tolist()[1] == [4.0, 5.0, 6.0, 7.0]
    value = a.get()
    value[0, 0] = 99  # a copy: the device array is unchanged
    assert a[0, 0].item() == 0.0


def test_host_data_is_copied_to_the_device():
    host = np.ones(3, "float32")
    dev = strict.asarray(host)
    host[0] = 5
    assert dev.get()[0] == 1 and strict.array([1, 2]).dtype == np.array([1, 2]).dtype


def test_arithmetic_and_functions_equal_numpy(a):
    h = a.get()
    pairs = [(a * 2 + 1, h * 2 + 1), (-a ** 2, -h ** 2), (a @ a.T, h @ h.T), (a > 5, h > 5),
             (strict.exp(a / 10), np.exp(h / 10)), (strict.maximum(a, 4), np.maximum(h, 4)),
             (a.sum(axis=0), h.sum(axis=0)), (a.max(axis=-1, keepdims=True), h.max(axis=-1, keepdims=True)),
             (strict.where(a > 3, a, 0), np.where(h > 3, h, 0)), (strict.concatenate([a, a], axis=1),
                                                                    np.concatenate([h, h], axis=1)),
             (a.reshape(4, 3).T.astype("float64"), h.reshape(4, 3).T.astype("float64")),
             (a[strict.asarray(np.array([2, 0]))], h[[2, 0]]), (a[np.array([1])], h[[1]]), (a[:, 1:3], h[:, 1:3]),
             (strict.dot(a, a.T), np.dot(h, h.T)), (strict.linalg.norm(a), np.linalg.norm(h)),
             (strict.lib.stride_tricks.as_strided(a, (2, 2), a.strides),
              np.lib.stride_tricks.as_strided(h, (2, 2), h.strides))]
    for dev, host in pairs:
        assert type(dev) is strict.ndarray
        assert dev.dtype == np.asarray(host).dtype and dev.shape == np.shape(host)
        np.testing.assert_allclose(dev.get(), host, rtol=1e-6)


def test_reductions_stay_on_the_device_as_zero_d_arrays(a):
    total = a.sum()
    assert type(total) is strict.ndarray and total.shape == () and total.item() == 66.0


def test_out_arguments_and_ufunc_methods_write_in_place(a):
    out = strict.empty((3, 4), dtype="float32")
    assert strict.add(a, 1, out=out) is out
    np.testing.assert_array_equal(out.get(), a.get() + 1)
    counts = strict.zeros(3, dtype="float32")
    strict.add.at(counts, strict.asarray(np.array([0, 2, 2])), 1.0)
    np.testing.assert_array_equal(counts.get(), [1, 0, 2])
    b = a.copy()
    b += a
    b[0] = 0
    np.testing.assert_array_equal(b.get(), np.vstack([np.zeros(4), 2 * a.get()[1:]]))
    b[0] = np.asarray(np.float32(3))
    with pytest.raises(ValueError, match="non-scalar numpy.ndarray"):
        b[1:] = np.ones((2, 4), "float32")  # cupy takes no host array here either


def test_random_draws_device_arrays():
    sample = strict.random.default_rng(0).normal(size=(2, 3))
    assert type(sample) is strict.ndarray
    np.testing.assert_array_equal(sample.get(), np.random.default_rng(0).normal(size=(2, 3)))


def test_cupy_only_and_host_only_names_are_absent(a):
    for name in ("ElementwiseKernel", "RawKernel", "fuse", "errstate", "matrix"):
        assert not hasattr(strict, name)
    for name in ("ctypes", "data", "__array_interface__", "__array_namespace__"):
        assert not hasattr(a, name)


def test_copies_and_pickles(a):
    for twin in (copy.copy(a), copy.deepcopy(a), pickle.loads(pickle.dumps(a))):
        assert type(twin) is strict.ndarray
        np.testing.assert_array_equal(twin.get(), a.get())


def test_backend_selects_strict(monkeypatch):
    monkeypatch.setattr(th.config, "device", "strict")
    assert backend.xp() is strict
    assert type(backend.asarray([1.0, 2.0])) is strict.ndarray
    monkeypatch.setattr(th.config, "device", "tpu")
    with pytest.raises(ValueError, match="'cpu', 'gpu' or 'strict'"):
        backend.xp()


# --- training steps on the strict backend, against numpy ------------------------------------

WORKER = r"""
import sys
import numpy as np
import minitheano as th
import minitheano.tensor as T
from minitheano import layers, nonlinearities, objectives, updates
from minitheano.random import set_seed

kind, path = sys.argv[1], sys.argv[2]
set_seed(0)
rng = np.random.default_rng(0)
if kind.startswith("mlp"):
    X = rng.normal(size=(32, 1, 6, 6)).astype("float32")
    net = l_in = layers.InputLayer((None, 1, 6, 6))
    if kind == "mlp_dropout":
        net = layers.DropoutLayer(net, p=0.2)
    net = layers.DenseLayer(net, 16, nonlinearity=nonlinearities.rectify)
    step = lambda loss, params: updates.rmsprop(loss, params, learning_rate=0.01)
else:
    X = rng.normal(size=(8, 1, 10, 10)).astype("float32")
    net = l_in = layers.InputLayer((None, 1, 10, 10))
    net = layers.Conv2DLayer(net, 4, 3, nonlinearity=nonlinearities.rectify)
    net = layers.MaxPool2DLayer(net, 2)
    step = lambda loss, params: updates.momentum(loss, params, learning_rate=0.05)
net = layers.DenseLayer(net, 5, nonlinearity=nonlinearities.softmax)
y = rng.integers(0, 5, len(X)).astype("int32")
yv = T.ivector("y")
loss = objectives.categorical_crossentropy(layers.get_output(net), yv).mean()
params = layers.get_all_params(net, trainable=True)
train = th.function([l_in.input_var, yv], loss, updates=step(loss, params))
losses = [train(X, y) for _ in range(3)]
assert all(type(v) is np.ndarray for v in losses), "outputs come back as numpy"
assert type(params[0].container).__module__ == ("numpy" if th.config.device == "cpu" else "minitheano.strict")
pred = th.function([l_in.input_var], layers.get_output(net, deterministic=True))(X)
np.savez(path, losses=np.array(losses), pred=pred, *[p.get_value() for p in params])
"""


def _run(kind, device, tmp_path, sync="raise"):
    path = tmp_path / f"{kind}-{device}-{sync}.npz"
    env = {**os.environ, "MINITHEANO_DEVICE": device, "MINITHEANO_STRICT_SYNC": sync}
    done = subprocess.run([sys.executable, "-c", WORKER, kind, str(path)], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(np.load(path))


def _same_as_numpy(kind, tmp_path, sync):
    on_strict, on_numpy = _run(kind, "strict", tmp_path, sync), _run(kind, "cpu", tmp_path)
    assert on_strict.keys() == on_numpy.keys()
    for key in on_numpy:
        np.testing.assert_allclose(on_strict[key], on_numpy[key], rtol=1e-4, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("kind", ["mlp", "mlp_dropout", "conv"])
def test_training_step_on_strict_equals_numpy(kind, tmp_path):
    """No implicit host conversion at all: what the course asks of its GPU path."""
    _same_as_numpy(kind, tmp_path, "raise")


@pytest.mark.parametrize("kind", ["mlp", "mlp_dropout", "conv"])
def test_training_step_runs_where_cupy_would(kind, tmp_path):
    """Scalar syncs allowed, as cupy allows them: what would crash on a real GPU."""
    _same_as_numpy(kind, tmp_path, "allow")


def test_device_arrays_pass_as_inputs_and_shared_values(monkeypatch):
    monkeypatch.setattr(th.config, "device", "strict")
    x = th.tensor.vector("x")
    W = th.shared(np.ones(3, "float32"), name="W")
    W.set_value(strict.asarray(np.arange(3, dtype="float32")))
    f = th.function([x], x * W)
    np.testing.assert_array_equal(f(strict.asarray(np.full(3, 2, "float32"))), [0, 2, 4])
    with pytest.raises(TypeError, match="dtype float32"):
        f(strict.asarray(np.ones(3, "float64")))


@pytest.mark.slow
@pytest.mark.mnist
def test_notebook_03_runs_on_the_strict_backend(mnist):
    """Notebook 03 (fast mode) end to end with every array on the stand-in device."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "grader/run_course.py", "03_mlp_mnist"], cwd=root, capture_output=True,
                          text=True, timeout=900, check=False,
                          env={**os.environ, "COURSE_MODE": "fast", "MINITHEANO_DEVICE": "strict"})
    assert done.returncode == 0, done.stdout[-3000:]
    assert "result mlp_test_accuracy:" in done.stdout
