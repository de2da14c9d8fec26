"""The fast conv and pool kernels against plain references, their adjoint identities, and today's ops."""
import itertools

import numpy as np
import pytest

from minitheano import backend, shapes
from minitheano.kernels import conv, parallel, pool
from minitheano.kernels.elemwise import relu
from minitheano.ops import conv as conv_ops
from minitheano.ops import pool as pool_ops


def reference_correlate(x, w, pad, stride):
    """Direct definition: y[n, f, i, j] = sum_{c, a, b} xpad[n, c, i*sr + a, j*sc + b] w[f, c, a, b]."""
    (pr, pc), (sr, sc) = pad, stride
    xp = np.pad(x, ((0, 0), (0, 0), (pr, pr), (pc, pc)))
    f, c, kr, kc = w.shape
    ho, wo = (xp.shape[2] - kr) // sr + 1, (xp.shape[3] - kc) // sc + 1
    y = np.zeros((x.shape[0], f, ho, wo), dtype=np.float64)
    for a, b in itertools.product(range(kr), range(kc)):
        window = xp[:, :, a:a + (ho - 1) * sr + 1:sr, b:b + (wo - 1) * sc + 1:sc]
        y += np.einsum("ncij,fc->nfij", window, w[:, :, a, b])
    return y


def reference_grad_weights(x, gy, w_shape, pad, stride):
    """Direct definition: gw[f, c, a, b] = sum_{n, i, j} xpad[n, c, i*sr + a, j*sc + b] gy[n, f, i, j]."""
    (pr, pc), (sr, sc) = pad, stride
    xp = np.pad(x, ((0, 0), (0, 0), (pr, pr), (pc, pc))).astype(np.float64)
    ho, wo = gy.shape[2:]
    gw = np.zeros(w_shape)
    for a, b in itertools.product(range(w_shape[2]), range(w_shape[3])):
        window = xp[:, :, a:a + (ho - 1) * sr + 1:sr, b:b + (wo - 1) * sc + 1:sc]
        gw[:, :, a, b] = np.einsum("ncij,nfij->fc", window, gy)
    return gw


def layouts(x):
    """The same values as NCHW-contiguous, as a channels-last view, and as a strided slice."""
    nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    big = np.zeros(x.shape[:3] + (2 * x.shape[3],), x.dtype)
    big[..., ::2] = x
    return {"nchw": np.ascontiguousarray(x), "nhwc": nhwc, "strided": big[..., ::2]}


CASES = [  # x shape, w shape, pad, stride
    ((2, 3, 7, 6), (4, 3, 3, 3), (0, 0), (1, 1)),
    ((3, 1, 9, 8), (5, 1, 3, 2), (1, 2), (1, 1)),
    ((2, 4, 8, 9), (3, 4, 3, 3), (1, 1), (2, 3)),
    ((1, 2, 5, 5), (2, 2, 5, 5), (4, 4), (1, 1)),      # 'full'
    ((2, 3, 6, 7), (2, 3, 2, 2), (3, 0), (2, 1)),      # pad larger than the filter
    ((4, 16, 10, 10), (8, 16, 3, 3), (0, 0), (1, 1)),  # many channels: pixel-by-pixel patches
    ((2, 1, 30, 29), (4, 1, 3, 3), (1, 0), (1, 1)),    # one channel: patches by filter offset, stacked products
    ((2, 16, 17, 15), (3, 16, 2, 3), (0, 1), (1, 1)),  # stacked products with a remainder
    ((3, 2, 9, 14), (4, 2, 3, 3), (1, 1), (1, 2)),     # 6 output columns: blocks of 2 and 3, column stride 2
    # 8 or a multiple of 16 filters in float32: the compiled direct correlation (kernels.conv_direct),
    # output rows of every width modulo its blocks of 6, 4, 2 and 1 pixels
    ((2, 3, 11, 13), (16, 3, 3, 3), (1, 1), (1, 1)),
    ((2, 5, 9, 17), (32, 5, 2, 4), (0, 2), (2, 1)),
    ((1, 16, 8, 7), (48, 16, 1, 1), (0, 0), (1, 2)),
    ((2, 16, 9, 10), (16, 16, 3, 3), (1, 1), (2, 2)),  # its input gradient: 16 filters over a dilated frame
    ((2, 8, 7, 9), (16, 8, 3, 2), (1, 0), (1, 1)),     # 8 channels: the filter gradient's blocks of 6 and 2
]


@pytest.fixture(params=[1, 2], ids=["1 worker", "2 workers"])
def workers(request, monkeypatch):
    """Each kernel run serially and cut into parts, with chunks of one or two images."""
    monkeypatch.setattr(conv, "CHUNK_BYTES", 600)
    if request.param == 2:
        if parallel._BLAS is None:
            pytest.skip("no OpenBLAS thread control in this numpy: the kernels run serially")
        monkeypatch.setattr(parallel, "MIN_WORK", 0)
        monkeypatch.setattr(parallel, "workers", lambda xp, work, real=parallel.workers: min(2, 2 * real(xp, work)))
    return request.param


@pytest.fixture(params=[1, 2, 3], ids=lambda q: f"{q} columns per patch row")
def columns(request, monkeypatch):
    """Patch rows that make one output column, or up to 2 or 3 neighbouring ones (conv._blocked)."""
    monkeypatch.setattr(conv, "COLUMN_BLOCK", request.param)
    return request.param


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}*{c[1]} pad{c[2]} stride{c[3]}")
def test_correlate2d_matches_the_definition(case, dtype, workers, columns):
    x_shape, w_shape, pad, stride = case
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(w_shape).astype(dtype)
    expected = reference_correlate(x, w, pad, stride)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for name, xv in layouts(x).items():
        y = conv.correlate2d(np, xv, w, pad, stride)
        assert y.dtype == dtype and y.shape == expected.shape, name
        np.testing.assert_allclose(y, expected, rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}*{c[1]} pad{c[2]} stride{c[3]}")
def test_gradients_are_the_adjoints_of_the_correlation(case, dtype, workers, columns):
    """correlate2d is bilinear: <y(x, w), gy> = <x, grad_input(gy, w)> = <w, grad_weights(x, gy)>."""
    x_shape, w_shape, pad, stride = case
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(w_shape).astype(dtype)
    y = reference_correlate(x.astype(np.float64), w.astype(np.float64), pad, stride)
    gy = rng.standard_normal(y.shape).astype(dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for name, gv in layouts(gy).items():
        gx = conv.correlate2d_grad_input(np, gv, w, x_shape, pad, stride)
        assert gx.shape == x_shape and gx.dtype == dtype
        np.testing.assert_allclose(np.vdot(x, gx), np.vdot(y, gy), rtol=tol, err_msg=name)
        # the adjoint identity holds for every x: so compare against the reference's adjoint row by row
        for k in range(3):
            e = np.zeros(x_shape)
            e.flat[rng.integers(e.size)] = 1
            np.testing.assert_allclose(np.vdot(e, gx), np.vdot(reference_correlate(e, w, pad, stride), gy),
                                       rtol=tol, atol=tol, err_msg=name)
    for name, xv in layouts(x).items():
        gw = conv.correlate2d_grad_weights(np, xv, layouts(gy)["nhwc"], w_shape, pad, stride)
        assert gw.shape == w_shape and gw.dtype == dtype and gw.flags.c_contiguous
        np.testing.assert_allclose(gw, reference_grad_weights(x, gy, w_shape, pad, stride), rtol=tol, atol=tol,
                                   err_msg=name)
        np.testing.assert_allclose(np.vdot(w, gw), np.vdot(y, gy), rtol=tol, err_msg=name)


@pytest.mark.parametrize("border_mode, pad, subsample", [("valid", (0, 0), (1, 1)), ("half", (1, 1), (1, 1)),
                                                         ("full", (2, 2), (2, 1)), ((2, 1), (2, 1), (1, 2))])
def test_kernels_match_todays_conv_ops(border_mode, pad, subsample):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 3, 9, 8)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    ops = {cls: cls(border_mode, subsample, filter_flip=False)
           for cls in (conv_ops.Conv2d, conv_ops.Conv2dGradInputs, conv_ops.Conv2dGradWeights)}
    y = conv.correlate2d(np, x, w, pad, subsample)
    np.testing.assert_allclose(y, ops[conv_ops.Conv2d].perform(np, x, w), rtol=1e-5, atol=1e-5)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    np.testing.assert_allclose(conv.correlate2d_grad_input(np, gy, w, x.shape, pad, subsample),
                               ops[conv_ops.Conv2dGradInputs].perform(np, gy, w, x), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(conv.correlate2d_grad_weights(np, x, gy, w.shape, pad, subsample),
                               ops[conv_ops.Conv2dGradWeights].perform(np, x, gy, w), rtol=1e-4, atol=1e-4)


def test_conv_kernels_say_what_is_wrong():
    x, w = np.zeros((2, 3, 5, 5), np.float32), np.zeros((4, 2, 3, 3), np.float32)
    with pytest.raises(ValueError, match="3 channels.*expect 2"):
        conv.correlate2d(np, x, w, (0, 0), (1, 1))
    with pytest.raises(ValueError, match="smaller than the filters"):
        conv.correlate2d(np, x[:, :2, :2], w, (0, 0), (1, 1))
    with pytest.raises(ValueError, match="output gradient has shape"):
        conv.correlate2d_grad_weights(np, x[:, :2], np.zeros((2, 4, 2, 2), np.float32), w.shape, (0, 0), (1, 1))


# Pooling ------------------------------------------------------------------------------------

def reference_pool(x, ws, stride, pad, ignore_border, mode):
    """Window by window, with the first maximum's position (row-major) for max pooling."""
    rows, cols = x.shape[-2:]
    out_r, out_c = (shapes.pool_output_length(n, w, s, p, ignore_border)
                    for n, w, s, p in zip((rows, cols), ws, stride, pad))
    lead = x.reshape((-1, rows, cols))
    y = np.zeros((len(lead), out_r, out_c))
    arg = np.zeros((len(lead), out_r, out_c, 2), int)
    for b, i, j in itertools.product(range(len(lead)), range(out_r), range(out_c)):
        r0, c0 = i * stride[0] - pad[0], j * stride[1] - pad[1]
        inside = [(r, c) for r in range(r0, r0 + ws[0]) for c in range(c0, c0 + ws[1])
                  if 0 <= r < rows and 0 <= c < cols]
        values = [lead[b, r, c] for r, c in inside]
        if mode == "max":
            k = int(np.argmax(values))
            y[b, i, j], arg[b, i, j] = values[k], inside[k]
        else:
            padded_rows = min(r0 + ws[0], rows + pad[0]) - max(r0, -pad[0])
            padded_cols = min(c0 + ws[1], cols + pad[1]) - max(c0, -pad[1])
            size = len(inside) if mode == "average_exc_pad" else padded_rows * padded_cols
            y[b, i, j] = sum(values) / size
    return y.reshape(x.shape[:-2] + (out_r, out_c)), arg.reshape(x.shape[:-2] + (out_r, out_c, 2))


POOLS = [  # x shape, ws, stride, pad, ignore_border
    ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0), True),
    ((2, 3, 7, 9), (3, 2), (2, 1), (1, 1), True),
    ((3, 2, 7, 7), (2, 2), (2, 2), (0, 0), False),
    ((2, 2, 8, 7), (3, 3), (1, 2), (0, 0), False),
    ((5, 6, 9), (2, 3), (3, 2), (0, 0), True),  # 3-d input
]


@pytest.mark.parametrize("mode", pool.MODES)
@pytest.mark.parametrize("case", POOLS, ids=str)
def test_pooling_and_its_gradients_match_the_definition(case, mode, workers):
    shape, ws, stride, pad, ignore_border = case
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    expected, arg = reference_pool(x, ws, stride, pad, ignore_border, mode)
    for name, xv in (layouts(x) if x.ndim == 4 else {"plain": x}).items():
        y = pool.pool2d(np, xv, ws, stride, pad, ignore_border, mode)
        np.testing.assert_allclose(y, expected, rtol=1e-12, err_msg=name)
        gy = rng.standard_normal(y.shape)
        if mode == "max":
            gx = pool.max_pool2d_grad(np, xv, y, gy, ws, stride, pad, ignore_border)
            want = np.zeros(x.shape).reshape((-1,) + x.shape[-2:])
            for (b, i, j), g in zip(np.ndindex(*want.shape[:1], *y.shape[-2:]), gy.reshape(-1)):
                r, c = arg.reshape((-1,) + y.shape[-2:] + (2,))[b, i, j]
                want[b, r, c] += g
            np.testing.assert_allclose(gx, want.reshape(x.shape), rtol=1e-12, err_msg=name)
            gg = rng.standard_normal(x.shape)
            ggy = pool.max_pool2d_grad_grad(np, xv, y, gg, ws, stride, pad, ignore_border)
            np.testing.assert_allclose(np.vdot(ggy, gy), np.vdot(gg, gx), rtol=1e-10, err_msg=name)
        else:
            gx = pool.average_pool2d_grad(np, xv, gy, ws, stride, pad, ignore_border, mode)
            # average pooling is linear: its gradient is its adjoint
            for k in range(3):
                e = np.zeros(x.shape)
                e.flat[rng.integers(e.size)] = 1
                np.testing.assert_allclose(np.vdot(e, gx), np.vdot(reference_pool(e, ws, stride, pad, ignore_border,
                                                                                   mode)[0], gy),
                                           rtol=1e-10, atol=1e-12, err_msg=name)
        assert gx.shape == x.shape


@pytest.mark.parametrize("mode", pool.MODES)
def test_pool_kernels_match_todays_pool_ops(mode):
    rng = np.random.default_rng(4)
    x = np.ascontiguousarray(rng.standard_normal((4, 24, 24, 16)).astype(np.float32)).transpose(0, 3, 1, 2)
    params = dict(ws=(2, 2), stride=(2, 2), pad=(0, 0), ignore_border=True)
    op = pool_ops.Pool(mode=mode, **params)
    y = pool.pool2d(np, x, mode=mode, **params)
    np.testing.assert_array_equal(y, op.perform(np, x))
    gy = rng.standard_normal(y.shape).astype(np.float32)
    if mode == "max":
        np.testing.assert_array_equal(pool.max_pool2d_grad(np, x, y, gy, **params),
                                      pool_ops.MaxPoolGrad(mode=mode, **params).perform(np, x, y, gy))
        gg = rng.standard_normal(x.shape).astype(np.float32)
        np.testing.assert_array_equal(pool.max_pool2d_grad_grad(np, x, y, gg, **params),
                                      pool_ops.MaxPoolGradGrad(mode=mode, **params).perform(np, x, y, gg))
    else:
        np.testing.assert_allclose(pool.average_pool2d_grad(np, x, gy, mode=mode, **params),
                                   pool_ops.AveragePoolGrad(mode=mode, **params).perform(np, x, gy), rtol=1e-6)


def test_pool_kernels_say_what_is_wrong():
    with pytest.raises(ValueError, match="mode must be one of"):
        pool.pool2d(np, np.zeros((2, 4, 4)), (2, 2), (2, 2), (0, 0), True, "median")
    with pytest.raises(ValueError, match="smaller than the window"):
        pool.pool2d(np, np.zeros((2, 1, 4)), (2, 2), (2, 2), (0, 0), True, "max")


def test_parts_cover_the_batch_once():
    assert parallel.split(7, 2) == [(0, 3), (3, 7)]
    assert parallel.split(1, 4) == [(0, 1)]
    assert parallel.run([lambda k=k: k * k for k in range(3)]) == [0, 1, 4]


def test_patch_matrices_are_made_in_a_bounded_reused_buffer(monkeypatch):
    """Batch 20, 8 channels: patches are made a few images at a time, and chunking changes nothing."""
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((20, 8, 12, 12)).astype(np.float32), rng.standard_normal((6, 8, 3, 3)).astype(np.float32)
    monkeypatch.setattr(conv, "CHUNK_BYTES", 64 << 10)
    monkeypatch.setattr(conv._scratch, "buffers", {}, raising=False)
    y = conv.correlate2d(np, x, w, (1, 1), (1, 1))
    assert conv._scratch.buffers["patches"].nbytes <= conv.CHUNK_BYTES
    monkeypatch.setattr(conv, "CHUNK_BYTES", 1)  # one image at a time
    np.testing.assert_allclose(conv.correlate2d(np, x, w, (1, 1), (1, 1)), y, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(y, reference_correlate(x, w, (1, 1), (1, 1)), rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(parallel._BLAS is None, reason="no OpenBLAS whose thread count can be set")
@pytest.mark.skipif(backend.xp() is not np, reason="BLAS threads are the CPU backend's: the device has none")
def test_a_convnet_function_keeps_blas_on_one_thread_while_it_runs():
    import minitheano as th
    import minitheano.tensor as T

    get, put = parallel._BLAS
    before = get()
    put(2)
    try:
        seen = {}

        def spy(x, w):
            seen["blas"], seen["workers"] = get(), parallel.workers(np, 1 << 30)
            return x

        x, w = T.tensor4("x"), T.tensor4("w")
        conv_f = th.function([x, w], T.relu(T.nnet.conv2d(x, w)))
        dense_f = th.function([x], T.dot(x.flatten(2), x.flatten(2).T))
        assert conv_f._own_cores and not dense_f._own_cores
        with parallel.own_cores():
            spy(None, None)
        assert seen == {"blas": 1, "workers": 2} and get() == 2
        with pytest.raises(ZeroDivisionError), parallel.own_cores():
            1 / 0
        assert get() == 2  # restored after an error too
        xv = np.ones((2, 1, 4, 4), "float32")
        conv_f(xv, np.ones((1, 1, 3, 3), "float32"))
        assert get() == 2
    finally:
        put(before)


@pytest.mark.parametrize("keepdims", [False, True])
def test_channel_sums_and_means_of_channels_last_maps(keepdims):
    import minitheano as th
    import minitheano.tensor as T
    from minitheano.kernels import elemwise

    rng = np.random.default_rng(5)
    x = layouts((rng.standard_normal((64, 16, 12, 12)) * 3 + 1).astype(np.float32))["nhwc"]
    assert elemwise.sum_keeping_axis(np, x, (0, 2, 3)) is not None  # the matrix-product path
    v = T.tensor4("v")
    f = th.function([v], [v.sum(axis=(0, 2, 3), keepdims=keepdims), v.mean(axis=(0, 2, 3), keepdims=keepdims)])
    total, mean = f(x)
    expected = x.astype(np.float64).sum(axis=(0, 2, 3), keepdims=keepdims)
    assert total.shape == expected.shape and total.dtype == np.float32 and mean.dtype == np.float32
    np.testing.assert_allclose(total, expected, rtol=1e-5)
    np.testing.assert_allclose(mean, expected / (64 * 12 * 12), rtol=1e-5)


@pytest.mark.parametrize("shape", [(3, 5, 8, 6), (40, 16, 24, 24)])
def test_max_pool_gradient_sends_ties_to_the_first_maximum(shape):
    # Values drawn from {0, 1, 2} tie in most windows: on channels-last and channels-first memory
    # (in parts, for the big batch) all of a window's gradient goes to its first maximum.
    rng = np.random.default_rng(7)
    x = rng.integers(0, 3, size=shape).astype(np.float32)
    args = ((2, 2), (2, 2), (0, 0), True)
    y = pool.pool2d(np, x, *args, "max")
    gy = rng.standard_normal(y.shape).astype(np.float32)
    by_rows = pool.max_pool2d_grad(np, layouts(x)["nhwc"], layouts(y)["nhwc"], layouts(gy)["nhwc"], *args)
    by_offsets = pool.max_pool2d_grad(np, x, y, gy, *args)
    np.testing.assert_array_equal(by_rows, by_offsets)
    windows = x.reshape(shape[0], shape[1], shape[2] // 2, 2, shape[3] // 2, 2).transpose(0, 1, 2, 4, 3, 5)
    first = windows.reshape(windows.shape[:4] + (4,)).argmax(axis=-1)  # argmax: the first maximum
    expected = np.zeros(windows.shape[:4] + (4,), np.float32)
    np.put_along_axis(expected, first[..., None], gy[..., None], axis=-1)
    expected = expected.reshape(windows.shape).transpose(0, 1, 2, 4, 3, 5).reshape(shape)
    np.testing.assert_array_equal(by_rows, expected)


def test_relu_kernel_is_numpys_maximum_with_zero():
    """kernels.elemwise.relu compares floats with a row of zeros (numpy's vector loop): the same
    values as maximum(a, 0), NaN, infinities and integer arrays included, into ``out`` when given."""
    rng = np.random.default_rng(0)
    special = np.array([np.nan, -np.inf, np.inf, -0.0, 0.0, -1.5, 2.5] * 8, "float32")
    cases = [special.reshape(2, 28), rng.normal(size=(40, 3)).astype("float32"), rng.normal(size=100),
             rng.integers(-5, 5, size=(5, 20)).astype("int32")]
    for a in cases:
        got = relu(np, a)
        assert got.dtype == a.dtype
        np.testing.assert_array_equal(got, np.maximum(a, 0))
        out = np.empty_like(a)
        assert relu(np, a, out) is out
        np.testing.assert_array_equal(out, np.maximum(a, 0))
