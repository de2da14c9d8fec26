"""conv2d and pool_2d: values against naive loops, gradients against finite differences
(first and second order), static shapes and build-time errors."""
import itertools

import numpy as np
import pytest

import minitheano as th
import minitheano.tensor as T
from minitheano.kernels import conv as K
from minitheano.kernels import pool as KP
from minitheano.ops import conv as C
from minitheano.ops import pool as P
from minitheano.ops.conv import conv2d
from minitheano.ops.pool import pool_2d

rng = np.random.default_rng(1234)

# x: 2 images, 2 channels, 6x7; w: 3 filters of 3x2 (non-square, so rows and columns can't be swapped
# unnoticed; 6 and 7 leave stride remainders, so some input rows get no gradient).
X_VAL = rng.standard_normal((2, 2, 6, 7))
W_VAL = rng.standard_normal((3, 2, 3, 2))
BORDER_MODES = ["valid", "full", "half", 1, (3, 2)]  # (3, 2): more padding than filter - 1
SUBSAMPLES = [(1, 1), (2, 2), (2, 1), (1, 3)]


def reference_conv(x, w, border_mode, subsample, filter_flip):
    """conv2d by the definition: loops over output pixels."""
    kr, kc = w.shape[2:]
    if border_mode == "valid":
        pr, pc = 0, 0
    elif border_mode == "full":
        pr, pc = kr - 1, kc - 1
    elif border_mode == "half":
        pr, pc = kr // 2, kc // 2
    elif isinstance(border_mode, int):
        pr, pc = border_mode, border_mode
    else:
        pr, pc = border_mode
    padded = np.pad(x, ((0, 0), (0, 0), (pr, pr), (pc, pc)))
    kernel = w[:, :, ::-1, ::-1] if filter_flip else w
    sr, sc = subsample
    rows = (padded.shape[2] - kr) // sr + 1
    cols = (padded.shape[3] - kc) // sc + 1
    out = np.zeros((x.shape[0], w.shape[0], rows, cols))
    for n, f, a, b in itertools.product(range(x.shape[0]), range(w.shape[0]), range(rows), range(cols)):
        patch = padded[n, :, a * sr:a * sr + kr, b * sc:b * sc + kc]
        out[n, f, a, b] = np.sum(patch * kernel[f])
    return out


CONV_GRID = list(itertools.product(BORDER_MODES, SUBSAMPLES, [True, False]))


@pytest.mark.parametrize("border_mode, subsample, filter_flip", CONV_GRID)
def test_conv2d_matches_loops(border_mode, subsample, filter_flip):
    x, w = T.dtensor4("x"), T.dtensor4("w")
    y = conv2d(x, w, border_mode=border_mode, subsample=subsample, filter_flip=filter_flip)
    got = th.function([x, w], y)(X_VAL, W_VAL)
    expected = reference_conv(X_VAL, W_VAL, border_mode, subsample, filter_flip)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("border_mode, subsample, filter_flip", CONV_GRID)
def test_conv2d_gradients(border_mode, subsample, filter_flip):
    def fn(x, w):
        return conv2d(x, w, border_mode=border_mode, subsample=subsample, filter_flip=filter_flip)
    th.verify_grad(fn, [X_VAL, W_VAL], n_tests=1)


@pytest.mark.parametrize("border_mode, subsample, filter_flip",
                         [("valid", (1, 1), True), ("half", (2, 2), False), ((2, 1), (2, 1), True),
                          ("full", (1, 3), True)])
def test_conv2d_second_order(border_mode, subsample, filter_flip):
    def cost(x, w):
        y = conv2d(x, w, border_mode=border_mode, subsample=subsample, filter_flip=filter_flip)
        return T.sum(T.tanh(y))  # nonlinear, so the second derivative involves every op

    th.verify_grad(lambda x, w: th.grad(cost(x, w), x), [X_VAL, W_VAL], n_tests=1)
    th.verify_grad(lambda x, w: th.grad(cost(x, w), w), [X_VAL, W_VAL], n_tests=1)


def test_conv2d_gradient_ops_are_differentiable_again():
    x, w = T.dtensor4("x"), T.dtensor4("w")
    gx, gw = th.grad(T.sum(conv2d(x, w) ** 2), [x, w])
    ops = {type(node.op) for node in th.graph.toposort([gx, gw])}
    assert {C.Conv2dGradInputs, C.Conv2dGradWeights} <= ops
    # third order: the gradients' gradients are again convolutions
    th.verify_grad(lambda a, b: th.grad(T.sum(th.grad(T.sum(conv2d(a, b) ** 3), a) ** 2), b),
                   [X_VAL[:1], W_VAL], n_tests=1)


def test_conv2d_float32_and_layouts():
    """float32 stays float32; channels-last and strided inputs give the same values."""
    x, w = T.tensor4("x"), T.tensor4("w")
    y = T.relu(conv2d(x, w, border_mode="half"))
    z = conv2d(y, w[:, :, :, :], border_mode="half")  # y arrives channels-last from the first conv
    f = th.function([x, w], [y, z])
    xv = rng.standard_normal((3, 3, 8, 8)).astype("float32")
    wv = rng.standard_normal((3, 3, 3, 3)).astype("float32")
    yv, zv = f(xv, wv)
    assert yv.dtype == zv.dtype == np.float32
    y_ref = np.maximum(reference_conv(xv, wv, "half", (1, 1), True), 0)
    np.testing.assert_allclose(yv, y_ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(zv, reference_conv(y_ref, wv, "half", (1, 1), True), rtol=1e-4, atol=1e-3)
    # a non-contiguous view as the input of the op itself
    op = C.Conv2d("valid", (1, 1), True)
    strided = np.asfortranarray(xv)[:, :, ::2, :]
    np.testing.assert_allclose(op.perform(np, strided, wv), reference_conv(strided, wv, "valid", (1, 1), True),
                               rtol=1e-4, atol=1e-4)


def test_conv2d_integer_input_is_cast():
    x, w = T.tensor4("x", dtype="uint8"), T.tensor4("w")
    y = conv2d(x, w)
    assert y.dtype == "float32"
    xv = rng.integers(0, 255, (1, 1, 4, 4)).astype("uint8")
    wv = rng.standard_normal((2, 1, 2, 2)).astype("float32")
    np.testing.assert_allclose(th.function([x, w], y)(xv, wv), reference_conv(xv.astype(float), wv, "valid",
                                                                              (1, 1), True), rtol=1e-5)


def test_conv2d_static_shapes():
    x = T.tensor4("x", shape=(None, 3, 28, 28))
    w = T.tensor4("w", shape=(16, 3, 5, 5))
    assert conv2d(x, w).type.shape == (None, 16, 24, 24)
    assert conv2d(x, w, border_mode="half").type.shape == (None, 16, 28, 28)
    assert conv2d(x, w, border_mode="full").type.shape == (None, 16, 32, 32)
    assert conv2d(x, w, border_mode=(1, 2), subsample=(2, 3)).type.shape == (None, 16, 13, 10)
    assert conv2d(T.tensor4(), T.tensor4()).type.shape == (None,) * 4
    assert C.get_conv_output_shape((None, 3, 28, 28), (16, 3, 5, 5), "half", 2) == (None, 16, 14, 14)
    # shape hints refine unknown lengths
    y = conv2d(T.tensor4("x"), T.tensor4("w"), input_shape=(None, 3, 28, 28), filter_shape=(16, 3, 3, 3))
    assert y.type.shape == (None, 16, 26, 26)
    gx, gw = th.grad(T.sum(conv2d(x, w, subsample=2)), [x, w])
    assert gx.type.shape == x.type.shape and gw.type.shape == w.type.shape


def test_conv2d_build_errors_name_the_variables():
    x = T.tensor4("images", shape=(None, 3, 28, 28))
    with pytest.raises(th.ShapeError, match=r"images.*3 channels.*kernels.*expect 4"):
        conv2d(x, T.tensor4("kernels", shape=(16, 4, 5, 5)))
    with pytest.raises(th.ShapeError, match=r"small.*6 rows.*7 of the filters big"):
        conv2d(T.tensor4("small", shape=(1, 1, 6, 9)), T.tensor4("big", shape=(1, 1, 7, 3)))
    conv2d(T.tensor4("small", shape=(1, 1, 6, 9)), T.tensor4("big", shape=(1, 1, 7, 3)), border_mode="half")
    with pytest.raises(TypeError, match=r"flat.*4-d"):
        conv2d(T.matrix("flat"), T.tensor4("w"))
    with pytest.raises(ValueError, match="border_mode"):
        conv2d(x, T.tensor4("w"), border_mode="same")
    with pytest.raises(ValueError, match="subsample"):
        conv2d(x, T.tensor4("w"), subsample=(0, 1))
    with pytest.raises(th.ShapeError, match="input_shape"):
        conv2d(x, T.tensor4("w"), input_shape=(None, 4, 28, 28))


def test_conv2d_runtime_errors():
    x, w = T.tensor4("x"), T.tensor4("w")
    f = th.function([x, w], conv2d(x, w))
    with pytest.raises(th.ComputeError, match="channels"):
        f(np.zeros((1, 3, 5, 5), "float32"), np.zeros((2, 2, 3, 3), "float32"))
    with pytest.raises(th.ComputeError, match="smaller than the filters"):
        f(np.zeros((1, 2, 2, 5), "float32"), np.zeros((2, 2, 3, 3), "float32"))
    g = th.function([x, w], conv2d(x, w, input_shape=(4, None, None, None)))
    with pytest.raises(th.ComputeError, match=r"input_shape=\(4, None, None, None\)"):
        g(np.zeros((2, 2, 5, 5), "float32"), np.zeros((2, 2, 3, 3), "float32"))


def test_conv2d_prints():
    x, w = T.tensor4("x"), T.tensor4("w")
    assert th.pp(conv2d(x, w)) == "conv2d(x, w)"
    assert str(conv2d(x, w, border_mode="half", subsample=2).owner.op) == "conv2d{half, subsample=(2, 2)}"
    assert conv2d(x, w, border_mode=0).owner.op == conv2d(x, w).owner.op  # same op: merged by the rewrites
    assert str(conv2d(x, w, border_mode=(1, 2)).owner.op) == "conv2d{pad=(1, 2)}"


# Pooling ------------------------------------------------------------------------------------

def reference_pool(x, ws, ignore_border, stride, pad, mode):
    """pool_2d by the definition (Theano's semantics): loops over windows of the padded input."""
    stride = ws if stride is None else stride
    lead = x.shape[:-2]
    fill = -np.inf if mode == "max" else 0.0
    padded = np.pad(x.astype(float), [(0, 0)] * len(lead) + [(pad[0], pad[0]), (pad[1], pad[1])],
                    constant_values=fill)
    size = padded.shape[-2:]
    out_len = []
    for n, w, s in zip(size, ws, stride):
        if ignore_border:
            out_len.append(max(0, (n - w) // s + 1))
        elif s >= w:
            out_len.append((n - 1) // s + 1)
        else:
            out_len.append(max(0, (n - 1 - w + s) // s) + 1)
    out = np.zeros(lead + tuple(out_len))
    for a, b in itertools.product(range(out_len[0]), range(out_len[1])):
        bounds = []
        for axis, o in enumerate((a, b)):
            start, end = o * stride[axis], min(o * stride[axis] + ws[axis], size[axis])
            if mode == "average_exc_pad":
                start, end = max(start, pad[axis]), min(end, size[axis] - pad[axis])
            bounds.append((start, end))
        window = padded[..., bounds[0][0]:bounds[0][1], bounds[1][0]:bounds[1][1]]
        out[..., a, b] = window.max(axis=(-2, -1)) if mode == "max" else window.mean(axis=(-2, -1))
    return out


# (ws, stride, pad, ignore_border)
POOL_SETTINGS = [
    ((2, 2), None, (0, 0), True),
    ((2, 2), None, (0, 0), False),
    ((3, 2), None, (0, 0), True),
    ((3, 2), None, (0, 0), False),
    ((3, 3), (1, 1), (0, 0), True),
    ((2, 3), (1, 2), (0, 0), False),
    ((3, 3), (2, 2), (1, 1), True),
    ((3, 2), (3, 1), (2, 1), True),
    ((2, 2), (3, 3), (0, 0), False),
]
POOL_GRID = list(itertools.product(POOL_SETTINGS, P.MODES))
# distinct values 0.1 apart: no ties, so max pooling is differentiable at the test point
NO_TIES = rng.permutation(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) * 0.1


@pytest.mark.parametrize("settings, mode", POOL_GRID)
def test_pool_matches_loops(settings, mode):
    ws, stride, pad, ignore_border = settings
    x = T.dtensor4("x")
    y = pool_2d(x, ws, ignore_border, stride, pad, mode)
    xv = rng.standard_normal((2, 3, 7, 6))
    got = th.function([x], y)(xv)
    expected = reference_pool(xv, ws, ignore_border, stride, pad, mode)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    static = pool_2d(T.dtensor4(shape=xv.shape), ws, ignore_border, stride, pad, mode).type.shape
    assert static == expected.shape


@pytest.mark.parametrize("settings, mode", POOL_GRID)
def test_pool_gradients(settings, mode):
    ws, stride, pad, ignore_border = settings
    th.verify_grad(lambda x: pool_2d(x, ws, ignore_border, stride, pad, mode), [NO_TIES], n_tests=1)


@pytest.mark.parametrize("settings", POOL_SETTINGS[::2])
@pytest.mark.parametrize("mode", P.MODES)
def test_pool_second_order(settings, mode):
    ws, stride, pad, ignore_border = settings

    def fn(x):
        return th.grad(T.sum(pool_2d(x, ws, ignore_border, stride, pad, mode) ** 2), x)

    th.verify_grad(fn, [NO_TIES], n_tests=1)
    # d/d(gy) of MaxPoolGrad: pick the output-shaped gradient at each window's first maximum
    th.verify_grad(lambda x: th.grad(T.sum(th.grad(T.sum(pool_2d(x, ws, ignore_border, stride, pad, mode)
                                                               ** 3), x) ** 2), x), [NO_TIES[:1]], n_tests=1)


def test_max_pool_gradient_goes_to_the_first_maximum():
    x = T.dmatrix("x")
    g = th.grad(T.sum(pool_2d(x, (2, 2)) * np.array([[10.0, 20.0]])), x)
    xv = np.array([[1.0, 1.0, 5.0, 2.0],
                   [1.0, 0.0, 5.0, 5.0]])
    np.testing.assert_array_equal(th.function([x], g)(xv), [[10.0, 0.0, 20.0, 0.0],
                                                            [0.0, 0.0, 0.0, 0.0]])
    # overlapping windows: an element that wins two windows gets both gradients
    g2 = th.grad(T.sum(pool_2d(x, (1, 3), stride=(1, 1))), x)
    np.testing.assert_array_equal(th.function([x], g2)(xv), [[0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 2.0, 0.0]])


def test_max_pool_padding_never_wins():
    x = T.dmatrix("x")
    xv = -np.arange(1.0, 10.0).reshape(3, 3)
    got = th.function([x], pool_2d(x, (2, 2), pad=(1, 1)))(xv)
    np.testing.assert_array_equal(got, [[-1.0, -2.0], [-4.0, -5.0]])


def test_pool_keeps_channels_last_memory_and_any_leading_axes():
    xv = rng.standard_normal((2, 4, 6, 6)).astype("float32")
    nhwc = np.ascontiguousarray(xv.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)  # NCHW view, NHWC memory
    op = P.Pool((2, 2), True, None, (0, 0), "max")
    out = op.perform(np, nhwc)
    assert out.transpose(0, 2, 3, 1).flags.c_contiguous
    np.testing.assert_array_equal(out, reference_pool(xv, (2, 2), True, None, (0, 0), "max"))
    # gradient with mixed layouts (channels-last input, channels-first output gradient)
    y = op.perform(np, xv)
    gy = rng.standard_normal(y.shape).astype("float32")
    grad_op = P.MaxPoolGrad((2, 2), True, None, (0, 0), "max")
    np.testing.assert_array_equal(grad_op.perform(np, nhwc, out, gy), grad_op.perform(np, xv, y, gy))
    # 3-d and 2-d inputs pool their last two axes
    t3 = T.tensor3("t3")
    f = th.function([t3], pool_2d(t3, (2, 3), ignore_border=False))
    v3 = rng.standard_normal((3, 5, 7)).astype("float32")
    np.testing.assert_allclose(f(v3), reference_pool(v3, (2, 3), False, None, (0, 0), "max"))
    assert pool_2d(T.tensor3(shape=(3, 5, 7)), (2, 3), ignore_border=False).type.shape == (3, 3, 3)


def test_pool_errors():
    x = T.tensor4("x", shape=(None, 3, 5, 5))
    with pytest.raises(ValueError, match="pad.*smaller than ws"):
        pool_2d(x, (2, 2), pad=(2, 0))
    with pytest.raises(ValueError, match="ignore_border=True"):
        pool_2d(x, (2, 2), ignore_border=False, pad=(1, 1))
    with pytest.raises(ValueError, match="mode"):
        pool_2d(x, (2, 2), mode="median")
    with pytest.raises(th.ShapeError, match="smaller than the pooling window"):
        pool_2d(x, (6, 6))
    with pytest.raises(TypeError, match="at least 2 dims"):
        pool_2d(T.vector("v"))
    assert th.pp(pool_2d(T.tensor4("h"))) == "max_pool(h, ws=(2, 2))"


def test_pool_output_shape():
    assert P.pool_output_shape((None, 16, 24, 24), (2, 2)) == (None, 16, 12, 12)
    assert P.pool_output_shape((None, 16, 25, 25), (2, 2)) == (None, 16, 12, 12)
    assert P.pool_output_shape((None, 16, 25, 25), (2, 2), ignore_border=False) == (None, 16, 13, 13)
    assert P.pool_output_shape((1, 1, 5, 5), (3, 3), False, (1, 1)) == (1, 1, 3, 3)
    assert P.pool_output_shape((1, 1, 5, 5), (3, 3), True, (2, 2), (1, 1)) == (1, 1, 3, 3)
    assert P.pool_output_shape((1, 1, None, 5), (3, 3)) == (1, 1, None, 1)


# The kernels' interface (minitheano/kernels), checked directly ------------------------------

@pytest.mark.parametrize("pad, stride", [((0, 0), (1, 1)), ((1, 2), (1, 1)), ((1, 0), (2, 3))])
def test_conv_kernels_agree_with_the_definition_and_are_adjoint(pad, stride):
    """correlate2d is the definition's cross-correlation; its two gradients are its adjoints:
    <correlate2d(x, w), gy> = <x, grad_input(gy, w)> = <w, grad_weights(x, gy)>."""
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((4, 3, 3, 2))
    y = K.correlate2d(np, x, w, pad, stride)
    np.testing.assert_allclose(y, reference_conv(x, w, pad, stride, False), rtol=1e-10, atol=1e-10)
    gy = rng.standard_normal(y.shape)
    gx = K.correlate2d_grad_input(np, gy, w, x.shape, pad, stride)
    gw = K.correlate2d_grad_weights(np, x, gy, w.shape, pad, stride)
    assert gx.shape == x.shape and gw.shape == w.shape
    np.testing.assert_allclose(np.sum(y * gy), np.sum(x * gx), rtol=1e-10)
    np.testing.assert_allclose(np.sum(y * gy), np.sum(w * gw), rtol=1e-10)


@pytest.mark.parametrize("ws, stride, pad, ignore_border", [((2, 2), (2, 2), (0, 0), True),
                                                            ((3, 2), (1, 2), (1, 1), True),
                                                            ((3, 3), (2, 2), (0, 0), False)])
def test_pool_kernels_agree_with_the_definition_and_are_adjoint(ws, stride, pad, ignore_border):
    x = NO_TIES
    for mode in P.MODES:
        y = KP.pool2d(np, x, ws, stride, pad, ignore_border, mode)
        np.testing.assert_allclose(y, reference_pool(x, ws, ignore_border, stride, pad, mode), rtol=1e-10)
        gy = rng.standard_normal(y.shape)
        if mode == "max":
            gx = KP.max_pool2d_grad(np, x, y, gy, ws, stride, pad, ignore_border)
            gg = rng.standard_normal(x.shape)
            ggy = KP.max_pool2d_grad_grad(np, x, y, gg, ws, stride, pad, ignore_border)
            assert ggy.shape == y.shape
            np.testing.assert_allclose(np.sum(gx * gg), np.sum(gy * ggy), rtol=1e-10)
        else:  # average pooling is linear: its gradient is its adjoint
            gx = KP.average_pool2d_grad(np, x, gy, ws, stride, pad, ignore_border, mode)
            np.testing.assert_allclose(np.sum(y * gy), np.sum(x * gx), rtol=1e-10)
        assert gx.shape == x.shape
