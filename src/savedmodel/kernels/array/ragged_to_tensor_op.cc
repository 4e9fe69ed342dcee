// RaggedTensorToTensor(shape, values, default_value, row_partition_tensors[k])
// row_partition_types: the dense form of a ragged tensor of ragged rank k.
//   Partitions: ["ROW_SPLITS"] * k, or ["FIRST_DIM_SIZE", "VALUE_ROWIDS" * k]
//   (what tf.strings.split(...).to_tensor() writes).
//   Output rank k + values.rank: [nrows, widest row at each ragged level...,
//   values.shape[1:]...], each dim overridden by `shape` where it is >= 0
//   (rows and elements past a smaller dim are dropped). Slots no value fills
//   take default_value, broadcast to one element's shape (values.shape[1:]).
//   Values past the last split or row id are unused, as in TensorFlow; row
//   ids out of order and splits past the values are errors (TensorFlow does
//   not check them and reads past its buffer).
#include <algorithm>
#include <string>
#include <vector>

#include "savedmodel/kernels/array/array_util.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/broadcast.h"
#include "savedmodel/kernels/math/tensor_util.h"

namespace savedmodel::kernels {
namespace {

class RaggedTensorToTensorKernel : public OpKernel {
 public:
  RaggedTensorToTensorKernel(const OpKernelConstruction& c, Status* s) {
    std::vector<std::string> types;
    *s = c.GetAttr("row_partition_types", &types);
    if (!s->ok()) return;
    const int64_t k = static_cast<int64_t>(c.input_types().size()) - 3;
    if (!types.empty() && types[0] == "FIRST_DIM_SIZE") {
      rowids_ = true;
      bool ok = static_cast<int64_t>(types.size()) == k && k >= 2;
      for (size_t i = 1; ok && i < types.size(); ++i) ok = types[i] == "VALUE_ROWIDS";
      if (!ok) *s = c.Error("FIRST_DIM_SIZE must be followed by VALUE_ROWIDS partitions, one per input");
      ragged_rank_ = k - 1;
    } else {
      bool ok = static_cast<int64_t>(types.size()) == k && k >= 1;
      for (const auto& t : types) ok = ok && t == "ROW_SPLITS";
      if (!ok) {
        *s = Unimplemented("node '" + c.name() + "': row_partition_types must be all ROW_SPLITS or "
                           "FIRST_DIM_SIZE then VALUE_ROWIDS");
      }
      ragged_rank_ = k;
    }
  }

  Status Compute(OpKernelContext* ctx) const override {
    const Tensor shape_t = ctx->input(0), values = ctx->input(1), deflt = ctx->input(2);
    if (values.rank() < 1) return ctx->InvalidArg("values must have rank at least 1");
    // splits[l]: row splits of level l, each level's rows indexing the next.
    std::vector<std::vector<int64_t>> splits(ragged_rank_);
    int64_t nrows = 0;
    if (rowids_) {
      ASSIGN_OR_RETURN(std::vector<int64_t> first, IntValues(ctx->input(3)));
      if (first.size() != 1) return ctx->InvalidArg("FIRST_DIM_SIZE must be a scalar");
      nrows = first[0];
      if (nrows < 0) return ctx->InvalidArg("first_dimension must be non-negative, got " + std::to_string(nrows));
    }
    int64_t parents = nrows;
    for (int64_t l = 0; l < ragged_rank_; ++l) {
      ASSIGN_OR_RETURN(std::vector<int64_t> part, IntValues(ctx->input(static_cast<int>(3 + (rowids_ ? 1 : 0) + l))));
      const int64_t children = l + 1 < ragged_rank_ ? -1 : values.dim(0);
      auto& sp = splits[l];
      if (rowids_) {
        // Sorted row ids -> splits; ids must lie in [0, parents).
        // Fewer ids than values leaves the rest unused, as in TensorFlow.
        if (children >= 0 && static_cast<int64_t>(part.size()) > children) {
          return ctx->InvalidArg("value_rowids has " + std::to_string(part.size()) + " entries but values has " +
                                 std::to_string(children) + " rows");
        }
        // Rows past the last id are empty: splits stop there, so a huge
        // first_dimension costs nothing until the output is allocated.
        const int64_t used = part.empty() ? 0 : std::min(parents, std::max<int64_t>(part.back(), 0) + 1);
        sp.assign(used + 1, 0);
        for (size_t i = 0; i < part.size(); ++i) {
          const int64_t r = part[i];
          if (r < 0 || r >= used || (i > 0 && r < part[i - 1])) {
            return ctx->InvalidArg("value_rowids[" + std::to_string(i) + "] = " + std::to_string(r) +
                                   " is out of order or not in [0, " + std::to_string(parents) + ")");
          }
          ++sp[r + 1];
        }
        for (int64_t r = 0; r < used; ++r) sp[r + 1] += sp[r];
      } else {
        if (part.empty() || part[0] != 0) return ctx->InvalidArg("row_splits must start with 0");
        for (size_t i = 1; i < part.size(); ++i) {
          if (part[i] < part[i - 1]) return ctx->InvalidArg("row_splits must be non-decreasing");
        }
        if (l == 0) nrows = static_cast<int64_t>(part.size()) - 1;
        else if (static_cast<int64_t>(part.size()) - 1 != parents) {
          return ctx->InvalidArg("row_splits of level " + std::to_string(l) + " do not match the rows above");
        }
        if (children >= 0 && part.back() > children) {
          return ctx->InvalidArg("the last row split is " + std::to_string(part.back()) + " but values has " +
                                 std::to_string(children) + " rows");
        }
        sp = std::move(part);
      }
      parents = sp.back();
    }
    // Dims: computed, then overridden by `shape`.
    const int rank = static_cast<int>(ragged_rank_) + values.rank();
    std::vector<int64_t> dims{nrows};
    for (const auto& sp : splits) {
      int64_t widest = 0;
      for (size_t r = 0; r + 1 < sp.size(); ++r) widest = std::max(widest, sp[r + 1] - sp[r]);
      dims.push_back(widest);
    }
    for (int d = 1; d < values.rank(); ++d) dims.push_back(values.dim(d));
    ASSIGN_OR_RETURN(std::vector<int64_t> want, IntValues(shape_t));
    if (shape_t.rank() == 1) {
      if (static_cast<int>(want.size()) != rank) {
        return ctx->InvalidArg("shape has " + std::to_string(want.size()) + " dims but the result has rank " +
                               std::to_string(rank));
      }
      for (int d = 0; d < rank; ++d) {
        if (want[d] < -1) return ctx->InvalidArg("shape dims must be >= -1, got " + std::to_string(want[d]));
        if (want[d] >= 0) {
          if (d > static_cast<int>(ragged_rank_) && want[d] != dims[d]) {
            return ctx->InvalidArg("shape dim " + std::to_string(d) + " is " + std::to_string(want[d]) +
                                   " but values have " + std::to_string(dims[d]));
          }
          dims[d] = want[d];
        }
      }
    } else if (shape_t.rank() != 0) {
      return ctx->InvalidArg("shape must be a vector or a scalar");
    }
    auto out_shape = TensorShape::FromDims(dims);
    if (!out_shape.ok()) return ctx->InvalidArg(out_shape.status().message());
    std::vector<int64_t> inner_dims(dims.begin() + ragged_rank_ + 1, dims.end());
    ASSIGN_OR_RETURN(TensorShape inner, TensorShape::FromDims(inner_dims));
    auto bshape = BroadcastShape(deflt.shape(), inner);
    if (!bshape.ok() || !(*bshape == inner)) {
      return ctx->InvalidArg("default_value.shape=" + deflt.shape().DebugString() +
                             " and rt_input.flat_values.shape=" + values.shape().DebugString() +
                             " are incompatible: default_value must broadcast to one element's shape");
    }
    ASSIGN_OR_RETURN(Tensor out, Tensor::Allocate(values.dtype(), *out_shape));
    const int64_t elem = inner.num_elements();
    RETURN_IF_ERROR(VisitBySize(values.dtype(), [&](auto tag) -> Status {
      using E = decltype(tag);
      const E* x = static_cast<const E*>(values.raw_data());
      const E* dv = static_cast<const E*>(deflt.raw_data());
      E* y = static_cast<E*>(out.raw_data());
      const int64_t slots = elem == 0 ? 0 : out.num_elements() / elem;
      for (int64_t s = 0; s < slots; ++s) {
        for (int64_t e = 0; e < elem; ++e) y[s * elem + e] = dv[ReferenceBroadcastIndex(deflt.shape(), inner, e)];
      }
      // Walks the partitions: (level, row in that level, output slot of the row).
      const int64_t r = ragged_rank_;
      auto fill = [&](auto&& self, int64_t level, int64_t row, int64_t slot) -> void {
        const auto& sp = splits[level];
        if (row + 1 >= static_cast<int64_t>(sp.size())) return;  // an empty trailing row
        const int64_t width = dims[level + 1];
        for (int64_t j = sp[row]; j < sp[row + 1] && j - sp[row] < width; ++j) {
          const int64_t child_slot = slot * width + (j - sp[row]);
          if (level + 1 == r) {
            CopyN(x + j * elem, y + child_slot * elem, elem);
          } else {
            self(self, level + 1, j, child_slot);
          }
        }
      };
      for (int64_t row = 0; row < std::min(nrows, dims[0]); ++row) fill(fill, 0, row, row);
      return Status::OK();
    }));
    ctx->set_output(0, std::move(out));
    return Status::OK();
  }

 private:
  bool rowids_ = false;
  int64_t ragged_rank_ = 1;
};
REGISTER_KERNEL("RaggedTensorToTensor", RaggedTensorToTensorKernel);

}  // namespace
}  // namespace savedmodel::kernels
