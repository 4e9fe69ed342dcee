#include "savedmodel/kernels/nn/conv2d_indirect.h"

#include <immintrin.h>

#include <algorithm>

#include "savedmodel/base/cpu_features.h"

namespace savedmodel::kernels {
namespace {

// Output channels per register block: four 16-float vectors.
constexpr int64_t kBlockCols = 64;

// The filter panel one block of columns streams per block of pixels,
// [kh * kw * ic, 64] floats, must stay in the core's L2 (1 MiB on the Zen 5
// host; 512 KiB leaves room for the input windows and the output).
constexpr int64_t kMaxPanelBytes = int64_t{512} << 10;

// Pixels per register block for a block of `nv` vectors of channels: 24
// accumulators (of the 32 vector registers), enough independent chains to
// keep both FMA pipes busy through their latency.
constexpr int RowsFor(int nv) { return nv >= 4 ? 6 : nv == 3 ? 8 : 12; }

// y[r][0:16 * NV] (the last vector masked by `tail`) = the sums over taps and
// input channels of p[tap][r][c] * f[tap * ic + c][0:16 * NV], for the first
// `valid` of the MR pixels. Every template argument is a constant, so the
// accumulators live in registers.
template <int MR, int NV>
__attribute__((target("avx512f"))) void Block(const float* const* ptrs, int64_t taps, int64_t ic,
                                              const float* f, int64_t ldf, __mmask16 tail, float* y,
                                              int64_t ldy, int valid) {
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  }
  for (int64_t t = 0; t < taps; ++t, ptrs += MR) {
    const float* fb = f + t * ic * ldf;
    for (int64_t c = 0; c < ic; ++c, fb += ldf) {
      __m512 b[NV];
#pragma GCC unroll 4
      for (int v = 0; v + 1 < NV; ++v) b[v] = _mm512_loadu_ps(fb + 16 * v);
      b[NV - 1] = _mm512_maskz_loadu_ps(tail, fb + 16 * (NV - 1));
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const __m512 a = _mm512_set1_ps(ptrs[r][c]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
      }
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    if (r >= valid) break;
#pragma GCC unroll 4
    for (int v = 0; v + 1 < NV; ++v) _mm512_storeu_ps(y + r * ldy + 16 * v, acc[r][v]);
    _mm512_mask_storeu_ps(y + r * ldy + 16 * (NV - 1), tail, acc[r][NV - 1]);
  }
}

using BlockFn = void (*)(const float* const*, int64_t, int64_t, const float*, int64_t, __mmask16, float*, int64_t,
                         int);

// The same block for a short filter, TAPS taps of LEN values (K = TAPS * LEN
// <= 9: a 3x3 filter over one input channel, the first layer of a grayscale
// network): the whole [K, 16 * NV] filter panel stays in registers (18 of
// the 32 for NV = 2) and the 12 pixels run as two halves of 6, so each
// broadcast input value meets registers only. Block<12, NV> reloaded the
// panel for every pixel block and ran two loops of three, at a third of the
// FMA peak. Each output is still one FMA chain over (tap, value) in order
// from zero: the same bits as Block<12, NV>.
template <int TAPS, int LEN, int NV>
__attribute__((target("avx512f"))) void ShortFilterBlock(const float* const* ptrs, int64_t, int64_t,
                                                         const float* f, int64_t ldf, __mmask16 tail, float* y,
                                                         int64_t ldy, int valid) {
  constexpr int kMr = 12, kHalf = 6, kK = TAPS * LEN;
  __m512 w[kK][NV];
#pragma GCC unroll 9
  for (int k = 0; k < kK; ++k) {
#pragma GCC unroll 2
    for (int v = 0; v + 1 < NV; ++v) w[k][v] = _mm512_loadu_ps(f + k * ldf + 16 * v);
    w[k][NV - 1] = _mm512_maskz_loadu_ps(tail, f + k * ldf + 16 * (NV - 1));
  }
#pragma GCC unroll 2
  for (int h = 0; h < kMr; h += kHalf) {
    if (h >= valid) break;
    __m512 acc[kHalf][NV];
#pragma GCC unroll 6
    for (int r = 0; r < kHalf; ++r) {
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
    }
#pragma GCC unroll 9
    for (int t = 0; t < TAPS; ++t) {
#pragma GCC unroll 6
      for (int r = 0; r < kHalf; ++r) {
        const float* p = ptrs[t * kMr + h + r];
#pragma GCC unroll 9
        for (int c = 0; c < LEN; ++c) {
          const __m512 a = _mm512_set1_ps(p[c]);
#pragma GCC unroll 2
          for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(a, w[t * LEN + c][v], acc[r][v]);
        }
      }
    }
#pragma GCC unroll 6
    for (int r = 0; r < kHalf; ++r) {
      if (h + r >= valid) break;
      float* out = y + (h + r) * ldy;
#pragma GCC unroll 2
      for (int v = 0; v + 1 < NV; ++v) _mm512_storeu_ps(out + 16 * v, acc[r][v]);
      _mm512_mask_storeu_ps(out + 16 * (NV - 1), tail, acc[r][NV - 1]);
    }
  }
}

// ShortFilterBlock where it is instantiated: 12-pixel blocks (at most 32
// output channels) of a 3x3 filter over one channel, as window rows (taps of
// 3 values) or, with width dilation, as 9 single-value taps.
BlockFn ShortFilterBlockFor(int mr, int nv, int64_t taps, int64_t len) {
  if (mr != 12 || nv > 2) return nullptr;
  if (taps == 3 && len == 3) return nv == 1 ? &ShortFilterBlock<3, 3, 1> : &ShortFilterBlock<3, 3, 2>;
  if (taps == 9 && len == 1) return nv == 1 ? &ShortFilterBlock<9, 1, 1> : &ShortFilterBlock<9, 1, 2>;
  return nullptr;
}

// The blocks that occur: MR = RowsFor(widest block), the narrower tail block
// of the columns with the same MR.
template <int MR>
BlockFn BlockFor(int nv) {
  if (nv == 1) return &Block<MR, 1>;
  if (nv == 2) return &Block<MR, 2>;
  if constexpr (MR <= 8) {
    if (nv == 3) return &Block<MR, 3>;
  }
  if constexpr (MR <= 6) return &Block<MR, 4>;
  return nullptr;
}

BlockFn BlockFor(int mr, int nv) {
  switch (mr) {
    case 6: return BlockFor<6>(nv);
    case 8: return BlockFor<8>(nv);
    default: return BlockFor<12>(nv);
  }
}

int Vectors(int64_t cols) { return static_cast<int>((cols + 15) / 16); }

int RowsOf(const ConvDims& d) { return RowsFor(Vectors(std::min(d.oc, kBlockCols))); }

}  // namespace

bool Conv2DIndirect::Applies(const ConvDims& d) {
  const int64_t k = d.kh * d.kw * d.ic;
  return ActiveSimdLevel() == SimdLevel::kAvx512 && d.groups == 1 && d.oc > 0 && k > 0 &&
         k * kBlockCols * static_cast<int64_t>(sizeof(float)) <= kMaxPanelBytes;
}

// Without dilation along the width a window row is kw * ic consecutive input
// values, and the blocks run over it as one tap of kw * ic channels: the
// same sums in the same order (kx, then c) with a third of the pointers for
// a 3x3 filter. Window rows that cross the left or right edge are gathered,
// zeros included, into the scratch.
Conv2DIndirect::Conv2DIndirect(const ConvDims& d, int64_t max_rows)
    : d_(d),
      rows_of_taps_(d.dw == 1 || d.kw == 1),
      taps_(rows_of_taps_ ? d.kh : d.kh * d.kw),
      tap_len_(rows_of_taps_ ? d.kw * d.ic : d.ic),
      zeros_(tap_len_, 0.0f) {
  const int64_t mr = RowsOf(d);
  ptrs_.resize((max_rows + mr - 1) / mr * mr * taps_);
  tap_offsets_.resize(taps_);
  for (int64_t t = 0; t < taps_; ++t) {
    const int64_t ky = rows_of_taps_ ? t : t / d.kw, kx = rows_of_taps_ ? 0 : t % d.kw;
    tap_offsets_[t] = (ky * d.dh * d.iw + kx * d.dw) * d.ic;
  }
  if (rows_of_taps_ && (d.pad_left > 0 || (d.ow - 1) * d.sw - d.pad_left + d.kw > d.iw)) {
    edges_.reset(new float[max_rows * taps_ * tap_len_]);  // written before it is read
  }
}

void Conv2DIndirect::Rows(const float* x, const float* f, int64_t row0, int64_t rows, float* y) {
  const ConvDims& d = d_;
  const int mr = RowsOf(d);
  const int64_t taps = taps_, blocks = (rows + mr - 1) / mr;
  float* edge = edges_.get();
  // The pointer table: block j's tap t for its pixel r at (j * taps + t) * mr + r.
  // The dimensions as locals: the compiler cannot keep members in registers
  // across the stores into the table.
  const int64_t kh = d.kh, kw = d.kw, ih = d.ih, iw = d.iw, ic = d.ic, oh = d.oh, ow = d.ow;
  const int64_t sh = d.sh, sw = d.sw, dh = d.dh, dw = d.dw, pad_top = d.pad_top, pad_left = d.pad_left;
  const int64_t tap_len = tap_len_;
  const bool rows_of_taps = rows_of_taps_;
  const float* const zeros = zeros_.data();
  const int64_t* const offsets = tap_offsets_.data();
  int64_t ox = row0 % ow, oy = row0 / ow % oh, b = row0 / (ow * oh);
  for (int64_t j = 0; j < blocks; ++j) {
    const float** block = ptrs_.data() + j * taps * mr;
    // Most blocks lie inside one output row with every window inside the
    // image: each tap's pointers are then a stride apart.
    if (j * mr + mr <= rows && ox + mr <= ow && ox * sw - pad_left >= 0 &&
        (ox + mr - 1) * sw - pad_left + (kw - 1) * dw < iw && oy * sh - pad_top >= 0 &&
        oy * sh - pad_top + (kh - 1) * dh < ih) {
      const float* img = x + b * ih * iw * ic;
      const int64_t step = sw * ic;
      for (int64_t t = 0; t < taps; ++t) {
        const int64_t ky = rows_of_taps ? t : t / kw, kx = rows_of_taps ? 0 : t % kw;
        const float* p = img + ((oy * sh - pad_top + ky * dh) * iw + ox * sw - pad_left + kx * dw) * ic;
        for (int64_t r = 0; r < mr; ++r) block[t * mr + r] = p + r * step;
      }
      ox += mr;
      if (ox == ow) {
        ox = 0;
        if (++oy == oh) oy = 0, ++b;
      }
      continue;
    }
    for (int64_t r = 0; r < mr; ++r) {
      const float** out = block + r;
      if (j * mr + r >= rows) {
        for (int64_t t = 0; t < taps; ++t) out[t * mr] = zeros;
        continue;
      }
      const float* img = x + b * ih * iw * ic;
      const int64_t ix0 = ox * sw - pad_left, iy0 = oy * sh - pad_top;
      // A window inside the image, in a block that crosses an output row
      // (a third of the blocks of a 26-pixel row): its taps at fixed offsets.
      if (ix0 >= 0 && ix0 + (kw - 1) * dw < iw && iy0 >= 0 && iy0 + (kh - 1) * dh < ih) {
        const float* p = img + (iy0 * iw + ix0) * ic;
        for (int64_t t = 0; t < taps; ++t) out[t * mr] = p + offsets[t];
        if (++ox == ow) {
          ox = 0;
          if (++oy == oh) oy = 0, ++b;
        }
        continue;
      }
      const bool cols_in = ix0 >= 0 && ix0 + kw <= iw;
      for (int64_t ky = 0; ky < kh; ++ky) {
        const int64_t iy = oy * sh - pad_top + ky * dh;
        const bool row_in = iy >= 0 && iy < ih;
        if (rows_of_taps) {
          if (!row_in) {
            out[ky * mr] = zeros;
          } else if (cols_in) {
            out[ky * mr] = img + (iy * iw + ix0) * ic;
          } else {
            for (int64_t kx = 0; kx < kw; ++kx) {
              const int64_t ix = ix0 + kx;
              if (ix >= 0 && ix < iw) {
                std::copy_n(img + (iy * iw + ix) * ic, ic, edge + kx * ic);
              } else {
                std::fill_n(edge + kx * ic, ic, 0.0f);
              }
            }
            out[ky * mr] = edge;
            edge += tap_len;
          }
          continue;
        }
        for (int64_t kx = 0; kx < kw; ++kx) {
          const int64_t ix = ix0 + kx * dw;
          out[(ky * kw + kx) * mr] = row_in && ix >= 0 && ix < iw ? img + (iy * iw + ix) * ic : zeros;
        }
      }
      if (++ox == ow) {
        ox = 0;
        if (++oy == oh) oy = 0, ++b;
      }
    }
  }
  // Columns outer, so one block of the filter serves every pixel of the chunk
  // from the cache.
  for (int64_t n0 = 0; n0 < d.oc; n0 += kBlockCols) {
    const int64_t cols = std::min(kBlockCols, d.oc - n0);
    const int nv = Vectors(cols);
    const __mmask16 tail = static_cast<__mmask16>((1u << (cols - 16 * (nv - 1))) - 1u);
    const BlockFn short_fn = ShortFilterBlockFor(mr, nv, taps, tap_len);
    const BlockFn fn = short_fn != nullptr ? short_fn : BlockFor(mr, nv);
    for (int64_t j = 0; j < blocks; ++j) {
      fn(ptrs_.data() + j * taps * mr, taps, tap_len_, f + n0, d.oc, tail, y + j * mr * d.oc + n0, d.oc,
         static_cast<int>(std::min<int64_t>(mr, rows - j * mr)));
    }
  }
}

}  // namespace savedmodel::kernels
