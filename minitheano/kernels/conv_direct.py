"""A valid correlation of channels-last image maps computed directly, with no patch matrix: a
compiled loop (``SOURCE``) that keeps the results of six neighbouring output pixels for sixteen
filters in vector registers and adds each input value times its sixteen filter taps with fused
multiply-adds, as oneDNN's direct convolutions do.

The im2col kernels (``kernels.conv``) run the same sums as matrix products, at about 70 GFLOP/s
on one core here, and copy every patch first; this loop runs at 85-94 for 16 filters of 16
channels (the benchmark ConvNet's second layer and its input gradient, 2.3x faster in all).
It sums in another order and rounds once per multiply-add: results agree with the products to
float32 rounding, not to the bit. float32, 8 or a multiple of 16 filters; None otherwise.
"""
import ctypes

import numpy as np

from . import compiler
from ..config import config

SOURCE = r"""
// GCC/Clang vectors: eight floats, one AVX register (two NEON ones).
typedef float v8 __attribute__((vector_size(32)));

// P neighbouring output pixels of 8 * NV filters: out[p * F + f] for the taps w (kr, kc, C, 8 * NV).
template <int NV, int P>
static inline void pixels(const float* __restrict__ x, long col_step, long row_step, long kr, long kc, long C,
                          const float* __restrict__ w, float* __restrict__ out, long F) {
  v8 acc[P][NV];
  for (int p = 0; p < P; ++p)
    for (int q = 0; q < NV; ++q) acc[p][q] = (v8){0, 0, 0, 0, 0, 0, 0, 0};
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
"""


def correlator(xp, kernel, dtype):
    """``run(maps, out, stride)`` for the filters ``kernel`` (F, C, kr, kc): writes the valid
    correlation of ``maps`` (n, H, W, C), C-contiguous, into ``out`` (n, Ho, Wo, F), C-contiguous;
    or None where the compiled loop does not apply (not numpy, no compiler, other dtypes or counts)."""
    f, c, kr, kc = kernel.shape
    if xp is not np or not config.cxx or np.dtype(dtype) != np.float32 or not (f % 16 == 0 or f == 8):
        return None
    library = compiler.build(SOURCE, contract=True).library()
    if library is None:
        return None
    taps = np.asarray(kernel, dtype=np.float32).transpose(2, 3, 1, 0)  # (kr, kc, C, F)
    if f % 16 == 0:  # groups of sixteen filters, each group's taps contiguous
        taps = taps.reshape(kr, kc, c, f // 16, 16).transpose(3, 0, 1, 2, 4)
    taps = np.ascontiguousarray(taps)
    function = library.correlate
    function.restype = ctypes.c_int

    def run(maps, out, stride):
        n, h, w, _ = maps.shape
        _, ho, wo, _ = out.shape
        longs = [ctypes.c_long(v) for v in (n, h, w, c, ho, wo, kr, kc, stride[0], stride[1], f)]
        pointers = [ctypes.c_void_p(v.__array_interface__["data"][0]) for v in (maps, taps, out)]
        function(*longs, *pointers)

    return run
