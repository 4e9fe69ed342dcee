// numpy .npy and .npz files <-> Tensor.
//
// .npy layout (numpy/lib/format.py, "NEP 1"):
//   "\x93NUMPY" major minor            8 bytes; versions 1.0, 2.0, 3.0
//   header_len                         uint16 LE (1.0) or uint32 LE (2.0, 3.0)
//   header                             a Python dict literal, e.g.
//     {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//     padded with spaces and ended by '\n' so that the data starts at a multiple
//     of 64; latin-1 in 1.0/2.0, UTF-8 in 3.0
//   data                               prod(shape) elements, C order unless
//                                      fortran_order is True
// .npz archives of .npy members are in npz.h.
//
// Reading maps numpy dtypes to TensorFlow's: f2 f4 f8 -> half float double,
// i1..i8 / u1..u8 -> int8..int64 / uint8..uint64, b1 -> bool, c8 c16 ->
// complex64 complex128, and byte strings 'S<n>' and unicode strings 'U<n>'
// (UTF-32, converted to UTF-8) -> DT_STRING. Either byte order is accepted;
// Fortran-ordered data is transposed to C order. Object arrays (pickles) and
// structured dtypes are rejected.
//
// All functions are thread-safe. Malformed input gives InvalidArgument or
// DataLoss naming the file; nothing is allocated beyond what the input bytes
// can fill.
#pragma once

#include <string>
#include <string_view>

#include "savedmodel/base/env.h"
#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"

namespace savedmodel {

// Parses one .npy image. `name_for_errors` (usually the path) prefixes errors.
// Bytes after the array data are ignored, as numpy.load ignores them.
StatusOr<Tensor> ReadNpy(std::string_view bytes, std::string_view name_for_errors);

// The exact bytes numpy.save (numpy >= 1.23) writes for the same array: version
// 1.0 (2.0 only for headers past 64 KiB), little-endian, C order. DT_STRING is
// written as '|S<longest>' (trailing NULs of a value are lost on reading, as
// with numpy). DT_BFLOAT16 has no numpy dtype and is Unimplemented.
StatusOr<std::string> WriteNpy(const Tensor& tensor);

StatusOr<Tensor> ReadNpyFile(Env* env, const std::string& path);
Status WriteNpyFile(Env* env, const std::string& path, const Tensor& tensor);

}  // namespace savedmodel
