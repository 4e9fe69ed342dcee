// Numpy-style broadcasting as TensorFlow applies it: shapes are right-aligned,
// and each pair of dims must be equal or one of them 1.
//
// A BroadcastPlan collapses the output into as few dims as possible (adjacent
// dims merge when every input is broadcast along both or neither) and holds,
// per input, the element stride along each collapsed dim (0 where broadcast).
// ForEachBroadcast walks any output range with an odometer, so ParallelFor can
// split the work anywhere.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor_shape.h"

namespace savedmodel::kernels {

inline constexpr int kMaxBroadcastInputs = 3;

struct BroadcastPlan {
  TensorShape out_shape;
  std::vector<int64_t> dims;  // collapsed output dims (no 1s); empty for one element
  std::vector<std::array<int64_t, kMaxBroadcastInputs>> strides;  // [dim][input]
  int num_inputs = 0;
  bool all_same = false;  // every input has the output's element count: index i maps to i
  std::array<bool, kMaxBroadcastInputs> scalar{};  // input i has one element
};

// The broadcast shape of two shapes; InvalidArgument "Incompatible shapes:
// [2,3] vs. [4]" (TensorFlow's words) otherwise.
StatusOr<TensorShape> BroadcastShape(const TensorShape& a, const TensorShape& b);

// REQUIRES: 1 <= shapes.size() <= kMaxBroadcastInputs.
StatusOr<BroadcastPlan> MakeBroadcastPlan(const std::vector<TensorShape>& shapes);

// The obviously-correct mapping kept to test the plan: the flat index into an
// input of shape `in` feeding flat output index `out_index` of shape `out`.
int64_t ReferenceBroadcastIndex(const TensorShape& in, const TensorShape& out, int64_t out_index);

// Calls fn(out_index, in_offsets) for every output index in [begin, end).
template <typename Fn>
void ForEachBroadcast(const BroadcastPlan& p, int64_t begin, int64_t end, Fn&& fn) {
  if (begin >= end) return;
  const int nd = static_cast<int>(p.dims.size());
  std::array<int64_t, kMaxBroadcastInputs> off{};
  if (nd == 0) {
    for (int64_t i = begin; i < end; ++i) fn(i, off);
    return;
  }
  std::vector<int64_t> coord(nd);
  int64_t rem = begin;
  for (int d = nd - 1; d >= 0; --d) {
    coord[d] = rem % p.dims[d];
    rem /= p.dims[d];
    for (int k = 0; k < p.num_inputs; ++k) off[k] += coord[d] * p.strides[d][k];
  }
  const int last = nd - 1;
  const auto& inner_stride = p.strides[last];
  int64_t i = begin;
  while (i < end) {
    // Run along the innermost dim, then carry.
    int64_t n = std::min(p.dims[last] - coord[last], end - i);
    for (int64_t j = 0; j < n; ++j, ++i) {
      fn(i, off);
      for (int k = 0; k < p.num_inputs; ++k) off[k] += inner_stride[k];
    }
    coord[last] += n;
    for (int d = last; d > 0 && coord[d] == p.dims[d]; --d) {
      for (int k = 0; k < p.num_inputs; ++k) off[k] -= coord[d] * p.strides[d][k];
      coord[d] = 0;
      ++coord[d - 1];
      for (int k = 0; k < p.num_inputs; ++k) off[k] += p.strides[d - 1][k];
    }
  }
}

}  // namespace savedmodel::kernels
