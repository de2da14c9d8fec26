"""``function``: outputs, atomic updates, givens, input checking, and run-time errors that
say which node failed and where the user made it."""
from collections import OrderedDict

import numpy as np
import pytest

import minitheano as th
import minitheano.tensor as T
from minitheano import ComputeError, MissingInputError, UnusedInputError
from minitheano.backend import to_host


def f32(*values):
    return np.array(values, dtype="float32")


# Outputs -------------------------------------------------------------------------------

def test_single_output_list_of_outputs_and_tuple():
    x = T.vector("x")
    v = f32(1, 2)
    single = th.function([x], x * 2)(v)
    assert isinstance(single, np.ndarray) and np.array_equal(single, [2, 4])
    pair = th.function([x], [x + 1, x.sum()])(v)
    assert isinstance(pair, list) and np.array_equal(pair[0], [2, 3]) and float(pair[1]) == 3
    assert isinstance(th.function([x], (x,))(v), list)
    assert th.function([x], [], on_unused_input="ignore")(v) == []


def test_scalar_outputs_are_zero_d_arrays():
    x = T.vector("x")
    out = th.function([x], x.sum())(f32(1, 2))
    assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == np.float32


def test_repeated_calls_give_fresh_results():
    x = T.vector("x")
    f = th.function([x], T.exp(x) * 2)
    first = f(f32(0, 1))
    second = f(f32(1, 2))
    np.testing.assert_allclose(first, 2 * np.exp([0, 1]), rtol=1e-6)
    np.testing.assert_allclose(second, 2 * np.exp([1, 2]), rtol=1e-6)
    for _ in range(3):
        np.testing.assert_allclose(f(f32(0, 1)), first)


def test_function_does_not_modify_its_inputs():
    x = T.matrix("x")
    v = np.arange(6, dtype="float32").reshape(2, 3)
    before = v.copy()
    th.function([x], [T.inc_subtensor(x[0], 5.0), T.set_subtensor(x[:, 1], 0.0), T.softmax(x), -x])(v)
    np.testing.assert_array_equal(v, before)


def test_keyword_arguments_by_input_name():
    x, y = T.scalar("x"), T.scalar("y")
    f = th.function([x, y], x - y)
    assert float(f(y=1.0, x=3.0)) == 2.0
    assert float(f(3.0, y=1.0)) == 2.0
    with pytest.raises(TypeError, match="no input named 'z'"):
        f(1.0, z=2.0)


def test_modes_agree_and_bad_mode_is_refused():
    x = T.vector("x")
    out = T.log(1 + T.exp(x)) * 1 + (x - x)
    v = f32(-3, 0, 2)
    fast = th.function([x], out, mode="FAST_RUN")
    plain = th.function([x], out, mode="FAST_COMPILE")
    np.testing.assert_allclose(fast(v), plain(v), rtol=1e-6)
    assert plain.rewrites_applied == [] and fast.rewrites_applied
    with pytest.raises(ValueError, match="mode must be one of"):
        th.function([x], out, mode="FAST")


# Shared variables and updates -------------------------------------------------------------

def test_shared_variable_value_roundtrip():
    w = th.shared(np.ones((2, 2), "float32"), name="W")
    assert w.dtype == "float32" and w.ndim == 2 and w.name == "W"
    value = w.get_value()
    value[0, 0] = 5  # a copy: the shared value does not change
    assert w.get_value()[0, 0] == 1
    w.set_value(np.zeros((3, 2), "float32"))
    assert w.get_value().shape == (3, 2)
    with pytest.raises(TypeError, match="set_value of shared variable W"):
        w.set_value(np.zeros(3, "float32"))
    with pytest.raises(TypeError, match="allow_input_downcast|lose precision"):
        w.set_value(np.zeros((2, 2), "float64"))


def test_shared_dtypes():
    assert th.shared(np.zeros(3)).dtype == "float64"
    assert th.shared(np.zeros(3, "float32")).dtype == "float32"
    assert th.shared(0).dtype == "int64"
    assert th.shared(0.5).dtype == "float32"
    assert th.shared(np.zeros(3), dtype="float32").dtype == "float32"


def test_shared_variables_need_not_be_passed():
    w = th.shared(f32(1, 2, 3), name="w")
    x = T.vector("x")
    f = th.function([x], T.dot(w, x))
    assert float(f(f32(1, 1, 1))) == 6.0
    w.set_value(f32(0, 0, 1))
    assert float(f(f32(1, 1, 1))) == 1.0  # the function reads the current value


def test_updates_see_old_values_and_apply_after_outputs():
    count = th.shared(np.array(0.0, "float32"), name="count")
    acc = th.shared(f32(0, 0), name="acc")
    x = T.vector("x")
    f = th.function([x], [count, acc * 1, count + 10], updates={count: count + 1, acc: acc + x * count})
    out1 = f(f32(1, 2))
    assert float(out1[0]) == 0.0 and np.array_equal(out1[1], [0, 0]) and float(out1[2]) == 10.0
    assert float(count.get_value()) == 1.0 and np.array_equal(acc.get_value(), [0, 0])  # acc + x * old count (0)
    out2 = f(f32(1, 2))
    assert float(out2[0]) == 1.0 and float(out2[2]) == 11.0
    assert float(count.get_value()) == 2.0 and np.array_equal(acc.get_value(), [1, 2])


def test_updates_swap_two_shared_variables_atomically():
    a = th.shared(f32(1, 2), name="a")
    b = th.shared(f32(3, 4), name="b")
    swap = th.function([], [], updates=[(a, b), (b, a)])
    swap()
    assert np.array_equal(a.get_value(), [3, 4]) and np.array_equal(b.get_value(), [1, 2])
    swap()
    assert np.array_equal(a.get_value(), [1, 2]) and np.array_equal(b.get_value(), [3, 4])


@pytest.mark.parametrize("form", ["dict", "OrderedDict", "list of pairs", "tuple of pairs"])
def test_update_forms(form):
    w = th.shared(f32(1, 1), name="w")
    v = th.shared(np.array(1.0, "float32"), name="v")
    pairs = [(w, w * 2), (v, v - 0.5)]
    updates = {"dict": dict, "OrderedDict": OrderedDict, "list of pairs": list, "tuple of pairs": tuple}[form](pairs)
    f = th.function([], w.sum(), updates=updates)
    assert float(f()) == 2.0
    assert np.array_equal(w.get_value(), [2, 2]) and float(v.get_value()) == 0.5
    assert f() is not None and np.array_equal(w.get_value(), [4, 4]) and float(v.get_value()) == 0.0


def test_sgd_step_on_a_shared_parameter():
    rng = np.random.default_rng(0)
    w = th.shared(np.zeros(3, "float32"), name="w")
    x, y = T.matrix("x"), T.vector("y")
    loss = ((T.dot(x, w) - y) ** 2).mean()
    train = th.function([x, y], loss, updates={w: w - 0.1 * th.grad(loss, w)})
    vx = rng.normal(size=(20, 3)).astype("float32")
    true_w = f32(1, -2, 0.5)
    vy = vx @ true_w
    losses = [float(train(vx, vy)) for _ in range(200)]
    assert losses[-1] < 1e-4 < losses[0]
    np.testing.assert_allclose(w.get_value(), true_w, atol=1e-2)


def test_update_errors():
    w = th.shared(f32(1, 2), name="w")
    x = T.vector("x")
    with pytest.raises(TypeError, match="dtype float64, but the shared variable is float32") as info:
        th.function([x], updates={w: w * T.constant(np.array(2.0))})
    assert "astype('float32')" in str(info.value)
    with pytest.raises(TypeError, match="has 0 dims but w has 1"):
        th.function([], updates={w: w.sum()})
    with pytest.raises(TypeError, match="not a shared variable"):
        th.function([x], updates={x: x + 1})
    with pytest.raises(ValueError, match="updated twice"):
        th.function([], updates=[(w, w + 1), (w, w + 2)])


def test_update_with_a_python_number_is_cast():
    i = th.shared(np.array(3, "int32"), name="i")
    th.function([], updates={i: 0})()
    assert i.get_value().dtype == np.int32 and int(i.get_value()) == 0


def test_outputs_do_not_alias_shared_values():
    w = th.shared(f32(1, 2), name="w")
    f = th.function([], [w, w + 1], updates={w: w + 1})
    old, new = f()
    old[:] = 100
    new[:] = 100  # the same expression is w's new value: the caller's copy must be separate
    np.testing.assert_array_equal(w.get_value(), [2, 3])


# givens -------------------------------------------------------------------------------

def test_givens_replace_an_input_with_an_expression():
    x, y = T.vector("x"), T.vector("y")
    out = (x * 2).sum()
    f = th.function([y], out, givens={x: y + 1})
    assert float(f(f32(0, 1))) == 6.0
    g = th.function([y], out, givens=[(x, y[::-1])])
    assert float(g(f32(1, 2))) == 6.0


def test_givens_with_a_minibatch_of_a_shared_dataset():
    data = th.shared(np.arange(12, dtype="float32").reshape(6, 2), name="data")
    index = T.lscalar("index")
    x = T.matrix("x")
    f = th.function([index], x.sum(axis=0), givens={x: data[index * 2:(index + 1) * 2]})
    np.testing.assert_array_equal(f(0), [2, 4])
    np.testing.assert_array_equal(f(2), [18, 20])


def test_givens_apply_to_updates_too():
    w = th.shared(np.array(0.0, "float32"), name="w")
    step = T.scalar("step")
    lr = T.scalar("lr")
    f = th.function([lr], [], updates={w: w + step}, givens={step: lr * 2})
    f(1.5)
    assert float(w.get_value()) == 3.0


def test_givens_errors():
    x = T.vector("x")
    with pytest.raises(TypeError, match="cannot be replaced"):
        th.function([], x.sum(), givens={x: T.matrix("m")})
    with pytest.raises(TypeError, match="givens keys must be variables"):
        th.function([x], x.sum(), givens={"x": x})


def test_givens_keep_the_dtype():
    w = th.shared(np.zeros(2, "float32"), name="w")
    x = T.vector("x")
    data64 = th.shared(np.ones((4, 2)), name="data64")  # float64: numpy's default
    with pytest.raises(TypeError) as info:
        th.function([], [], updates={w: w + x}, givens={x: data64[0]})
    assert "x (vector(float32)) cannot be replaced" in str(info.value) and "astype('float32')" in str(info.value)
    f = th.function([], [], updates={w: w + x}, givens={x: data64[0].astype("float32")})
    f()
    assert w.get_value().dtype == np.float32 and np.array_equal(w.get_value(), [1, 1])
    n = T.lscalar("n")
    assert int(th.function([], n * 2, givens={n: 5})()) == 10  # a Python number takes n's dtype


# Input checking ------------------------------------------------------------------------

def test_wrong_number_of_arguments():
    x, y = T.vector("x"), T.vector("y")
    f = th.function([x, y], x + y)
    with pytest.raises(TypeError, match=r"takes 2 argument\(s\) \[x, y\], got 1"):
        f(f32(1))
    with pytest.raises(TypeError, match="got 3"):
        f(f32(1), f32(1), f32(1))


def test_wrong_ndim_names_the_input():
    x = T.matrix("x")
    f = th.function([x], x.sum(), name="total")
    with pytest.raises(TypeError) as info:
        f(f32(1, 2))
    message = str(info.value)
    assert "function 'total', input 0 (x)" in message and "expected a 2-d array" in message and "1-d" in message


def test_float64_refused_for_float32_unless_downcast_allowed():
    x = T.vector("x")
    f = th.function([x], x * 2)
    with pytest.raises(TypeError) as info:
        f(np.array([1.0, 2.0]))
    message = str(info.value)
    assert "expected dtype float32, got float64" in message and "allow_input_downcast=True" in message
    g = th.function([x], x * 2, allow_input_downcast=True)
    out = g(np.array([1.0, 2.0]))
    assert out.dtype == np.float32 and np.array_equal(out, [2, 4])


def test_python_lists_and_numbers_are_accepted():
    x, s, i = T.vector("x"), T.scalar("s"), T.ivector("i")
    f = th.function([x, s, i], [x * s, i + 1])
    a, b = f([1.0, 2.5], 2, [1, 2])
    assert a.dtype == np.float32 and np.array_equal(a, [2, 5])
    assert b.dtype == np.int32 and np.array_equal(b, [2, 3])
    with pytest.raises(TypeError, match="expected dtype int32, got float64"):
        f([1.0], 1.0, [1.5])


def test_int_arrays_cast_safely_into_float_inputs():
    x = T.vector("x")
    out = th.function([x], x / 2)(np.array([1, 2], "int16"))
    assert out.dtype == np.float32 and np.array_equal(out, [0.5, 1])
    i = T.ivector("i")
    with pytest.raises(TypeError, match="expected dtype int32, got int64"):
        th.function([i], i + 1)(np.array([1, 2], "int64"))


def test_static_shape_of_an_input_is_checked():
    x = T.matrix("x", shape=(None, 3))
    f = th.function([x], x.sum())
    assert float(f(np.ones((2, 3), "float32"))) == 6.0
    with pytest.raises(TypeError, match="axis 1 must have length 3"):
        f(np.ones((2, 4), "float32"))


def test_missing_input_error():
    x, y = T.vector("x"), T.vector("y")
    with pytest.raises(MissingInputError) as info:
        th.function([x], x + y)
    message = str(info.value)
    assert "depends on the input y" in message and "[x]" in message and "givens" in message


def test_unused_input_error_warn_ignore():
    x, y = T.vector("x"), T.vector("y")
    with pytest.raises(UnusedInputError, match=r"\[y\] are not used"):
        th.function([x, y], x * 2)
    with pytest.warns(UserWarning, match="not used"):
        f = th.function([x, y], x * 2, on_unused_input="warn")
    np.testing.assert_array_equal(f(f32(1), f32(5)), [2])
    g = th.function([x, y], x * 2, on_unused_input="ignore")
    np.testing.assert_array_equal(g(f32(1), f32(5)), [2])


def test_input_removed_by_a_rewrite_is_still_used():
    x, y = T.vector("x"), T.vector("y")
    f = th.function([x, y], x + (y - y))  # y - y -> 0, but y was used
    np.testing.assert_array_equal(f(f32(1, 2), f32(7, 7)), [1, 2])


def test_bad_inputs_lists():
    x = T.vector("x")
    w = th.shared(f32(1), name="w")
    with pytest.raises(TypeError, match="must be a list of variables"):
        th.function(x, x * 2)
    with pytest.raises(TypeError, match="w.*is a shared variable"):
        th.function([x, w], x * w)
    with pytest.raises(TypeError, match="not a symbolic variable"):
        th.function([x, 3], x)
    with pytest.raises(TypeError, match="not an input variable"):
        th.function([x * 2], x)
    with pytest.raises(ValueError, match="listed twice"):
        th.function([x, x], x)


# Run-time errors -------------------------------------------------------------------------

def test_compute_error_names_op_shapes_and_user_line():
    a = T.matrix("a")
    b = T.matrix("b")
    product = T.dot(a, b)  # the line the error must point at
    f = th.function([a, b], product.sum())
    with pytest.raises(ComputeError) as info:
        f(np.ones((3, 4), "float32"), np.ones((5, 2), "float32"))
    message = str(info.value)
    assert "while computing dot" in message
    assert "(3, 4)" in message and "(5, 2)" in message
    assert "test_function.py" in message and "product = T.dot(a, b)" in message
    assert isinstance(info.value.__cause__, ValueError)


def test_compute_error_shows_shapes_of_intermediate_values():
    a, b = T.vector("a"), T.vector("b")
    left = T.exp(a)
    right = b * 2
    total = left + right
    f = th.function([a, b], total, mode="FAST_COMPILE")
    with pytest.raises(ComputeError) as info:
        f(np.ones(3, "float32"), np.ones(4, "float32"))
    message = str(info.value)
    assert "add" in message and "(3,)" in message and "(4,)" in message
    assert "total = left + right" in message


def test_compute_error_for_an_index_out_of_bounds():
    x = T.vector("x")
    i = T.lscalar("i")
    picked = x[i]
    f = th.function([x, i], picked)
    with pytest.raises(ComputeError) as info:
        f(f32(1, 2), 5)
    assert "IndexError" in str(info.value) and "picked = x[i]" in str(info.value)


def test_failed_call_changes_no_shared_value():
    w = th.shared(f32(1, 2), name="w")
    n = th.shared(np.array(0, "int64"), name="n")
    x = T.vector("x")
    f = th.function([x], (w * x).sum(), updates={w: w * x, n: n + 1})
    with pytest.raises(ComputeError):
        f(f32(1, 2, 3))
    np.testing.assert_array_equal(w.get_value(), [1, 2])
    assert int(n.get_value()) == 0


# Inspecting ---------------------------------------------------------------------------

def test_function_exposes_graph_before_and_after_rewriting():
    x = T.vector("x")
    out = T.log(1 + T.exp(x))
    f = th.function([x], out)
    from minitheano.graph import toposort
    before = [type(n.op).__name__ for n in toposort(f.graph_before)]
    after = [type(n.op).__name__ for n in toposort(f.graph)]
    assert before == ["Exp", "Add", "Log"] and after == ["Softplus"]
    assert f.n_nodes == 1 and "Function" in repr(f)


def test_the_generated_source_is_visible():
    """f.source: the Python code compilation generated, one call per node in schedule order."""
    x = T.vector("x")
    f = th.function([x], T.exp(x) * 2 + 1)
    calls = [line for line in f.source.splitlines() if "= t" in line]
    assert f.source.startswith("def program(") and len(calls) == len(f.order) and f.n_nodes == 3


# updates in place ---------------------------------------------------------------------------

def _values_both_modes(build, calls=3):
    """The outputs and shared values after ``calls`` calls of ``build(mode)`` in each mode."""
    seen = {}
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        f, shared_vars = build(mode)
        outs = [f() for _ in range(calls)]
        seen[mode] = (outs, [s.get_value() for s in shared_vars], f)
    return seen


def test_sgd_update_is_written_into_the_parameter_storage():
    w = th.shared(f32(1, 2, 3), name="w")
    x = T.vector("x")
    f = th.function([x], (w * x).sum(), updates={w: w - 0.5 * x})
    assert "update_in_place" in f.rewrites_applied and "out=" in f.source
    storage = w.container  # the value on the device (get_value(borrow=True) on the CPU)
    assert float(f(f32(1, 1, 1))) == 6.0
    assert w.container is storage  # the same memory, now holding the new value
    np.testing.assert_array_equal(to_host(storage), [0.5, 1.5, 2.5])
    assert float(f(f32(1, 1, 1))) == 4.5


def test_no_update_in_place_in_fast_compile():
    w = th.shared(f32(1, 2), name="w")
    f = th.function([], [], updates={w: w * 2}, mode="FAST_COMPILE")
    storage = w.container
    f()
    assert "update_in_place" not in f.rewrites_applied and w.container is not storage
    np.testing.assert_array_equal(to_host(storage), [1, 2])


def test_swap_with_arithmetic_stays_atomic():
    def build(mode):
        a, b = th.shared(f32(1, 2), name="a"), th.shared(f32(3, 4), name="b")
        return th.function([], [], updates=[(a, b * 2), (b, a * 3)], mode=mode), (a, b)
    seen = _values_both_modes(build)
    np.testing.assert_array_equal(seen["FAST_RUN"][1][0], seen["FAST_COMPILE"][1][0])
    np.testing.assert_array_equal(seen["FAST_RUN"][1][1], seen["FAST_COMPILE"][1][1])
    np.testing.assert_array_equal(seen["FAST_RUN"][1][0], f32(3, 4) * 12)  # a3 = 2 b2 = 6 a1 = 12 b0


def test_outputs_of_the_old_value_or_a_view_of_it_keep_the_old_value():
    w = th.shared(np.arange(4, dtype="float32").reshape(2, 2), name="w")
    f = th.function([], [w, w.T, w.sum()], updates={w: w - 1})
    old, old_t, total = f()
    np.testing.assert_array_equal(old, [[0, 1], [2, 3]])
    np.testing.assert_array_equal(old_t, [[0, 2], [1, 3]])
    assert float(total) == 6.0
    np.testing.assert_array_equal(w.get_value(), [[-1, 0], [1, 2]])


def test_an_update_reading_another_updated_shared_sees_its_old_value():
    def build(mode):
        a, b = th.shared(f32(1, 2), name="a"), th.shared(f32(10, 20), name="b")
        f = th.function([], [a + b], updates=[(a, a + b), (b, b * 2), ], mode=mode)
        return f, (a, b)
    seen = _values_both_modes(build)
    for fast, slow in zip(seen["FAST_RUN"][1], seen["FAST_COMPILE"][1]):
        np.testing.assert_array_equal(fast, slow)
    for fast, slow in zip(seen["FAST_RUN"][0], seen["FAST_COMPILE"][0]):
        np.testing.assert_array_equal(fast[0], slow[0])
    np.testing.assert_array_equal(seen["FAST_RUN"][1][0], [71, 142])  # 1+10+20+40, 2+20+40+80


def test_a_new_value_shared_by_two_updates_gives_each_its_own_array():
    a, b = th.shared(f32(1, 2), name="a"), th.shared(f32(0, 0), name="b")
    f = th.function([], [], updates=[(a, a * 2), (b, a * 2)])
    f()
    assert a.container is not b.container
    np.testing.assert_array_equal(a.get_value(), [2, 4])
    np.testing.assert_array_equal(b.get_value(), [2, 4])


def test_rmsprop_in_place_matches_fast_compile():
    from minitheano import updates as U
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 5)).astype("float32")

    def build(mode):
        w = th.shared(np.ones((5, 3), "float32"), name="w")
        b = th.shared(np.zeros(3, "float32"), name="b")
        loss = T.square(T.tanh(T.dot(T.constant(X), w) + b) - 0.5).mean()
        return th.function([], loss, updates=U.rmsprop(loss, [w, b], 0.01), mode=mode), (w, b)
    seen = _values_both_modes(build, calls=5)
    assert seen["FAST_RUN"][2].rewrites_applied.count("update_in_place") >= 2
    for fast, slow in zip(seen["FAST_RUN"][1], seen["FAST_COMPILE"][1]):
        np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(seen["FAST_RUN"][0], seen["FAST_COMPILE"][0], rtol=1e-5)
