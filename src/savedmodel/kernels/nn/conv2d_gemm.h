// The two ways this library computes a 2-D convolution over NHWC data, shared
// by Conv2D and _FusedConv2D:
//   Conv2DGemm: float, as matrix products (gemm.h). The output viewed as a
//     [batch * out_h * out_w, out_c] matrix is computed in chunks of rows;
//     each chunk gathers its input windows into a [rows, kh * kw * in_c] patch
//     matrix (im2col) and multiplies it by the filter viewed as
//     [kh * kw * in_c / groups, out_c], one product per group. A 1x1 stride-1
//     unpadded convolution multiplies the input itself, with no patch matrix.
//     Where AVX-512 is active the same chunks run as register blocks over the
//     input in place instead (conv2d_indirect.h), about twice as fast.
//   Conv2DDirect: any float type, a loop nest over windows. The reference the
//     GEMM path is tested against, and the path of half, bfloat16 and double.
#pragma once

#include <algorithm>
#include <functional>
#include <vector>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/core/tensor.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/nn/conv_util.h"

namespace savedmodel::kernels {

struct ConvDims {
  int64_t batch = 0, ih = 0, iw = 0, ic = 0;
  int64_t kh = 0, kw = 0, fc = 0, oc = 0, groups = 1;  // fc: input channels per group
  int64_t oh = 0, ow = 0, sh = 1, sw = 1, dh = 1, dw = 1, pad_top = 0, pad_left = 0;
};

// The dimensions of an NHWC input [batch, h, w, c] against an HWIO filter,
// checked: InvalidArgument when the depths do not divide into groups or the
// window arithmetic overflows.
StatusOr<ConvDims> Conv2DDimsOf(const ConvParams& p, const TensorShape& nhwc_in, const TensorShape& filter);

// Applied to each finished chunk of output rows right after its product:
// `y` is row `row0` of the [batch * out_h * out_w, out_c] output, `rows` rows
// long. Called concurrently for disjoint chunks.
using ConvEpilogue = std::function<void(int64_t row0, int64_t rows, float* y)>;

// y = conv(x, f) as above; y holds batch * oh * ow * oc floats and need not be
// initialized. Chunks depend on the shape only, and each chunk's products run
// on one thread, so the result does not depend on the thread count.
void Conv2DGemm(ThreadPool* pool, const ConvDims& d, const float* x, const float* f, float* y,
                const ConvEpilogue& epilogue = nullptr);

// The same convolution as a direct loop nest: each output pixel accumulates
// over its window in T's calculation type, the innermost loop over output
// channels (contiguous in the filter and the output).
template <typename T>
void Conv2DDirect(ThreadPool* pool, const ConvDims& d, const T* x, const T* f, T* y) {
  using C = Calc<T>;
  const int64_t ocg = d.oc / d.groups;
  ParallelFor(pool, d.batch * d.oh, 4, [&](int64_t begin, int64_t end) {
    std::vector<C> acc(d.oc);
    for (int64_t row = begin; row < end; ++row) {
      const int64_t b = row / d.oh, oy = row % d.oh;
      for (int64_t ox = 0; ox < d.ow; ++ox) {
        std::fill(acc.begin(), acc.end(), C(0));
        for (int64_t ky = 0; ky < d.kh; ++ky) {
          const int64_t iy = oy * d.sh - d.pad_top + ky * d.dh;
          if (iy < 0 || iy >= d.ih) continue;
          for (int64_t kx = 0; kx < d.kw; ++kx) {
            const int64_t ix = ox * d.sw - d.pad_left + kx * d.dw;
            if (ix < 0 || ix >= d.iw) continue;
            const T* px = x + ((b * d.ih + iy) * d.iw + ix) * d.ic;
            const T* pf = f + (ky * d.kw + kx) * d.fc * d.oc;
            for (int64_t g = 0; g < d.groups; ++g) {
              for (int64_t c = 0; c < d.fc; ++c) {
                const C v = ToCalc(px[g * d.fc + c]);
                const T* fr = pf + c * d.oc + g * ocg;
                C* a = acc.data() + g * ocg;
                for (int64_t o = 0; o < ocg; ++o) a[o] += v * ToCalc(fr[o]);
              }
            }
          }
        }
        T* dst = y + ((b * d.oh + oy) * d.ow + ox) * d.oc;
        for (int64_t o = 0; o < d.oc; ++o) dst[o] = FromCalc<T>(acc[o]);
      }
    }
  });
}

// dx, the gradient of Conv2D with respect to its input (Conv2DBackpropInput,
// also the transposed convolution): every (output pixel, tap) adds
// dy[pixel] . f[tap] to the input pixel the tap read. As matrix products: a
// chunk of dy rows [rows, oc] times the filter viewed as [kh * kw * ic, oc],
// transposed, gives each tap's contribution, which is then added into dx
// (col2im). Images run in parallel and each image's chunks in order, so the
// sums do not depend on the thread count. REQUIRES groups == 1; dx need not be
// initialized.
void Conv2DBackpropInputGemm(ThreadPool* pool, const ConvDims& d, const float* dy, const float* f, float* dx);

// The same as a direct loop, one thread: the reference of the above and the
// path of the other float types.
template <typename T>
void Conv2DBackpropInputDirect(const ConvDims& d, const T* dy, const T* f, T* dx) {
  using C = Calc<T>;
  std::vector<C> acc(d.batch * d.ih * d.iw * d.ic, C(0));
  for (int64_t b = 0; b < d.batch; ++b)
    for (int64_t oy = 0; oy < d.oh; ++oy)
      for (int64_t ox = 0; ox < d.ow; ++ox) {
        const T* gy = dy + ((b * d.oh + oy) * d.ow + ox) * d.oc;
        for (int64_t ky = 0; ky < d.kh; ++ky) {
          const int64_t iy = oy * d.sh - d.pad_top + ky * d.dh;
          if (iy < 0 || iy >= d.ih) continue;
          for (int64_t kx = 0; kx < d.kw; ++kx) {
            const int64_t ix = ox * d.sw - d.pad_left + kx * d.dw;
            if (ix < 0 || ix >= d.iw) continue;
            C* dst = acc.data() + ((b * d.ih + iy) * d.iw + ix) * d.ic;
            const T* fk = f + (ky * d.kw + kx) * d.ic * d.oc;
            for (int64_t c = 0; c < d.ic; ++c) {
              C sum = C(0);
              for (int64_t o = 0; o < d.oc; ++o) sum += ToCalc(gy[o]) * ToCalc(fk[c * d.oc + o]);
              dst[c] += sum;
            }
          }
        }
      }
  for (size_t i = 0; i < acc.size(); ++i) dx[i] = FromCalc<T>(acc[i]);
}

// dW, the gradient of Conv2D with respect to its filter
// (Conv2DBackpropFilter): for every tap, the input pixels the tap read,
// [batch * out_h * out_w, in_c] transposed, times dy [batch * out_h * out_w,
// out_c]. Each task is one tap and one block of output channels, its products
// summed over chunks of output pixels in order, so the sums do not depend on
// the thread count. REQUIRES groups == 1; dw [kh, kw, in_c, out_c] need not be
// initialized.
void Conv2DBackpropFilterGemm(ThreadPool* pool, const ConvDims& d, const float* x, const float* dy, float* dw);

// The same as a direct loop, one thread: the reference of the above and the
// path of the other float types.
template <typename T>
void Conv2DBackpropFilterDirect(const ConvDims& d, const T* x, const T* dy, T* dw) {
  using C = Calc<T>;
  std::vector<C> acc(d.kh * d.kw * d.ic * d.oc, C(0));
  for (int64_t b = 0; b < d.batch; ++b)
    for (int64_t oy = 0; oy < d.oh; ++oy)
      for (int64_t ox = 0; ox < d.ow; ++ox) {
        const T* gy = dy + ((b * d.oh + oy) * d.ow + ox) * d.oc;
        for (int64_t ky = 0; ky < d.kh; ++ky) {
          const int64_t iy = oy * d.sh - d.pad_top + ky * d.dh;
          if (iy < 0 || iy >= d.ih) continue;
          for (int64_t kx = 0; kx < d.kw; ++kx) {
            const int64_t ix = ox * d.sw - d.pad_left + kx * d.dw;
            if (ix < 0 || ix >= d.iw) continue;
            const T* px = x + ((b * d.ih + iy) * d.iw + ix) * d.ic;
            C* dst = acc.data() + (ky * d.kw + kx) * d.ic * d.oc;
            for (int64_t c = 0; c < d.ic; ++c) {
              const C v = ToCalc(px[c]);
              for (int64_t o = 0; o < d.oc; ++o) dst[c * d.oc + o] += v * ToCalc(gy[o]);
            }
          }
        }
      }
  for (size_t i = 0; i < acc.size(); ++i) dw[i] = FromCalc<T>(acc[i]);
}

}  // namespace savedmodel::kernels
