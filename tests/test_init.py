"""Initialisers: dtypes, shapes, the statistics each promises, seeding."""
import numpy as np
import pytest

from minitheano import init
from minitheano.random import set_seed


def test_constant_fills_and_is_floatx():
    w = init.Constant(0.25)((3, 4))
    assert w.dtype == np.float32 and w.shape == (3, 4)
    np.testing.assert_array_equal(w, np.full((3, 4), 0.25, np.float32))


def test_normal_mean_and_std():
    set_seed(0)
    w = init.Normal(std=0.5, mean=1.0)((200, 300))
    assert w.dtype == np.float32
    assert abs(w.mean() - 1.0) < 0.01 and abs(w.std() - 0.5) < 0.01


@pytest.mark.parametrize("spec, lo, hi", [({"range": 0.3}, -0.3, 0.3), ({"range": (1.0, 2.0)}, 1.0, 2.0),
                                          ({"std": 0.2, "mean": 0.5}, 0.5 - 0.2 * 3 ** 0.5, 0.5 + 0.2 * 3 ** 0.5)])
def test_uniform_range(spec, lo, hi):
    set_seed(1)
    w = init.Uniform(**spec)((400, 250))
    assert w.min() >= lo and w.max() <= hi
    assert w.min() < lo + 0.01 * (hi - lo) and w.max() > hi - 0.01 * (hi - lo)
    assert abs(w.mean() - (lo + hi) / 2) < 0.01 * (hi - lo)


def test_glorot_uniform_dense_range_and_std():
    set_seed(2)
    fan_in, fan_out = 784, 500
    w = init.GlorotUniform()((fan_in, fan_out))
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    assert w.dtype == np.float32
    assert np.abs(w).max() <= limit + 1e-7 and np.abs(w).max() > 0.99 * limit
    assert abs(w.std() - np.sqrt(2.0 / (fan_in + fan_out))) < 0.01 * np.sqrt(2.0 / (fan_in + fan_out))


def test_glorot_uniform_conv_uses_the_receptive_field():
    set_seed(3)
    w = init.GlorotUniform()((32, 16, 3, 3))
    limit = np.sqrt(6.0 / ((32 + 16) * 9))
    assert np.abs(w).max() <= limit + 1e-7 and np.abs(w).max() > 0.98 * limit


def test_glorot_relu_gain_and_normal_variant():
    set_seed(4)
    std = np.sqrt(2.0) * np.sqrt(2.0 / (300 + 200))
    w = init.GlorotNormal(gain="relu")((300, 200))
    assert abs(w.std() - std) < 0.02 * std and abs(w.mean()) < 0.02 * std
    u = init.GlorotUniform(gain="relu")((300, 200))
    assert np.abs(u).max() <= std * np.sqrt(3) + 1e-7


def test_he_normal_std_dense_and_conv():
    set_seed(5)
    w = init.HeNormal(gain="relu")((400, 300))
    assert abs(w.std() - np.sqrt(2.0 / 400)) < 0.02 * np.sqrt(2.0 / 400)
    c = init.HeNormal()((64, 8, 5, 5))
    assert abs(c.std() - np.sqrt(1.0 / 200)) < 0.02 * np.sqrt(1.0 / 200)


def test_he_uniform_range():
    set_seed(6)
    w = init.HeUniform(gain="relu")((500, 100))
    limit = np.sqrt(3) * np.sqrt(2.0 / 500)
    assert np.abs(w).max() <= limit + 1e-7 and np.abs(w).max() > 0.99 * limit


def test_fan_based_initialisers_need_two_dims():
    with pytest.raises(RuntimeError, match="at least 2 dims"):
        init.GlorotUniform()((10,))
    with pytest.raises(ValueError, match="relu"):
        init.HeNormal(gain="tanh")


def test_set_seed_makes_draws_reproducible():
    set_seed(42)
    a = init.GlorotUniform()((20, 30))
    b = init.GlorotUniform()((20, 30))
    set_seed(42)
    np.testing.assert_array_equal(a, init.GlorotUniform()((20, 30)))
    assert not np.array_equal(a, b)
