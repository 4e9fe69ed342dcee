// MaxPool and AvgPool over 2-D windows.
//   NHWC: input [batch, h, w, c] -> [batch, out_h, out_w, c]; ksize and strides
//   are [1, kh, kw, 1]. NCHW: [batch, c, h, w], ksize and strides [1, 1, kh, kw].
// Output sizes as Conv2D's, from conv_util.h's Window() (dilation 1).
// Padded positions take no part: MaxPool ignores them (and NaN inputs) and
// AvgPool divides by the number of real elements under the window, as
// TensorFlow does.
#include <immintrin.h>

#include <algorithm>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "savedmodel/base/cpu_features.h"
#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/nn/conv_util.h"
#include "savedmodel/kernels/typed_kernel.h"

namespace savedmodel::kernels {
namespace {

// One output pixel of the NHWC float path with AVX-512: each block of 16
// channels is folded over the window in a register, in the window order of
// the general loop (rows, then columns), so the result is bit-identical to it:
// maxps(v, acc) keeps acc unless v > acc, as `v > acc ? v : acc` (NaN never
// wins, a zero of either sign keeps the first seen).
template <bool kMax>
__attribute__((target("avx512f"))) void PoolPixelAvx512(const float* img, int64_t iw, int64_t c, int64_t y0,
                                                        int64_t y1, int64_t x0, int64_t x1, float* dst) {
  const __m512 init = _mm512_set1_ps(kMax ? -std::numeric_limits<float>::infinity() : 0.0f);
  const __m512 count = _mm512_set1_ps(static_cast<float>((y1 - y0) * (x1 - x0)));
  int64_t ch = 0;
  for (; ch + 16 <= c; ch += 16) {
    __m512 acc = init;
    for (int64_t iy = y0; iy < y1; ++iy) {
      const float* src = img + (iy * iw + x0) * c + ch;
      for (int64_t ix = x0; ix < x1; ++ix, src += c) {
        const __m512 v = _mm512_loadu_ps(src);
        acc = kMax ? _mm512_max_ps(v, acc) : _mm512_add_ps(acc, v);
      }
    }
    if constexpr (!kMax) acc = _mm512_div_ps(acc, count);
    _mm512_storeu_ps(dst + ch, acc);
  }
  if (ch == c) return;
  // The last channels under a mask (a masked store is slow on a page not yet
  // written, so full blocks above store whole vectors).
  const __mmask16 mask = static_cast<__mmask16>((1u << (c - ch)) - 1u);
  __m512 acc = init;
  for (int64_t iy = y0; iy < y1; ++iy) {
    const float* src = img + (iy * iw + x0) * c + ch;
    for (int64_t ix = x0; ix < x1; ++ix, src += c) {
      const __m512 v = _mm512_maskz_loadu_ps(mask, src);
      acc = kMax ? _mm512_max_ps(v, acc) : _mm512_add_ps(acc, v);
    }
  }
  if constexpr (!kMax) acc = _mm512_div_ps(acc, count);
  _mm512_mask_storeu_ps(dst + ch, mask, acc);
}

template <bool kMax>
class PoolKernel : public TypedKernel<PoolKernel<kMax>> {
  friend class TypedKernel<PoolKernel>;

 public:
  PoolKernel(const OpKernelConstruction& c, Status* s) {
    std::string format = "NHWC";
    std::vector<int64_t> ksize, strides;
    *s = c.GetAttr("ksize", &ksize);
    if (s->ok()) *s = c.GetAttr("strides", &strides);
    if (s->ok()) *s = c.GetAttr("padding", &padding_);
    if (s->ok() && c.HasAttr("data_format")) *s = c.GetAttr("data_format", &format);
    if (!s->ok()) return;
    *s = this->SelectRun(c, c.input_types()[0], [](auto t) {
      using T = typename decltype(t)::type;
      return kMax ? kIsReal<T> : kIsFloat<T>;
    });
    if (!s->ok()) return;
    nchw_ = format == "NCHW";
    const int hd = nchw_ ? 2 : 1, cd = nchw_ ? 1 : 3;
    if (format != "NHWC" && format != "NCHW") {
      *s = c.Error("unknown data_format '" + format + "'");
    } else if (ksize.size() != 4 || strides.size() != 4) {
      *s = c.Error("ksize and strides must have 4 values");
    } else if (ksize[0] != 1 || ksize[cd] != 1 || strides[0] != 1 || strides[cd] != 1) {
      *s = c.Error("pooling over the batch or depth dimension is not supported");
    } else if (ksize[hd] < 1 || ksize[hd + 1] < 1 || strides[hd] < 1 || strides[hd + 1] < 1) {
      *s = c.Error("ksize and strides must be positive");
    } else if (padding_ != "SAME" && padding_ != "VALID") {
      *s = c.Error("padding '" + padding_ + "' is not supported");
    }
    kh_ = ksize[hd], kw_ = ksize[hd + 1], sh_ = strides[hd], sw_ = strides[hd + 1];
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    const Tensor in = ctx->input(0);
    if (in.rank() != 4) return ctx->InvalidArg("input must be 4-dimensional, got " + in.shape().DebugString());
    const int64_t n = in.dim(0);
    const int64_t c = nchw_ ? in.dim(1) : in.dim(3);
    const int64_t ih = nchw_ ? in.dim(2) : in.dim(1), iw = nchw_ ? in.dim(3) : in.dim(2);
    auto hw = Window(ih, kh_, sh_, 1, padding_, 0, 0), ww = Window(iw, kw_, sw_, 1, padding_, 0, 0);
    if (!hw.ok()) return ctx->InvalidArg(hw.status().message());
    if (!ww.ok()) return ctx->InvalidArg(ww.status().message());
    const Geometry h = *hw, w = *ww;
    const TensorShape shape = nchw_ ? TensorShape{n, c, h.out, w.out} : TensorShape{n, h.out, w.out, c};
    // Every path below writes every output element.
    Tensor* out = ctx->allocate_output_uninitialized(0, in.dtype(), shape);
    const T* x = in.flat<T>().data();
    T* y = out->flat<T>().data();
    if constexpr (std::is_same_v<Calc<T>, T>) {
      if (!nchw_) {
        PoolNhwc(ctx->pool(), x, y, n, ih, iw, c, h, w);
        return Status::OK();
      }
    }
    // Strides of (batch, y, x, channel) in either layout.
    const int64_t sn = ih * iw * c, sy = nchw_ ? iw : iw * c, sx = nchw_ ? 1 : c, sc = nchw_ ? ih * iw : 1;
    const int64_t on = h.out * w.out * c, oy_ = nchw_ ? w.out : w.out * c, ox_ = nchw_ ? 1 : c,
                  oc_ = nchw_ ? h.out * w.out : 1;
    using C = Calc<T>;
    ParallelFor(ctx->pool(), n * h.out, 4, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int64_t b = row / h.out, oy = row % h.out;
        const int64_t y0 = std::max<int64_t>(0, oy * sh_ - h.pad_before), y1 = std::min(ih, oy * sh_ - h.pad_before + kh_);
        for (int64_t ox = 0; ox < w.out; ++ox) {
          const int64_t x0 = std::max<int64_t>(0, ox * sw_ - w.pad_before), x1 = std::min(iw, ox * sw_ - w.pad_before + kw_);
          for (int64_t ch = 0; ch < c; ++ch) {
            const T* base = x + b * sn + ch * sc;
            C acc = kMax ? std::numeric_limits<C>::lowest() : C(0);
            if constexpr (kMax && std::numeric_limits<C>::has_infinity) acc = -std::numeric_limits<C>::infinity();
            for (int64_t iy = y0; iy < y1; ++iy) {
              for (int64_t ix = x0; ix < x1; ++ix) {
                const C v = ToCalc(base[iy * sy + ix * sx]);
                if constexpr (kMax) {
                  if (v > acc) acc = v;  // NaN never wins, as in TensorFlow's MaxPool
                } else {
                  acc += v;
                }
              }
            }
            if constexpr (!kMax) acc /= static_cast<C>((y1 - y0) * (x1 - x0));
            y[b * on + oy * oy_ + ox * ox_ + ch * oc_] = FromCalc<T>(acc);
          }
        }
      }
    });
    return Status::OK();
  }

  // NHWC for types computed as themselves: each output pixel's channels are
  // one contiguous row that the window's pixels are folded into, so the
  // innermost loop runs over channels and vectorizes. Per channel the window
  // is visited in the same order as the general loop above (rows, then
  // columns), so sums and maxima are bit-identical to it.
  template <typename T>
  void PoolNhwc(ThreadPool* pool, const T* x, T* y, int64_t n, int64_t ih, int64_t iw, int64_t c,
                const Geometry& h, const Geometry& w) const {
    const int64_t row_work = std::max<int64_t>(1, w.out * c * kh_ * kw_);
    const bool avx512 = ActiveSimdLevel() == SimdLevel::kAvx512;
    ParallelFor(pool, n * h.out, std::max<int64_t>(1, kMinParallelWork / row_work), [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int64_t b = row / h.out, oy = row % h.out;
        const int64_t y0 = std::max<int64_t>(0, oy * sh_ - h.pad_before), y1 = std::min(ih, oy * sh_ - h.pad_before + kh_);
        const T* img = x + b * ih * iw * c;
        T* dst = y + row * w.out * c;
        for (int64_t ox = 0; ox < w.out; ++ox, dst += c) {
          const int64_t x0 = std::max<int64_t>(0, ox * sw_ - w.pad_before), x1 = std::min(iw, ox * sw_ - w.pad_before + kw_);
          if constexpr (std::is_same_v<T, float>) {
            if (avx512) {
              PoolPixelAvx512<kMax>(img, iw, c, y0, y1, x0, x1, dst);
              continue;
            }
          }
          T init = kMax ? std::numeric_limits<T>::lowest() : T(0);
          if constexpr (kMax && std::numeric_limits<T>::has_infinity) init = -std::numeric_limits<T>::infinity();
          std::fill(dst, dst + c, init);
          for (int64_t iy = y0; iy < y1; ++iy) {
            for (int64_t ix = x0; ix < x1; ++ix) {
              const T* src = img + (iy * iw + ix) * c;
              for (int64_t ch = 0; ch < c; ++ch) {
                if constexpr (kMax) {
                  dst[ch] = src[ch] > dst[ch] ? src[ch] : dst[ch];  // NaN never wins
                } else {
                  dst[ch] += src[ch];
                }
              }
            }
          }
          if constexpr (!kMax) {
            const T count = static_cast<T>((y1 - y0) * (x1 - x0));
            for (int64_t ch = 0; ch < c; ++ch) dst[ch] /= count;
          }
        }
      }
    });
  }

  std::string padding_;
  bool nchw_ = false;
  int64_t kh_ = 1, kw_ = 1, sh_ = 1, sw_ = 1;
};
REGISTER_KERNEL("MaxPool", PoolKernel<true>);
REGISTER_KERNEL("AvgPool", PoolKernel<false>);

}  // namespace
}  // namespace savedmodel::kernels
