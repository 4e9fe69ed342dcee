// Data-movement helpers for the array kernels. Moving elements never looks at
// their values, so kernels dispatch on element size (one instantiation serves
// float, int32 and uint32) and strings get their own path.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/core/types.h"

namespace savedmodel::kernels {

struct Bytes16 {
  uint64_t lo, hi;
};

// Calls fn(E{}) with an element type of dt's size (or std::string).
template <typename Fn>
Status VisitBySize(DataType dt, Fn&& fn) {
  if (dt == DT_STRING) return fn(std::string{});
  switch (DataTypeSize(dt)) {
    case 1: return fn(uint8_t{});
    case 2: return fn(uint16_t{});
    case 4: return fn(uint32_t{});
    case 8: return fn(uint64_t{});
    case 16: return fn(Bytes16{});
    default:
      return Unimplemented("data type " + DataTypeString(dt) + " cannot be copied here");
  }
}

// Copies n elements (memcpy for plain types).
template <typename E>
void CopyN(const E* in, E* out, int64_t n) {
  if constexpr (std::is_trivially_copyable_v<E>) {
    if (n > 0) std::memcpy(out, in, sizeof(E) * n);
  } else {
    std::copy(in, in + n, out);
  }
}

// out[i] = in[base + sum_d coord_d(i) * strides[d]] for every i of the
// row-major `dims`: covers transpose, slice and strided slice. Strides may be
// negative.
template <typename E>
void StridedCopy(const E* in, E* out, const std::vector<int64_t>& dims,
                 const std::vector<int64_t>& strides, int64_t base) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  if (n == 0) return;
  const int nd = static_cast<int>(dims.size());
  if (nd == 0) {
    out[0] = in[base];
    return;
  }
  std::vector<int64_t> coord(nd, 0);
  const int64_t inner = dims[nd - 1], inner_stride = strides[nd - 1];
  int64_t off = base;
  for (int64_t i = 0; i < n; i += inner) {
    if (inner_stride == 1) {
      CopyN(in + off, out + i, inner);
    } else {
      for (int64_t j = 0; j < inner; ++j) out[i + j] = in[off + j * inner_stride];
    }
    for (int d = nd - 2; d >= 0; --d) {
      off += strides[d];
      if (++coord[d] < dims[d]) break;
      off -= coord[d] * strides[d];
      coord[d] = 0;
    }
  }
}

// Row-major strides of `dims`.
inline std::vector<int64_t> RowMajorStrides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (int d = static_cast<int>(dims.size()) - 2; d >= 0; --d) s[d] = s[d + 1] * dims[d + 1];
  return s;
}

}  // namespace savedmodel::kernels
