// Float convolution without a patch matrix, for CPUs with AVX-512F: each
// block of output pixels keeps its [pixels, output channels] sums in vector
// registers and reads its input windows in place, through a table of one
// pointer per (tap, pixel) that points into the NHWC input, or at a row of
// zeros where the tap falls in the padding (an "indirect" convolution).
//
// Why not im2col + Sgemm: the backend's sgemm (oneDNN 2.6) runs at ~104
// GFLOP/s per core on this AMD Zen 5 host, whose AVX-512 FMAs peak near 250;
// these register blocks run at ~170-190 (docs/performance.md), and there is
// no patch matrix to write and read back.
//
// Each output value is one chain of fused multiply-adds over the taps in
// order (ky, kx), and within a tap over the input channels in order: the same
// sum whichever block, chunk or thread computes it, so results do not depend
// on the thread count.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "savedmodel/kernels/nn/conv2d_gemm.h"

namespace savedmodel::kernels {

class Conv2DIndirect {
 public:
  // Whether this CPU and this convolution take this path: AVX-512F active
  // (SimdLevel, so tests can cap it), one group, and a filter panel small
  // enough for the cache (the register blocks stream it once per block of
  // pixels).
  static bool Applies(const ConvDims& d);

  // Scratch for chunks of up to `max_rows` output rows, one per thread.
  Conv2DIndirect(const ConvDims& d, int64_t max_rows);

  // Output rows [row0, row0 + rows) of the [batch * oh * ow, oc] output,
  // written to y (row row0 of the output), fully; rows <= max_rows.
  void Rows(const float* x, const float* f, int64_t row0, int64_t rows, float* y);

 private:
  const ConvDims& d_;
  bool rows_of_taps_;               // a tap is a window row (kw * ic values), not a pixel
  int64_t taps_, tap_len_;          // taps per window, input values per tap
  std::vector<const float*> ptrs_;  // [block][tap][pixel of the block]
  std::vector<int64_t> tap_offsets_;  // tap t of a window inside the image: its first pixel + this
  std::vector<float> zeros_;        // one tap of zeros (padding rows)
  std::unique_ptr<float[]> edges_;  // window rows crossing the image's side, gathered
};

}  // namespace savedmodel::kernels
