"""The benchmark networks written by hand in numpy: forward, backward and the update, nothing else.

These are the peers a compiled minitheano step is measured against: what a careful person
would write without a framework (im2col convolutions, one GEMM per layer, float32 throughout).
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

F32 = np.float32


def glorot(rng, shape, fan_in, fan_out, gain=1.0):
    limit = gain * np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(F32)


def softmax_crossentropy(logits, y):
    """Mean crossentropy and its gradient w.r.t. the logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    p = exp / exp.sum(axis=1, keepdims=True)
    n = len(y)
    loss = -np.log(p[np.arange(n), y] + 1e-30).mean()
    p[np.arange(n), y] -= 1
    return loss, p / F32(n)


class RMSprop:
    def __init__(self, params, lr=1e-3, rho=0.9, eps=1e-6):
        self.params, self.lr, self.rho, self.eps = params, F32(lr), F32(rho), F32(eps)
        self.acc = [np.zeros_like(p) for p in params]

    def step(self, grads):
        for p, g, a in zip(self.params, grads, self.acc):
            a *= self.rho
            a += (1 - self.rho) * g * g
            p -= self.lr * g / np.sqrt(a + self.eps)


class Momentum:
    def __init__(self, params, lr=0.01, momentum=0.9):
        self.params, self.lr, self.mu = params, F32(lr), F32(momentum)
        self.vel = [np.zeros_like(p) for p in params]

    def step(self, grads):
        for p, g, v in zip(self.params, grads, self.vel):
            v *= self.mu
            v -= self.lr * g
            p += v


class MLP:
    """784-500-300-10, ReLU, dropout before each hidden layer's successor, softmax output."""

    def __init__(self, rng, sizes=(784, 500, 300, 10), p_drop=0.4, lr=1e-3):
        self.rng = rng
        self.p = p_drop
        self.W = [glorot(rng, (a, b), a, b, np.sqrt(2)) for a, b in zip(sizes[:-1], sizes[1:])]
        self.b = [np.zeros(b, F32) for b in sizes[1:]]
        self.opt = RMSprop(self.W + self.b, lr)

    def train_step(self, X, y):
        acts, masks = [X], []
        h = X
        for k, (W, b) in enumerate(zip(self.W, self.b)):
            z = h @ W + b
            if k < len(self.W) - 1:
                h = np.maximum(z, 0)
                mask = (self.rng.random(h.shape, dtype=F32) >= self.p) * F32(1 / (1 - self.p))
                h = h * mask
                masks.append(mask)
                acts.append(h)
        loss, g = softmax_crossentropy(z, y)
        gW, gb = [None] * len(self.W), [None] * len(self.b)
        for k in reversed(range(len(self.W))):
            gW[k] = acts[k].T @ g
            gb[k] = g.sum(axis=0)
            if k:
                g = (g @ self.W[k].T) * masks[k - 1]
                g *= acts[k] > 0
        self.opt.step(gW + gb)
        return loss


def patches(x, kh, kw):
    """im2col of channels-last images x (N, H, W, C): (N * H' * W', kh * kw * C), one row per window."""
    n, h, w, c = x.shape
    ho, wo = h - kh + 1, w - kw + 1
    s0, s1, s2, s3 = x.strides
    windows = as_strided(x, (n, ho, wo, kh, kw, c), (s0, s1, s2, s1, s2, s3))
    return windows.reshape(n * ho * wo, kh * kw * c)  # the one copy


def conv_forward(x, Wm, kh, kw):
    """Valid cross-correlation, channels-last: x (N, H, W, C), Wm (kh * kw * C, F) -> (N, H', W', F)."""
    n, h, w, _ = x.shape
    cols = patches(x, kh, kw)
    return (cols @ Wm).reshape(n, h - kh + 1, w - kw + 1, -1), cols


def conv_backward(g, cols, Wm, kh, kw, need_input_grad=True):
    """Filter gradient from the forward's patches; input gradient as the correlation of the
    zero-padded output gradient with the rotated filters (im2col again, one product)."""
    n, ho, wo, f = g.shape
    g_flat = g.reshape(-1, f)
    gW = (g_flat.T @ cols).T  # (F, pixels) @ (pixels, K): OpenBLAS's fast orientation
    if not need_input_grad:
        return None, gW
    c = Wm.shape[0] // (kh * kw)
    padded = np.zeros((n, ho + 2 * (kh - 1), wo + 2 * (kw - 1), f), F32)
    padded[:, kh - 1:kh - 1 + ho, kw - 1:kw - 1 + wo] = g
    rotated = Wm.reshape(kh, kw, c, f)[::-1, ::-1].transpose(0, 1, 3, 2).reshape(kh * kw * f, c)
    gx, _ = conv_forward(padded, np.ascontiguousarray(rotated), kh, kw)
    return gx, gW


def pool_forward(x):
    """2x2 max pooling of channels-last maps, and the mask of each window's maxima."""
    n, h, w, c = x.shape
    blocks = x.reshape(n, h // 2, 2, w // 2, 2, c)
    out = blocks.max(axis=(2, 4))
    return out, blocks == out[:, :, None, :, None]


def pool_backward(g, mask):
    # ties are rare with float inputs; every maximum gets the gradient, as a plain mask would
    n, h2, _, w2, _, c = mask.shape
    return (mask * g[:, :, None, :, None]).reshape(n, h2 * 2, w2 * 2, c)


class ConvNet:
    """Conv(16,3)-Conv(16,3)-Pool(2)-Conv(32,3)-Conv(32,3)-Pool(2)-Dense(100)-Dense(10), ReLU.

    Channels-last throughout (each patch is contiguous runs, each product's result is the next
    layer's input), im2col with one BLAS product per layer and pass, the forward's patches kept
    for the filter gradient, updates in place.
    """

    def __init__(self, rng, lr=0.01, momentum=0.9):
        relu = np.sqrt(2)
        shapes = [(16, 1), (16, 16), (32, 16), (32, 32)]
        # filters as (kh * kw * C, F) matrices, rows in the patches' (i, j, c) order
        self.convW = [glorot(rng, (9 * c, f), c * 9, f * 9, relu) for f, c in shapes]
        self.convb = [np.zeros(f, F32) for f, _ in shapes]
        self.W = [glorot(rng, (512, 100), 512, 100, relu), glorot(rng, (100, 10), 100, 10)]
        self.b = [np.zeros(100, F32), np.zeros(10, F32)]
        self.opt = Momentum(self.convW + self.convb + self.W + self.b, lr, momentum)

    def train_step(self, X, y):
        cache, h = [], np.ascontiguousarray(X.transpose(0, 2, 3, 1))
        for k, (W, b) in enumerate(zip(self.convW, self.convb)):
            z, cols = conv_forward(h, W, 3, 3)
            z += b
            np.maximum(z, 0, out=z)
            cache.append(("conv", cols, z))
            h = z
            if k % 2 == 1:
                h, mask = pool_forward(h)
                cache.append(("pool", mask))
        flat = h.reshape(len(h), -1)
        h1 = np.maximum(flat @ self.W[0] + self.b[0], 0)
        logits = h1 @ self.W[1] + self.b[1]
        loss, g = softmax_crossentropy(logits, y)
        gW1, gb1 = h1.T @ g, g.sum(0)
        g = (g @ self.W[1].T) * (h1 > 0)
        gW0, gb0 = flat.T @ g, g.sum(0)
        g = (g @ self.W[0].T).reshape(h.shape)
        gconvW, gconvb = [None] * 4, [None] * 4
        k = 3
        for entry in reversed(cache):
            if entry[0] == "pool":
                g = pool_backward(g, entry[1])
                continue
            _, cols, out = entry
            g *= out > 0
            gconvb[k] = g.sum(axis=(0, 1, 2))
            g, gconvW[k] = conv_backward(g, cols, self.convW[k], 3, 3, need_input_grad=k > 0)
            k -= 1
        self.opt.step(gconvW + gconvb + [gW0, gW1] + [gb0, gb1])
        return loss
