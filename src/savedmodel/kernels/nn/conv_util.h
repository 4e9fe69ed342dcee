// What Conv2D and DepthwiseConv2dNative share: their attrs (strides,
// dilations, padding, data_format, explicit_paddings, checked once at load),
// the output size of a window along one dimension, and the NCHW <-> NHWC
// transposes around the NHWC compute loops.
//
// Window sizes: VALID: floor((in - (k-1)*d - 1) / s) + 1, or 0 when the
// window is larger than the input (an empty result); SAME: ceil(in / s), the
// padding split with the extra row/column at the bottom/right, as TensorFlow
// does; EXPLICIT: VALID over the input padded as given.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "savedmodel/core/checked_math.h"
#include "savedmodel/kernels/kernel.h"

namespace savedmodel::kernels {

struct Geometry {
  int64_t out = 0, pad_before = 0;
};

// Every quantity comes from attrs and shapes a model chooses, so the
// arithmetic is checked: an overflow is InvalidArgument, never a wrong size.
inline StatusOr<Geometry> Window(int64_t in, int64_t k, int64_t stride, int64_t dilation,
                                 const std::string& padding, int64_t explicit_before, int64_t explicit_after) {
  const Status overflow = InvalidArgument("filter size, dilations, strides or explicit paddings overflow int64");
  int64_t eff, t;
  if (k < 1) return InvalidArgument("filter dimensions must be positive, got " + std::to_string(k));
  if (!CheckedMul(k - 1, dilation, &eff) || !CheckedAdd(eff, 1, &eff) || !CheckedAdd(in, stride, &t)) return overflow;
  Geometry g;
  if (padding == "VALID") {
    g.out = in < eff ? 0 : (in - eff) / stride + 1;
  } else if (padding == "SAME") {
    g.out = (in + stride - 1) / stride;
    int64_t total;
    if (!CheckedMul(g.out - 1, stride, &total) || !CheckedAdd(total, eff, &total)) return overflow;
    g.pad_before = std::max<int64_t>(0, total - in) / 2;
  } else {  // EXPLICIT
    if (explicit_before < 0 || explicit_after < 0) return InvalidArgument("explicit paddings must be non-negative");
    int64_t padded;
    if (!CheckedAdd(in, explicit_before, &padded) || !CheckedAdd(padded, explicit_after, &padded)) return overflow;
    g.out = padded < eff ? 0 : (padded - eff) / stride + 1;
    g.pad_before = explicit_before;
  }
  return g;
}

inline constexpr int kToNhwc[4] = {0, 2, 3, 1}, kToNchw[4] = {0, 3, 1, 2};

// Permutes a 4-D tensor: out[i0, i1, i2, i3] = in[index at perm].
template <typename T>
Tensor Permute4(const Tensor& in, const int perm[4]) {
  int64_t d[4], st[4];
  for (int i = 0; i < 4; ++i) d[i] = in.dim(perm[i]);
  const int64_t in_st[4] = {in.dim(1) * in.dim(2) * in.dim(3), in.dim(2) * in.dim(3), in.dim(3), 1};
  for (int i = 0; i < 4; ++i) st[i] = in_st[perm[i]];
  Tensor out = Tensor::Uninitialized(in.dtype(), TensorShape{d[0], d[1], d[2], d[3]});  // every element written below
  const T* x = in.flat<T>().data();
  T* y = out.flat<T>().data();
  for (int64_t a = 0; a < d[0]; ++a)
    for (int64_t b = 0; b < d[1]; ++b)
      for (int64_t c = 0; c < d[2]; ++c)
        for (int64_t e = 0; e < d[3]; ++e) *y++ = x[a * st[0] + b * st[1] + c * st[2] + e * st[3]];
  return out;
}

struct ConvParams {
  bool nchw = false;
  std::string padding;
  int64_t sh = 1, sw = 1, dh = 1, dw = 1, pad[4] = {0, 0, 0, 0};  // pad: top, bottom, left, right

  Status Parse(const OpKernelConstruction& c) {
    std::string format = "NHWC";
    std::vector<int64_t> strides, dilations{1, 1, 1, 1}, explicit_pads;
    RETURN_IF_ERROR(c.GetAttr("strides", &strides));
    RETURN_IF_ERROR(c.GetAttr("padding", &padding));
    if (c.HasAttr("dilations")) RETURN_IF_ERROR(c.GetAttr("dilations", &dilations));
    if (c.HasAttr("data_format")) RETURN_IF_ERROR(c.GetAttr("data_format", &format));
    if (c.HasAttr("explicit_paddings")) RETURN_IF_ERROR(c.GetAttr("explicit_paddings", &explicit_pads));
    if (format != "NHWC" && format != "NCHW") return c.Error("unknown data_format '" + format + "'");
    nchw = format == "NCHW";
    const int hd = nchw ? 2 : 1, wd = hd + 1, cd = nchw ? 1 : 3;
    if (strides.size() != 4 || strides[0] != 1 || strides[cd] != 1 || strides[hd] < 1 || strides[wd] < 1)
      return c.Error("strides must be 1 in the batch and depth dimensions and >= 1 in the others");
    if (dilations.size() != 4 || dilations[0] != 1 || dilations[cd] != 1 || dilations[hd] < 1 || dilations[wd] < 1)
      return c.Error("dilations must be 1 in the batch and depth dimensions and >= 1 in the others");
    if (padding != "SAME" && padding != "VALID" && padding != "EXPLICIT")
      return c.Error("unknown padding '" + padding + "'");
    if (padding == "EXPLICIT") {
      if (explicit_pads.size() != 8) return c.Error("explicit_paddings must have 8 values");
      pad[0] = explicit_pads[2 * hd], pad[1] = explicit_pads[2 * hd + 1];
      pad[2] = explicit_pads[2 * wd], pad[3] = explicit_pads[2 * wd + 1];
    }
    sh = strides[hd], sw = strides[wd], dh = dilations[hd], dw = dilations[wd];
    return Status::OK();
  }
  StatusOr<Geometry> Rows(int64_t in, int64_t k) const { return Window(in, k, sh, dh, padding, pad[0], pad[1]); }
  StatusOr<Geometry> Cols(int64_t in, int64_t k) const { return Window(in, k, sw, dw, padding, pad[2], pad[3]); }
};

}  // namespace savedmodel::kernels
