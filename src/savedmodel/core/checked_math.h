// Checked int64 arithmetic for sizes computed from untrusted shapes, attrs and
// feeds. Dim products go through TensorShape::FromDims; these cover the rest
// (window sizes, paddings, strides). On overflow each returns false and leaves
// *out unspecified; callers turn that into InvalidArgument naming the node.
#pragma once

#include <cstdint>

namespace savedmodel {

inline bool CheckedAdd(int64_t a, int64_t b, int64_t* out) {
  return !__builtin_add_overflow(a, b, out);
}

inline bool CheckedMul(int64_t a, int64_t b, int64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}

}  // namespace savedmodel
