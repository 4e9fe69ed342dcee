#include "savedmodel/kernels/math/broadcast.h"

#include <string>

namespace savedmodel::kernels {

StatusOr<TensorShape> BroadcastShape(const TensorShape& a, const TensorShape& b) {
  const int rank = std::max(a.rank(), b.rank());
  std::vector<int64_t> dims(rank);
  for (int i = 0; i < rank; ++i) {
    // Right-aligned: position i from the end.
    int ia = a.rank() - rank + i, ib = b.rank() - rank + i;
    int64_t da = ia >= 0 ? a.dim(ia) : 1, db = ib >= 0 ? b.dim(ib) : 1;
    if (da == db || db == 1) {
      dims[i] = da;
    } else if (da == 1) {
      dims[i] = db;
    } else {
      return InvalidArgument("Incompatible shapes: " + a.DebugString() + " vs. " +
                             b.DebugString());
    }
  }
  return TensorShape::FromDims(dims);
}

StatusOr<BroadcastPlan> MakeBroadcastPlan(const std::vector<TensorShape>& shapes) {
  BroadcastPlan p;
  p.num_inputs = static_cast<int>(shapes.size());
  TensorShape out = shapes[0];
  for (size_t i = 1; i < shapes.size(); ++i) {
    ASSIGN_OR_RETURN(out, BroadcastShape(out, shapes[i]));
  }
  p.out_shape = out;
  p.all_same = true;
  for (int k = 0; k < p.num_inputs; ++k) {
    p.scalar[k] = shapes[k].num_elements() == 1;
    if (shapes[k].num_elements() != out.num_elements()) p.all_same = false;
  }
  // Collapse: drop output dims of 1, merge neighbours whose broadcast pattern
  // (which inputs are stretched along them) matches.
  const int rank = out.rank();
  std::vector<int64_t> dims;
  std::vector<unsigned> patterns;  // bit k set: input k is broadcast along the dim
  for (int d = 0; d < rank; ++d) {
    if (out.dim(d) == 1) continue;
    unsigned pattern = 0;
    for (int k = 0; k < p.num_inputs; ++k) {
      int ik = shapes[k].rank() - rank + d;
      if (ik < 0 || shapes[k].dim(ik) == 1) pattern |= 1u << k;
    }
    if (!dims.empty() && patterns.back() == pattern) {
      dims.back() *= out.dim(d);
    } else {
      dims.push_back(out.dim(d));
      patterns.push_back(pattern);
    }
  }
  p.dims = dims;
  p.strides.resize(dims.size());
  std::array<int64_t, kMaxBroadcastInputs> stride{};
  stride.fill(1);
  for (int d = static_cast<int>(dims.size()) - 1; d >= 0; --d) {
    for (int k = 0; k < p.num_inputs; ++k) {
      bool stretched = patterns[d] & (1u << k);
      p.strides[d][k] = stretched ? 0 : stride[k];
      if (!stretched) stride[k] *= dims[d];
    }
  }
  return p;
}

int64_t ReferenceBroadcastIndex(const TensorShape& in, const TensorShape& out, int64_t out_index) {
  int64_t index = 0, stride = 1;
  for (int d = out.rank() - 1; d >= 0; --d) {
    int64_t coord = out_index % out.dim(d);
    out_index /= out.dim(d);
    int id = in.rank() - out.rank() + d;
    if (id < 0) break;
    if (in.dim(id) != 1) index += coord * stride;
    stride *= in.dim(id);
  }
  return index;
}

}  // namespace savedmodel::kernels
