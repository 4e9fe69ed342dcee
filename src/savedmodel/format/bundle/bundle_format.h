// Shared by BundleReader and BundleWriter: TensorFlow's tensor bundle layout.
//
// A bundle with prefix P is
//   P.index                      a table (format/table) mapping
//                                  ""   -> BundleHeaderProto {num_shards, endianness, version}
//                                  name -> BundleEntryProto {dtype, shape, shard_id, offset,
//                                                            size, crc32c, slices}
//   P.data-00000-of-0000N ...    the tensors' bytes, back to back (no padding).
//
// An entry's bytes are data shard `shard_id` at [offset, offset + size), and
// crc32c = Mask(crc) where for numeric dtypes crc is the crc32c of those bytes,
// element data in little-endian order (bool: one byte each).
//
// DT_STRING entries are laid out as
//   len[0] .. len[n-1]   varint64 each
//   length_checksum      fixed32 = Mask(crc32c of the lengths, each as a
//                                    little-endian uint32, or uint64 if > 2^32-1)
//   bytes[0] .. bytes[n-1]
// and their crc is not over the stored bytes but over: the lengths in that same
// fixed-width form, then the 4 length_checksum bytes, then the string bytes.
//
// A partitioned variable has an entry with dtype, full shape and `slices` but no
// data; each slice is stored as an ordinary entry under the key
// EncodeTensorNameSlice(name, slice), which sorts before every plain name (it
// begins with a 0 byte).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor_shape.h"
#include "tensorflow/core/framework/tensor_slice.pb.h"

namespace savedmodel::bundle {

inline constexpr int kTensorBundleVersion = 1;
inline constexpr int kTensorBundleMinProducer = 0;
inline constexpr int kTensorBundleMinConsumer = 0;

// "P.index"
std::string MetaFilename(const std::string& prefix);
// "P.data-00003-of-00010"
std::string DataFilename(const std::string& prefix, int shard, int num_shards);

// One extent of a slice: start and length, length -1 meaning "the whole dim".
struct SliceExtent {
  int64_t start = 0;
  int64_t length = -1;
};

// Reads a TensorSliceProto; one extent per dim of `full_shape`, each inside it.
StatusOr<std::vector<SliceExtent>> SliceFromProto(const tensorflow::TensorSliceProto& proto,
                                                  const TensorShape& full_shape);
// The slice's shape within `full_shape`. REQUIRES: extents validated.
TensorShape SliceShape(const std::vector<SliceExtent>& extents, const TensorShape& full_shape);

// TensorFlow's checkpoint::EncodeTensorNameSlice, built on its OrderedCode:
//   NumIncreasing(0) String(name) NumIncreasing(rank)
//   { SignedNumIncreasing(start) SignedNumIncreasing(length) } per dim
std::string EncodeTensorNameSlice(const std::string& name, const std::vector<SliceExtent>& slice);

// True for keys made by EncodeTensorNameSlice.
inline bool IsSliceKey(const std::string& key) { return !key.empty() && key[0] == '\0'; }

}  // namespace savedmodel::bundle
