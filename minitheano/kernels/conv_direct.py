"""Valid correlations of channels-last image maps computed directly, with no patch matrix:
compiled loops (``SOURCE``) that keep the sums of a block in vector registers and add each input
value times a row of sixteen filter taps with fused multiply-adds, as oneDNN's direct
convolutions do. ``correlator``: six neighbouring output pixels by sixteen filters (the forward
pass, and the input gradient as the correlation of the framed output gradient). ``filter_gradient``:
six channels of one tap by sixteen filters, summed over an image's pixels.

The im2col kernels (``kernels.conv``) run the same sums as matrix products, at about 40 GFLOP/s
on one core here counting the patch copies; these loops run at 85-94 for the benchmark
ConvNet's second layer (16 filters of 16 channels). They sum in another order and round once
per multiply-add: results agree with the products to float32 rounding, not to the bit.
float32, 8 or a multiple of 16 filters; None otherwise.
"""
import ctypes

import numpy as np

from . import compiler
from ..config import config

SOURCE = r"""
// GCC/Clang vectors: eight floats, one AVX register (two NEON ones).
typedef float v8 __attribute__((vector_size(32)));

template <int NV, int P>
static inline void zero(v8 (&acc)[P][NV]) {
  for (int p = 0; p < P; ++p)
    for (int q = 0; q < NV; ++q) acc[p][q] = (v8){0, 0, 0, 0, 0, 0, 0, 0};
}

// P neighbouring output pixels of 8 * NV filters: out[p * F + f] for the taps w (kr, kc, C, 8 * NV).
template <int NV, int P>
static inline void pixels(const float* __restrict__ x, long col_step, long row_step, long kr, long kc, long C,
                          const float* __restrict__ w, float* __restrict__ out, long F) {
  v8 acc[P][NV];
  zero<NV, P>(acc);
  for (long r = 0; r < kr; ++r)
    for (long cc = 0; cc < kc; ++cc) {
      const float* __restrict__ xr = x + r * row_step + cc * C;
      const float* __restrict__ wr = w + (r * kc + cc) * C * NV * 8;
      for (long ch = 0; ch < C; ++ch) {
        v8 wv[NV];
        for (int q = 0; q < NV; ++q) __builtin_memcpy(&wv[q], wr + (ch * NV + q) * 8, 32);
        for (int p = 0; p < P; ++p) {
          const float v = xr[p * col_step + ch];
          for (int q = 0; q < NV; ++q) acc[p][q] += wv[q] * v;
        }
      }
    }
  for (int p = 0; p < P; ++p)
    for (int q = 0; q < NV; ++q) __builtin_memcpy(out + p * F + q * 8, &acc[p][q], 32);
}

template <int NV, int P>
static void run(long n, long H, long W, long C, long ho, long wo, long kr, long kc, long sr, long sc, long F,
                const float* a, const float* w, float* out) {
  const long group = 8 * NV, taps = kr * kc * C * group;
  for (long img = 0; img < n; ++img)
    for (long i = 0; i < ho; ++i) {
      const float* row = a + ((img * H + i * sr) * W) * C;
      float* o = out + ((img * ho + i) * wo) * F;
      for (long g = 0; g < F / group; ++g) {
        long j = 0;
        for (; j + P <= wo; j += P)
          pixels<NV, P>(row + j * sc * C, sc * C, W * C, kr, kc, C, w + g * taps, o + j * F + g * group, F);
        if (j + 4 <= wo) {
          pixels<NV, 4>(row + j * sc * C, sc * C, W * C, kr, kc, C, w + g * taps, o + j * F + g * group, F);
          j += 4;
        }
        if (j + 2 <= wo) {
          pixels<NV, 2>(row + j * sc * C, sc * C, W * C, kr, kc, C, w + g * taps, o + j * F + g * group, F);
          j += 2;
        }
        for (; j < wo; ++j)
          pixels<NV, 1>(row + j * sc * C, sc * C, W * C, kr, kc, C, w + g * taps, o + j * F + g * group, F);
      }
    }
}

// w: (F / 16, kr, kc, C, 16) when F is a multiple of 16, (kr, kc, C, 8) when F is 8.
extern "C" int correlate(long n, long H, long W, long C, long ho, long wo, long kr, long kc, long sr, long sc, long F,
                         const float* a, const float* w, float* out) {
  if (F % 16 == 0) run<2, 6>(n, H, W, C, ho, wo, kr, kc, sr, sc, F, a, w, out);
  else if (F == 8) run<1, 12>(n, H, W, C, ho, wo, kr, kc, sr, sc, F, a, w, out);
  else return 0;
  return 1;
}

// The filter gradient: gw (kr, kc, C, F) += the sum over output pixels of the patch value at
// (r, cc, ch) times gy[pixel][f]. P consecutive channels of one tap by 8 * NV filters are
// summed in registers over one image's pixels, then added to gw.
template <int NV, int P>
static inline void channels(const float* __restrict__ x, const float* __restrict__ gy, long ho, long wo,
                            long row_step, long col_step, long F, float* __restrict__ gw) {
  v8 acc[P][NV];
  zero<NV, P>(acc);
  for (long i = 0; i < ho; ++i)
    for (long j = 0; j < wo; ++j) {
      const float* __restrict__ xp = x + i * row_step + j * col_step;
      const float* __restrict__ gp = gy + (i * wo + j) * F;
      v8 g[NV];
      for (int q = 0; q < NV; ++q) __builtin_memcpy(&g[q], gp + q * 8, 32);
      for (int p = 0; p < P; ++p) {
        const float v = xp[p];
        for (int q = 0; q < NV; ++q) acc[p][q] += g[q] * v;
      }
    }
  for (int p = 0; p < P; ++p)
    for (int q = 0; q < NV; ++q) {
      v8 sum;
      __builtin_memcpy(&sum, gw + p * F + q * 8, 32);
      sum += acc[p][q];
      __builtin_memcpy(gw + p * F + q * 8, &sum, 32);
    }
}

template <int NV>
static void filter_grad(long n, long H, long W, long C, long ho, long wo, long kr, long kc, long sr, long sc,
                        long F, const float* a, const float* gy, float* gw) {
  const long group = 8 * NV;
  for (long img = 0; img < n; ++img) {
    const float* x = a + img * H * W * C;
    const float* g = gy + img * ho * wo * F;
    for (long r = 0; r < kr; ++r)
      for (long cc = 0; cc < kc; ++cc)
        for (long f0 = 0; f0 < F; f0 += group) {
          const float* xt = x + (r * W + cc) * C;
          float* out = gw + ((r * kc + cc) * C) * F + f0;
          long ch = 0;
          for (; ch + 6 <= C; ch += 6)
            channels<NV, 6>(xt + ch, g + f0, ho, wo, sr * W * C, sc * C, F, out + ch * F);
          if (ch + 4 <= C) {
            channels<NV, 4>(xt + ch, g + f0, ho, wo, sr * W * C, sc * C, F, out + ch * F);
            ch += 4;
          }
          if (ch + 2 <= C) {
            channels<NV, 2>(xt + ch, g + f0, ho, wo, sr * W * C, sc * C, F, out + ch * F);
            ch += 2;
          }
          for (; ch < C; ++ch)
            channels<NV, 1>(xt + ch, g + f0, ho, wo, sr * W * C, sc * C, F, out + ch * F);
        }
  }
}

// gw (kr, kc, C, F), zeroed by the caller, += the filter gradient of maps a (n, H, W, C) and
// output gradients gy (n, ho, wo, F).
extern "C" int correlate_grad_filters(long n, long H, long W, long C, long ho, long wo, long kr, long kc,
                                      long sr, long sc, long F, const float* a, const float* gy, float* gw) {
  if (F % 16 == 0) filter_grad<2>(n, H, W, C, ho, wo, kr, kc, sr, sc, F, a, gy, gw);
  else if (F == 8) filter_grad<1>(n, H, W, C, ho, wo, kr, kc, sr, sc, F, a, gy, gw);
  else return 0;
  return 1;
}
"""


def correlator(xp, kernel, dtype):
    """``run(maps, out, stride)`` for the filters ``kernel`` (F, C, kr, kc): writes the valid
    correlation of ``maps`` (n, H, W, C), C-contiguous, into ``out`` (n, Ho, Wo, F), C-contiguous;
    or None where the compiled loop does not apply (not numpy, no compiler, other dtypes or counts)."""
    call = _loop("correlate", xp, kernel.shape, dtype)
    if call is None:
        return None
    f, c, kr, kc = kernel.shape
    taps = np.asarray(kernel, dtype=np.float32).transpose(2, 3, 1, 0)  # (kr, kc, C, F)
    if f % 16 == 0:  # groups of sixteen filters, each group's taps contiguous
        taps = taps.reshape(kr, kc, c, f // 16, 16).transpose(3, 0, 1, 2, 4)
    taps = np.ascontiguousarray(taps)
    return lambda maps, out, stride: call(maps, taps, out, out.shape, stride)


def filter_gradient(xp, w_shape, dtype):
    """``run(maps, gy, total, stride)`` adding the filter gradient of ``maps`` (n, H, W, C) and ``gy``
    (n, Ho, Wo, F), both C-contiguous, into ``total`` (kr, kc, C, F); or None where the compiled
    loop does not apply (as for ``correlator``, and for fewer than 4 channels: a first layer's
    products of patches made by filter offset are faster)."""
    call = _loop("correlate_grad_filters", xp, w_shape, dtype) if w_shape[1] >= 4 else None
    return None if call is None else lambda maps, gy, total, stride: call(maps, gy, total, gy.shape, stride)


def _loop(name, xp, w_shape, dtype):
    """``call(maps, second, third, out_shape, stride)`` running the compiled loop ``name`` for
    filters of ``w_shape``, or None where it does not apply."""
    f, c, kr, kc = w_shape
    if xp is not np or not config.cxx or np.dtype(dtype) != np.float32 or not (f % 16 == 0 or f == 8):
        return None
    library = compiler.build(SOURCE, contract=True).library()
    if library is None:
        return None
    function = getattr(library, name)
    function.restype = ctypes.c_int

    def call(maps, second, third, out_shape, stride):
        n, h, w, _ = maps.shape
        _, ho, wo, _ = out_shape
        longs = [ctypes.c_long(v) for v in (n, h, w, c, ho, wo, kr, kc, stride[0], stride[1], f)]
        function(*longs, *[ctypes.c_void_p(v.__array_interface__["data"][0]) for v in (maps, second, third)])

    return call
