// On-disk layout of a LevelDB-format table as TensorFlow writes it (the
// `.index` file of a tensor bundle). All integers little-endian.
//
//   file    := data_block* metaindex_block index_block footer
//   block   := contents[n] type:u8 crc:fixed32
//                type 0 = stored as is, 1 = snappy-compressed contents
//                crc  = Mask(crc32c(contents ++ type))
//   footer  := metaindex_handle index_handle zero padding to 40 bytes
//              magic:fixed64 (0xdb4775248b80fb57)             -- 48 bytes
//   handle  := offset:varint64 size:varint64   (size excludes the 5-byte trailer)
//
// The index block maps, for each data block, a key >= every key in that block
// and < every key in the next one, to the block's handle. TensorFlow writes an
// empty metaindex block (no filters, no stats) and never reads it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "savedmodel/base/status.h"

namespace savedmodel::table {

enum CompressionType : uint8_t {
  kNoCompression = 0,
  kSnappyCompression = 1,
};

inline constexpr uint64_t kTableMagicNumber = 0xdb4775248b80fb57ull;
inline constexpr size_t kBlockTrailerSize = 5;
inline constexpr size_t kMaxBlockHandleLength = 20;  // two 10-byte varint64s
inline constexpr size_t kFooterLength = 2 * kMaxBlockHandleLength + 8;

struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size = 0;

  void EncodeTo(std::string* dst) const;
  // Consumes a handle from the front of *input; false on truncated/overlong varints.
  bool DecodeFrom(std::string_view* input);
};

struct Footer {
  BlockHandle metaindex_handle;
  BlockHandle index_handle;

  // Appends exactly kFooterLength bytes.
  void EncodeTo(std::string* dst) const;
  // `input` must be the last kFooterLength bytes of the file; `filename` only
  // names the file in errors.
  Status DecodeFrom(std::string_view input, const std::string& filename);
};

// The contents of one block, after its checksum has been verified and any
// compression undone. `data` points into the file bytes or into `owned`.
struct BlockContents {
  std::string_view data;
  std::shared_ptr<const std::string> owned;
};

// Reads the block at `handle` from the whole-file bytes `file`: checks that it
// and its trailer lie inside the file, verifies the crc, decompresses.
// `what` ("index block", "data block") goes into error messages.
StatusOr<BlockContents> ReadBlock(std::string_view file, const BlockHandle& handle,
                                  const std::string& filename, std::string_view what);

// "DATA_LOSS: <filename>: corrupt table: <detail>"
Status TableCorruption(const std::string& filename, std::string_view detail);

}  // namespace savedmodel::table
