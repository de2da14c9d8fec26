"""The benchmark networks written by hand in numpy: forward, backward and the update, nothing else.

These are the peers a compiled minitheano step is measured against: what a careful person
would write without a framework (im2col convolutions, one GEMM per layer, float32 throughout).
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

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


def conv_forward(x, W):
    """Valid cross-correlation: x (N, C, H, W), W (F, C, kh, kw) -> (N, F, H-kh+1, W-kw+1)."""
    n, c, _, _ = x.shape
    f, _, kh, kw = W.shape
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))  # N, C, H', W', kh, kw
    ho, wo = windows.shape[2:4]
    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * kh * kw)
    out = cols @ W.reshape(f, -1).T
    return out.reshape(n, ho, wo, f).transpose(0, 3, 1, 2), cols


def conv_backward(g, x_shape, W, cols, need_input_grad=True):
    n, c, h, w = x_shape
    f, _, kh, kw = W.shape
    ho, wo = g.shape[2:]
    g_flat = g.transpose(0, 2, 3, 1).reshape(-1, f)
    gW = (g_flat.T @ cols).reshape(W.shape)
    if not need_input_grad:
        return None, gW
    # patches' gradients ordered (kh, kw, c) so each filter offset adds a slab contiguous in c
    gcols = (g_flat @ W.transpose(0, 2, 3, 1).reshape(f, -1)).reshape(n, ho, wo, kh, kw, c)
    gx = np.zeros((n, h, w, c), F32)
    for i in range(kh):
        for j in range(kw):
            gx[:, i:i + ho, j:j + wo, :] += gcols[:, :, :, i, j, :]
    return gx.transpose(0, 3, 1, 2), gW


def pool_forward(x):
    n, c, h, w = x.shape
    blocks = x.reshape(n, c, h // 2, 2, w // 2, 2)
    out = blocks.max(axis=(3, 5))
    return out, blocks == out[:, :, :, None, :, None]


def pool_backward(g, mask):
    # ties are rare with float inputs; every maximum gets the gradient, as a plain mask would
    n, c, h2, _, w2, _ = mask.shape
    return (mask * g[:, :, :, None, :, None]).reshape(n, c, h2 * 2, w2 * 2)


class ConvNet:
    """Conv(16,3)-Conv(16,3)-Pool(2)-Conv(32,3)-Conv(32,3)-Pool(2)-Dense(100)-Dense(10), ReLU."""

    def __init__(self, rng, lr=0.01, momentum=0.9):
        relu = np.sqrt(2)
        shapes = [(16, 1), (16, 16), (32, 16), (32, 32)]
        self.convW = [glorot(rng, (f, c, 3, 3), c * 9, f * 9, relu) for f, c in shapes]
        self.convb = [np.zeros(f, F32) for f, _ in shapes]
        self.W = [glorot(rng, (512, 100), 512, 100, relu), glorot(rng, (100, 10), 100, 10)]
        self.b = [np.zeros(100, F32), np.zeros(10, F32)]
        self.opt = Momentum(self.convW + self.convb + self.W + self.b, lr, momentum)

    def train_step(self, X, y):
        cache, h = [], X
        for k, (W, b) in enumerate(zip(self.convW, self.convb)):
            z, cols = conv_forward(h, W)
            z = z + b[:, None, None]
            out = np.maximum(z, 0)
            cache.append(("conv", h.shape, cols, out))
            h = out
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
            _, x_shape, cols, out = entry
            g = g * (out > 0)
            gconvb[k] = g.sum(axis=(0, 2, 3))
            g, gconvW[k] = conv_backward(g, x_shape, self.convW[k], cols, need_input_grad=k > 0)
            k -= 1
        self.opt.step(gconvW + gconvb + [gW0, gW1] + [gb0, gb1])
        return loss
