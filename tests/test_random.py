"""Random streams: samples with the right distribution, state that advances on every call
through ``default_update``, and reproducibility from a seed."""
import numpy as np
import pytest

import minitheano as th
import minitheano.tensor as T
from minitheano.random import RandomStreams, get_rng, set_seed


def test_each_call_draws_a_new_sample():
    srng = RandomStreams(seed=1)
    u = srng.uniform((4, 5))
    f = th.function([], u)
    first, second = f(), f()
    assert first.shape == (4, 5) and first.dtype == np.float32
    assert not np.array_equal(first, second)
    assert ((first >= 0) & (first < 1)).all()


def test_state_is_a_shared_variable_with_a_default_update():
    srng = RandomStreams(seed=1)
    u = srng.normal((3,))
    state = u.owner.inputs[0]
    assert isinstance(state, th.SharedVariable) and state.default_update is not None
    before = state.get_value()
    th.function([], u)()
    after = state.get_value()
    assert not np.array_equal(before, after)


def test_same_seed_same_sequence():
    def draws(seed):
        srng = RandomStreams(seed=seed)
        f = th.function([], [srng.uniform((2, 3)), srng.binomial((5,), p=0.5)])
        return [np.concatenate([a.ravel(), b.ravel()]) for a, b in (f() for _ in range(3))]

    a, b, c = draws(5), draws(5), draws(6)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])


def test_two_streams_of_one_generator_differ():
    srng = RandomStreams(seed=3)
    f = th.function([], [srng.uniform((50,)), srng.uniform((50,))])
    a, b = f()
    assert not np.array_equal(a, b)


def test_identical_draws_are_not_merged():
    srng = RandomStreams(seed=3)
    x = T.vector("x")
    out = x * srng.uniform((4,)) - x * srng.uniform((4,))
    got = th.function([x], out)(np.ones(4, "float32"))
    assert np.abs(got).sum() > 0


def test_sample_and_update_come_from_one_draw():
    # The value returned and the value used elsewhere in the same call must be the same draw.
    srng = RandomStreams(seed=2)
    u = srng.uniform((6,))
    f = th.function([], [u, u * 2])
    a, b = f()
    np.testing.assert_allclose(b, 2 * a)


def test_distributions():
    srng = RandomStreams(seed=11)
    u = srng.uniform((20000,), low=-2.0, high=3.0)
    n = srng.normal((20000,), avg=1.5, std=0.5)
    b = srng.binomial((20000,), p=0.3)
    vu, vn, vb = th.function([], [u, n, b])()
    assert vu.min() >= -2 and vu.max() < 3 and abs(vu.mean() - 0.5) < 0.05
    assert abs(vn.mean() - 1.5) < 0.02 and abs(vn.std() - 0.5) < 0.02
    assert vb.dtype == np.int64 and set(np.unique(vb)) == {0, 1} and abs(vb.mean() - 0.3) < 0.02
    with pytest.raises(NotImplementedError):
        srng.binomial((3,), n=2)


def test_dropout_mask_of_symbolic_shape_changes_every_call():
    srng = RandomStreams(seed=4)
    x = T.matrix("x")
    mask = srng.binomial(x.shape, p=0.5, dtype="float32")
    f = th.function([x], x * mask)
    v = np.ones((8, 8), "float32")
    m1, m2 = f(v), f(v)
    assert m1.shape == (8, 8) and m1.dtype == np.float32
    assert set(np.unique(m1)) <= {0.0, 1.0} and not np.array_equal(m1, m2)


def test_gradient_through_a_dropout_mask_uses_the_same_mask():
    srng = RandomStreams(seed=8)
    x = T.vector("x")
    mask = srng.binomial((10,), p=0.5, dtype="float32")
    y = x * mask
    f = th.function([x], [y, th.grad((y * 3).sum(), x)])
    out, g = f(np.ones(10, "float32"))
    np.testing.assert_array_equal(g, 3 * out)


def test_explicit_update_of_the_state_overrides_the_default():
    srng = RandomStreams(seed=9)
    u = srng.uniform((3,))
    state = u.owner.inputs[0]
    frozen = th.function([], u, updates={state: state})
    np.testing.assert_array_equal(frozen(), frozen())


def test_set_seed_makes_global_generator_and_default_streams_reproducible():
    set_seed(123)
    first = get_rng().normal(size=3)
    f1 = th.function([], RandomStreams().uniform((4,)))
    set_seed(123)
    np.testing.assert_array_equal(get_rng().normal(size=3), first)
    f2 = th.function([], RandomStreams().uniform((4,)))
    np.testing.assert_array_equal(f1(), f2())


def test_size_needs_a_known_number_of_dims():
    srng = RandomStreams(seed=1)
    with pytest.raises(ValueError, match="known number of dims"):
        srng.uniform(T.lvector("shape"))
