#include "savedmodel/format/table/format.h"

#include <snappy.h>

#include <cinttypes>
#include <cstdio>

#include "savedmodel/base/coding.h"
#include "savedmodel/base/crc32c.h"

namespace savedmodel::table {

Status TableCorruption(const std::string& filename, std::string_view detail) {
  return DataLoss(filename + ": corrupt table: " + std::string(detail));
}

void BlockHandle::EncodeTo(std::string* dst) const {
  PutVarint64(dst, offset);
  PutVarint64(dst, size);
}

bool BlockHandle::DecodeFrom(std::string_view* input) {
  std::string_view in = *input;
  if (!GetVarint64(&in, &offset) || !GetVarint64(&in, &size)) return false;
  *input = in;
  return true;
}

void Footer::EncodeTo(std::string* dst) const {
  const size_t start = dst->size();
  metaindex_handle.EncodeTo(dst);
  index_handle.EncodeTo(dst);
  dst->resize(start + 2 * kMaxBlockHandleLength, '\0');
  PutFixed64(dst, kTableMagicNumber);
}

Status Footer::DecodeFrom(std::string_view input, const std::string& filename) {
  if (input.size() != kFooterLength) {
    return TableCorruption(filename, "footer is " + std::to_string(input.size()) +
                                         " bytes, expected " + std::to_string(kFooterLength));
  }
  const uint64_t magic = DecodeFixed64(input.data() + kFooterLength - 8);
  if (magic != kTableMagicNumber) {
    char buf[80];
    std::snprintf(buf, sizeof(buf), "bad magic number 0x%016" PRIx64 " (expected 0x%016" PRIx64 ")",
                  magic, kTableMagicNumber);
    return TableCorruption(filename, buf);
  }
  std::string_view handles = input.substr(0, 2 * kMaxBlockHandleLength);
  if (!metaindex_handle.DecodeFrom(&handles) || !index_handle.DecodeFrom(&handles)) {
    return TableCorruption(filename, "bad block handle in footer");
  }
  return Status::OK();
}

namespace {

std::string HandleString(const BlockHandle& h) {
  return "offset " + std::to_string(h.offset) + " size " + std::to_string(h.size);
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

}  // namespace

StatusOr<BlockContents> ReadBlock(std::string_view file, const BlockHandle& handle,
                                  const std::string& filename, std::string_view what) {
  // Written so no sum can overflow: handle values come straight from the file.
  if (handle.offset > file.size() || handle.size > file.size() - handle.offset ||
      kBlockTrailerSize > file.size() - handle.offset - handle.size) {
    return TableCorruption(filename, std::string(what) + " handle (" + HandleString(handle) +
                                         ") extends past end of file (" +
                                         std::to_string(file.size()) + " bytes)");
  }
  const char* data = file.data() + handle.offset;
  const size_t n = static_cast<size_t>(handle.size);
  const uint8_t type = static_cast<uint8_t>(data[n]);
  const uint32_t stored = crc32c::Unmask(DecodeFixed32(data + n + 1));
  const uint32_t actual = crc32c::Value(data, n + 1);  // contents and type byte
  if (stored != actual) {
    return TableCorruption(filename, "checksum mismatch in " + std::string(what) + " at " +
                                         HandleString(handle) + ": stored " + Hex32(stored) +
                                         ", computed " + Hex32(actual));
  }
  BlockContents out;
  switch (type) {
    case kNoCompression:
      out.data = std::string_view(data, n);
      return out;
    case kSnappyCompression: {
      size_t ulen = 0;
      if (!snappy::GetUncompressedLength(data, n, &ulen)) {
        return TableCorruption(filename, "bad snappy length header in " + std::string(what) +
                                             " at " + HandleString(handle));
      }
      // Snappy never expands more than ~21x (a 3-byte copy yields 64 bytes), so a
      // larger claim is corrupt and must not drive an allocation.
      if (ulen > n * 64 + 64) {
        return TableCorruption(filename, "snappy " + std::string(what) + " at " +
                                             HandleString(handle) + " claims " +
                                             std::to_string(ulen) + " uncompressed bytes");
      }
      auto buf = std::make_shared<std::string>(ulen, '\0');
      if (!snappy::RawUncompress(data, n, buf->data())) {
        return TableCorruption(filename, "snappy decompression failed for " + std::string(what) +
                                             " at " + HandleString(handle));
      }
      out.data = *buf;
      out.owned = std::move(buf);
      return out;
    }
    default:
      return TableCorruption(filename, "unknown compression type " + std::to_string(type) +
                                           " in " + std::string(what) + " at " +
                                           HandleString(handle));
  }
}

}  // namespace savedmodel::table
