// Padding.
//   Pad(input, paddings [rank, 2]) / PadV2(..., constant_values []): each
//       dim grows by paddings[d][0] before and paddings[d][1] after, filled
//       with zero / the constant.
//   MirrorPad(input, paddings) mode: REFLECT mirrors without the edge
//       element (paddings <= dim - 1), SYMMETRIC with it (paddings <= dim).
// Each output coordinate maps to an input coordinate per dim (or to the
// constant), so one copy loop serves all three.
#include <string>
#include <vector>

#include "savedmodel/core/checked_math.h"
#include "savedmodel/kernels/array/array_util.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/tensor_util.h"

namespace savedmodel::kernels {
namespace {

enum class Mode { kConstant, kReflect, kSymmetric };

class PadKernel : public OpKernel {
 public:
  PadKernel(const OpKernelConstruction& c, Status* s) {
    const std::string& op = c.node().op();
    constant_input_ = op == "PadV2";
    if (op == "MirrorPad") {
      std::string mode;
      *s = c.GetAttr("mode", &mode);
      if (!s->ok()) return;
      if (mode == "REFLECT") mode_ = Mode::kReflect;
      else if (mode == "SYMMETRIC") mode_ = Mode::kSymmetric;
      else *s = c.Error("mode must be either REFLECT or SYMMETRIC, got " + mode);
    }
  }

  Status Compute(OpKernelContext* ctx) const override {
    const Tensor in = ctx->input(0), pads_t = ctx->input(1);
    const int rank = in.rank();
    if (pads_t.rank() != 2 || pads_t.dim(1) != 2) {
      return ctx->InvalidArg("paddings must be a matrix with 2 columns: " + pads_t.shape().DebugString());
    }
    if (pads_t.dim(0) != rank) {
      return ctx->InvalidArg("The first dimension of paddings must be the rank of inputs" +
                             pads_t.shape().DebugString() + " " + in.shape().DebugString());
    }
    Tensor constant;
    if (constant_input_) {
      constant = ctx->input(2);
      if (constant.rank() != 0) {
        return ctx->InvalidArg("constant_values must be a scalar. Found: " + constant.shape().DebugString());
      }
    }
    ASSIGN_OR_RETURN(std::vector<int64_t> pads, IntValues(pads_t));
    std::vector<int64_t> dims(rank);
    for (int d = 0; d < rank; ++d) {
      const int64_t before = pads[2 * d], after = pads[2 * d + 1], size = in.dim(d);
      if (before < 0 || after < 0) {
        return ctx->InvalidArg("Paddings must be non-negative: " + std::to_string(before) + " " +
                               std::to_string(after));
      }
      if (mode_ != Mode::kConstant) {
        const int64_t limit = mode_ == Mode::kReflect ? size - 1 : size;
        if (before > limit || after > limit) {
          return ctx->InvalidArg("paddings must be no greater than the dimension size: " + std::to_string(before) +
                                 ", " + std::to_string(after) + " greater than " + std::to_string(limit));
        }
      }
      if (!CheckedAdd(size, before, &dims[d]) || !CheckedAdd(dims[d], after, &dims[d])) {
        return ctx->InvalidArg("padded size overflows in dimension " + std::to_string(d));
      }
    }
    auto shape = TensorShape::FromDims(dims);
    if (!shape.ok()) return ctx->InvalidArg(shape.status().message());
    ASSIGN_OR_RETURN(Tensor out, Tensor::Allocate(in.dtype(), *shape));
    if (out.num_elements() > 0) RETURN_IF_ERROR(Fill(in, pads, constant, &out));
    ctx->set_output(0, std::move(out));
    return Status::OK();
  }

 private:
  // In-coordinate for each out-coordinate of each dim; -1 for the constant.
  std::vector<std::vector<int64_t>> Maps(const Tensor& in, const std::vector<int64_t>& pads,
                                         const Tensor& out) const {
    std::vector<std::vector<int64_t>> maps(in.rank());
    for (int d = 0; d < in.rank(); ++d) {
      const int64_t size = in.dim(d), before = pads[2 * d];
      auto& m = maps[d];
      m.resize(out.dim(d));
      for (int64_t o = 0; o < out.dim(d); ++o) {
        int64_t i = o - before;
        if (i < 0 || i >= size) {
          if (mode_ == Mode::kConstant) i = -1;
          else if (mode_ == Mode::kReflect) i = i < 0 ? -i : 2 * (size - 1) - i;
          else i = i < 0 ? -i - 1 : 2 * size - 1 - i;
        }
        m[o] = i;
      }
    }
    return maps;
  }

  Status Fill(const Tensor& in, const std::vector<int64_t>& pads, const Tensor& constant, Tensor* out) const {
    const auto maps = Maps(in, pads, *out);
    const std::vector<int64_t> in_strides = RowMajorStrides(in.shape().dims());
    const int rank = in.rank();
    return VisitBySize(in.dtype(), [&](auto tag) -> Status {
      using E = decltype(tag);
      const E* x = static_cast<const E*>(in.raw_data());
      E* y = static_cast<E*>(out->raw_data());
      const E fill = constant.IsInitialized() ? *static_cast<const E*>(constant.raw_data()) : E{};
      if (rank == 0) {
        y[0] = x[0];
        return Status::OK();
      }
      std::vector<int64_t> coord(rank, 0);
      for (int64_t k = 0; k < out->num_elements(); ++k) {
        int64_t off = 0;
        bool pad = false;
        for (int d = 0; d < rank && !pad; ++d) {
          const int64_t i = maps[d][coord[d]];
          pad = i < 0;
          off += i * in_strides[d];
        }
        y[k] = pad ? fill : x[off];
        for (int d = rank - 1; d >= 0; --d) {
          if (++coord[d] < out->dim(d)) break;
          coord[d] = 0;
        }
      }
      return Status::OK();
    });
  }

  bool constant_input_ = false;
  Mode mode_ = Mode::kConstant;
};
REGISTER_KERNEL("Pad", PadKernel);
REGISTER_KERNEL("PadV2", PadKernel);
REGISTER_KERNEL("MirrorPad", PadKernel);

}  // namespace
}  // namespace savedmodel::kernels
