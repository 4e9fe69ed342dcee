// Conv3D.
//   NDHWC: input [batch, in_d, in_h, in_w, in_c], filter [k_d, k_h, k_w, in_c / groups, out_c]
//          -> [batch, out_d, out_h, out_w, out_c]
//   NCDHW: input and output [batch, c, d, h, w]; strides and dilations in that
//          order too. Computed as NDHWC between two transposes.
// Conv3DBackpropInputV2: its input gradient (below).
// Window sizes and SAME's uneven split come from conv_util.h's checked Window().
#include <algorithm>
#include <string>
#include <vector>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/array/array_util.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/math/tensor_util.h"
#include "savedmodel/kernels/nn/conv_util.h"
#include "savedmodel/kernels/typed_kernel.h"

namespace savedmodel::kernels {
namespace {

// Permutes a 5-D tensor: out dim i = in dim perm[i].
StatusOr<Tensor> Permute5(const Tensor& in, const int perm[5]) {
  std::vector<int64_t> dims(5), strides(5);
  const std::vector<int64_t> in_strides = RowMajorStrides(in.shape().dims());
  for (int i = 0; i < 5; ++i) dims[i] = in.dim(perm[i]), strides[i] = in_strides[perm[i]];
  ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(dims));
  ASSIGN_OR_RETURN(Tensor out, Tensor::Allocate(in.dtype(), shape));
  RETURN_IF_ERROR(VisitBySize(in.dtype(), [&](auto tag) -> Status {
    using E = decltype(tag);
    StridedCopy(static_cast<const E*>(in.raw_data()), static_cast<E*>(out.raw_data()), dims, strides, 0);
    return Status::OK();
  }));
  return out;
}
constexpr int kToNdhwc[5] = {0, 2, 3, 4, 1}, kToNcdhw[5] = {0, 4, 1, 2, 3};

// Conv3D's and Conv3DBackpropInputV2's attrs, checked once at load.
struct Conv3DAttrs {
  bool ncdhw = false;
  std::string padding;
  int64_t stride[3] = {1, 1, 1}, dilation[3] = {1, 1, 1};

  Status Parse(const OpKernelConstruction& c) {
    std::string format = "NDHWC";
    std::vector<int64_t> strides, dilations{1, 1, 1, 1, 1};
    RETURN_IF_ERROR(c.GetAttr("strides", &strides));
    RETURN_IF_ERROR(c.GetAttr("padding", &padding));
    if (c.HasAttr("dilations")) RETURN_IF_ERROR(c.GetAttr("dilations", &dilations));
    if (c.HasAttr("data_format")) RETURN_IF_ERROR(c.GetAttr("data_format", &format));
    if (format != "NDHWC" && format != "NCDHW") return c.Error("Invalid data format: " + format);
    ncdhw = format == "NCDHW";
    if (padding != "SAME" && padding != "VALID") return c.Error("unknown padding '" + padding + "'");
    if (strides.size() != 5) return c.Error("Sliding window strides field must specify 5 dimensions");
    if (dilations.size() != 5) return c.Error("Dilation rates field must specify 5 dimensions");
    const int cd = ncdhw ? 1 : 4, first = ncdhw ? 2 : 1;
    if (strides[0] != 1 || strides[cd] != 1)
      return c.Error("Current implementation does not yet support strides in the batch and depth dimensions.");
    if (dilations[0] != 1 || dilations[cd] != 1)
      return c.Error("Current implementation does not yet support dilation rates in the batch and depth dimensions.");
    for (int i = 0; i < 3; ++i) {
      stride[i] = strides[first + i], dilation[i] = dilations[first + i];
      if (stride[i] < 1) return c.Error("Sliding window strides must be positive");
      if (dilation[i] < 1) return c.Error("Dilated rates should be larger than 0.");
    }
    return Status::OK();
  }
};

class Conv3DKernel : public TypedKernel<Conv3DKernel> {
  friend class TypedKernel<Conv3DKernel>;

 public:
  Conv3DKernel(const OpKernelConstruction& c, Status* s) {
    *s = attrs_.Parse(c);
    if (s->ok()) *s = SelectRun(c, c.input_types()[0], [](auto t) { return kIsFloat<typename decltype(t)::type>; });
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    Tensor in = ctx->input(0), filter = ctx->input(1);
    if (in.rank() != 5) return ctx->Error("input must be 5-dimensional" + in.shape().DebugString());
    if (filter.rank() != 5) return ctx->Error("filter must be 5-dimensional" + filter.shape().DebugString());
    if (attrs_.ncdhw) {
      ASSIGN_OR_RETURN(in, Permute5(in, kToNdhwc));
    }
    const int64_t batch = in.dim(0), ic = in.dim(4), fc = filter.dim(3), oc = filter.dim(4);
    const int64_t id[3] = {in.dim(1), in.dim(2), in.dim(3)}, k[3] = {filter.dim(0), filter.dim(1), filter.dim(2)};
    if (fc <= 0 || ic % fc != 0) {
      return ctx->Error("Input depth must be evenly divisible by filter depth: " + std::to_string(ic) + " vs " +
                        std::to_string(fc));
    }
    const int64_t groups = ic / fc;
    if (oc % groups != 0) {
      return ctx->Error("Output depth must be evenly divisible by number of groups: " + std::to_string(oc) +
                        " vs " + std::to_string(groups));
    }
    Geometry g[3];
    for (int i = 0; i < 3; ++i) {
      auto w = Window(id[i], k[i], attrs_.stride[i], attrs_.dilation[i], attrs_.padding, 0, 0);
      if (!w.ok()) return ctx->Error(w.status().message());
      g[i] = *w;
    }
    const int64_t od = g[0].out, oh = g[1].out, ow = g[2].out;
    auto out_shape = TensorShape::FromDims(std::vector<int64_t>{batch, od, oh, ow, oc});
    if (!out_shape.ok()) return ctx->InvalidArg(out_shape.status().message());
    ASSIGN_OR_RETURN(Tensor out, Tensor::Allocate(in.dtype(), *out_shape));
    const T* x = in.flat<T>().data();
    const T* f = filter.flat<T>().data();
    T* y = out.flat<T>().data();
    const int64_t ih = id[1], iw = id[2], opg = oc / groups;
    using C = Calc<T>;
    // One output voxel accumulates over its window; the innermost loop runs
    // over output channels, contiguous in both the filter and the output.
    ParallelFor(ctx->pool(), batch * od * oh, 4, [&](int64_t begin, int64_t end) {
      std::vector<C> acc(oc);
      for (int64_t row = begin; row < end; ++row) {
        const int64_t b = row / (od * oh), oz = row / oh % od, oy = row % oh;
        for (int64_t ox = 0; ox < ow; ++ox) {
          std::fill(acc.begin(), acc.end(), C(0));
          for (int64_t kz = 0; kz < k[0]; ++kz) {
            const int64_t iz = oz * attrs_.stride[0] - g[0].pad_before + kz * attrs_.dilation[0];
            if (iz < 0 || iz >= id[0]) continue;
            for (int64_t ky = 0; ky < k[1]; ++ky) {
              const int64_t iy = oy * attrs_.stride[1] - g[1].pad_before + ky * attrs_.dilation[1];
              if (iy < 0 || iy >= ih) continue;
              for (int64_t kx = 0; kx < k[2]; ++kx) {
                const int64_t ix = ox * attrs_.stride[2] - g[2].pad_before + kx * attrs_.dilation[2];
                if (ix < 0 || ix >= iw) continue;
                const T* px = x + (((b * id[0] + iz) * ih + iy) * iw + ix) * ic;
                const T* pf = f + ((kz * k[1] + ky) * k[2] + kx) * fc * oc;
                for (int64_t gr = 0; gr < groups; ++gr) {
                  for (int64_t c = 0; c < fc; ++c) {
                    const C v = ToCalc(px[gr * fc + c]);
                    const T* fr = pf + c * oc + gr * opg;
                    C* a = acc.data() + gr * opg;
                    for (int64_t o = 0; o < opg; ++o) a[o] += v * ToCalc(fr[o]);
                  }
                }
              }
            }
          }
          T* dst = y + (((b * od + oz) * oh + oy) * ow + ox) * oc;
          for (int64_t o = 0; o < oc; ++o) dst[o] = FromCalc<T>(acc[o]);
        }
      }
    });
    if (attrs_.ncdhw) {
      ASSIGN_OR_RETURN(out, Permute5(out, kToNcdhw));
    }
    ctx->set_output(0, std::move(out));
    return Status::OK();
  }

  Conv3DAttrs attrs_;
};
REGISTER_KERNEL("Conv3D", Conv3DKernel);

// Conv3DBackpropInputV2(input_sizes [5], filter, out_backprop): the gradient
// of Conv3D with respect to its input, which Keras' Conv3DTranspose runs
// forward. Each output-gradient voxel scatters through the filter onto the
// input positions its window covered.
class Conv3DBackpropInputKernel : public TypedKernel<Conv3DBackpropInputKernel> {
  friend class TypedKernel<Conv3DBackpropInputKernel>;

 public:
  Conv3DBackpropInputKernel(const OpKernelConstruction& c, Status* s) {
    *s = attrs_.Parse(c);
    if (s->ok()) *s = SelectRun(c, c.input_types()[1], [](auto t) { return kIsFloat<typename decltype(t)::type>; });
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    const Tensor sizes_t = ctx->input(0), filter = ctx->input(1);
    Tensor grad = ctx->input(2);
    if (sizes_t.rank() != 1 || sizes_t.num_elements() != 5) {
      return ctx->InvalidArg("input_sizes must be a 5-element vector, got " + sizes_t.shape().DebugString());
    }
    if (filter.rank() != 5) return ctx->InvalidArg("filter must be 5-dimensional" + filter.shape().DebugString());
    if (grad.rank() != 5) return ctx->InvalidArg("out_backprop must be 5-dimensional" + grad.shape().DebugString());
    ASSIGN_OR_RETURN(std::vector<int64_t> sizes, IntValues(sizes_t));
    if (attrs_.ncdhw) {
      sizes = {sizes[0], sizes[2], sizes[3], sizes[4], sizes[1]};
      ASSIGN_OR_RETURN(grad, Permute5(grad, kToNdhwc));
    }
    auto in_shape = TensorShape::FromDims(sizes);
    if (!in_shape.ok()) return ctx->InvalidArg("input_sizes: " + in_shape.status().message());
    const int64_t batch = sizes[0], ic = sizes[4], fc = filter.dim(3), oc = filter.dim(4);
    const int64_t id[3] = {sizes[1], sizes[2], sizes[3]}, k[3] = {filter.dim(0), filter.dim(1), filter.dim(2)};
    if (fc != ic) {
      return ctx->InvalidArg("Input depth " + std::to_string(ic) + " does not match filter depth " +
                             std::to_string(fc));
    }
    Geometry g[3];
    for (int i = 0; i < 3; ++i) {
      auto w = Window(id[i], k[i], attrs_.stride[i], attrs_.dilation[i], attrs_.padding, 0, 0);
      if (!w.ok()) return ctx->InvalidArg(w.status().message());
      g[i] = *w;
    }
    const std::vector<int64_t> want{batch, g[0].out, g[1].out, g[2].out, oc};
    if (grad.shape().dims() != want) {
      return ctx->InvalidArg("out_backprop has shape " + grad.shape().DebugString() + " but the input sizes and "
                             "filter give an output of shape " + TensorShape::FromDims(want)->DebugString());
    }
    ASSIGN_OR_RETURN(Tensor out, Tensor::Allocate(filter.dtype(), *in_shape));
    const int64_t od = g[0].out, oh = g[1].out, ow = g[2].out, ih = id[1], iw = id[2];
    const T* dy = grad.flat<T>().data();
    const T* f = filter.flat<T>().data();
    T* dx = out.flat<T>().data();
    using C = Calc<T>;
    // One batch element per task: tasks write disjoint slices of dx.
    ParallelFor(ctx->pool(), batch, 1, [&](int64_t begin, int64_t end) {
      std::vector<C> acc(id[0] * ih * iw * ic);
      for (int64_t b = begin; b < end; ++b) {
        std::fill(acc.begin(), acc.end(), C(0));
        for (int64_t oz = 0; oz < od; ++oz)
          for (int64_t oy = 0; oy < oh; ++oy)
            for (int64_t ox = 0; ox < ow; ++ox) {
              const T* g_row = dy + (((b * od + oz) * oh + oy) * ow + ox) * oc;
              for (int64_t kz = 0; kz < k[0]; ++kz) {
                const int64_t iz = oz * attrs_.stride[0] - g[0].pad_before + kz * attrs_.dilation[0];
                if (iz < 0 || iz >= id[0]) continue;
                for (int64_t ky = 0; ky < k[1]; ++ky) {
                  const int64_t iy = oy * attrs_.stride[1] - g[1].pad_before + ky * attrs_.dilation[1];
                  if (iy < 0 || iy >= ih) continue;
                  for (int64_t kx = 0; kx < k[2]; ++kx) {
                    const int64_t ix = ox * attrs_.stride[2] - g[2].pad_before + kx * attrs_.dilation[2];
                    if (ix < 0 || ix >= iw) continue;
                    C* a = acc.data() + ((iz * ih + iy) * iw + ix) * ic;
                    const T* pf = f + ((kz * k[1] + ky) * k[2] + kx) * fc * oc;
                    for (int64_t c = 0; c < ic; ++c) {
                      C sum = 0;
                      for (int64_t o = 0; o < oc; ++o) sum += ToCalc(pf[c * oc + o]) * ToCalc(g_row[o]);
                      a[c] += sum;
                    }
                  }
                }
              }
            }
        T* dst = dx + b * static_cast<int64_t>(acc.size());
        for (size_t i = 0; i < acc.size(); ++i) dst[i] = FromCalc<T>(acc[i]);
      }
    });
    if (attrs_.ncdhw) {
      ASSIGN_OR_RETURN(out, Permute5(out, kToNcdhw));
    }
    ctx->set_output(0, std::move(out));
    return Status::OK();
  }

  Conv3DAttrs attrs_;
};
REGISTER_KERNEL("Conv3DBackpropInputV2", Conv3DBackpropInputKernel);

}  // namespace
}  // namespace savedmodel::kernels
