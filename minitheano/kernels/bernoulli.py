"""0/1 draws from numpy's PCG64 stream, compiled: the generator's 64-bit words, each two draws
(its low 32 bits, then its high ones) compared with a threshold, as ``ops.random`` defines them.

numpy makes the words one function call each (2.8 ns) and compares them in a second pass; the
loop here runs four interleaved copies of the generator (each stepping four words at a time, so
the 128-bit multiplications do not wait on each other) and writes the floats directly. The words
are numpy's, so the samples are the same to the bit with or without a compiler.
"""
import ctypes
import sys

import numpy as np

from . import compiler
from ..config import config

MULTIPLIER = (2549297995355413924 << 64) + 4865540595714422341  # PCG64's, numpy's pcg64.h
_MASK = (1 << 128) - 1

SOURCE = r"""
#include <stdint.h>
typedef unsigned __int128 u128;
static inline uint64_t output(u128 s) {
  const uint64_t x = (uint64_t)(s >> 64) ^ (uint64_t)s;
  const unsigned r = (unsigned)(s >> 122);
  return (x >> r) | (x << ((-r) & 63));
}
static inline void two(uint64_t w, uint32_t threshold, float* out) {
  out[0] = (float)((uint32_t)w < threshold);
  out[1] = (float)((uint32_t)(w >> 32) < threshold);
}
// out[k] = (word k / 2, low or high half) < threshold, for k < n; start holds the states that
// make words 0..3 (high, low), and each of the four copies steps by (m4, c4): four words at a time.
extern "C" void draws(const uint64_t* start, uint64_t m4_hi, uint64_t m4_lo, uint64_t c4_hi, uint64_t c4_lo,
                      long n, uint32_t threshold, float* out) {
  const u128 m4 = ((u128)m4_hi << 64) | m4_lo, c4 = ((u128)c4_hi << 64) | c4_lo;
  u128 s0 = ((u128)start[0] << 64) | start[1], s1 = ((u128)start[2] << 64) | start[3];
  u128 s2 = ((u128)start[4] << 64) | start[5], s3 = ((u128)start[6] << 64) | start[7];
  long k = 0;
  for (; k + 8 <= n; k += 8) {
    two(output(s0), threshold, out + k);
    two(output(s1), threshold, out + k + 2);
    two(output(s2), threshold, out + k + 4);
    two(output(s3), threshold, out + k + 6);
    s0 = s0 * m4 + c4;
    s1 = s1 * m4 + c4;
    s2 = s2 * m4 + c4;
    s3 = s3 * m4 + c4;
  }
  const u128 rest[4] = {s0, s1, s2, s3};
  for (int j = 0; k < n; ++j, k += 2) {
    const uint64_t w = output(rest[j]);
    out[k] = (float)((uint32_t)w < threshold);
    if (k + 1 < n) out[k + 1] = (float)((uint32_t)(w >> 32) < threshold);
  }
}
"""


def draws(rng, size, threshold):
    """float32 ``words < threshold`` for the first ``size`` 32-bit halves of ``rng``'s next words
    (``threshold`` < 2**32), or None where there is no compiled loop for it (no compiler, a
    generator other than PCG64, a big-endian machine)."""
    if not config.cxx or sys.byteorder != "little" or rng.bit_generator.state["bit_generator"] != "PCG64":
        return None
    library = compiler.build(SOURCE).library()
    if library is None:
        return None
    state = rng.bit_generator.state["state"]
    s, inc = state["state"], state["inc"]
    start = []
    for _ in range(4):  # the states after one, two, three and four steps make words 0..3
        s = (s * MULTIPLIER + inc) & _MASK
        start += [s >> 64, s & (2**64 - 1)]
    m4, c4 = 1, 0
    for _ in range(4):  # four steps as one: s -> s * m4 + c4
        m4, c4 = (m4 * MULTIPLIER) & _MASK, (c4 * MULTIPLIER + inc) & _MASK
    out = np.empty(size, dtype=np.float32)
    args = [(ctypes.c_uint64 * 8)(*start)] + [ctypes.c_uint64(v) for v in (m4 >> 64, m4 & (2**64 - 1),
                                                                          c4 >> 64, c4 & (2**64 - 1))]
    library.draws(*args, ctypes.c_long(size), ctypes.c_uint32(threshold), ctypes.c_void_p(out.ctypes.data))
    return out
