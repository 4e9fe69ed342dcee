#include "savedmodel/format/bundle/bundle_format.h"

#include <cstdio>

namespace savedmodel::bundle {

std::string MetaFilename(const std::string& prefix) { return prefix + ".index"; }

std::string DataFilename(const std::string& prefix, int shard, int num_shards) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), ".data-%05d-of-%05d", shard, num_shards);
  return prefix + buf;
}

StatusOr<std::vector<SliceExtent>> SliceFromProto(const tensorflow::TensorSliceProto& proto,
                                                  const TensorShape& full_shape) {
  if (proto.extent_size() != full_shape.rank()) {
    return DataLoss("slice has " + std::to_string(proto.extent_size()) +
                    " extents for a tensor of rank " + std::to_string(full_shape.rank()));
  }
  std::vector<SliceExtent> out(proto.extent_size());
  for (int d = 0; d < proto.extent_size(); ++d) {
    const auto& e = proto.extent(d);
    const int64_t dim = full_shape.dim(d);
    SliceExtent x;
    x.start = e.start();
    x.length = e.has_length_case() == tensorflow::TensorSliceProto::Extent::kLength ? e.length()
                                                                                  : -1;
    const bool full = x.length == -1;
    if (x.start < 0 || x.start > dim || (full && x.start != 0) ||
        (!full && (x.length < 0 || x.length > dim - x.start))) {
      return DataLoss("slice extent [" + std::to_string(x.start) + ", " +
                      std::to_string(x.length) + "] does not fit dimension " + std::to_string(d) +
                      " of size " + std::to_string(dim));
    }
    out[d] = x;
  }
  return out;
}

TensorShape SliceShape(const std::vector<SliceExtent>& extents, const TensorShape& full_shape) {
  TensorShape s;
  for (size_t d = 0; d < extents.size(); ++d) {
    s.AddDim(extents[d].length == -1 ? full_shape.dim(static_cast<int>(d)) : extents[d].length);
  }
  return s;
}

namespace {

// OrderedCode, the order-preserving key encoding TensorFlow uses for slice keys.

// Length byte, then the value big-endian without leading zero bytes.
void WriteNumIncreasing(std::string* dst, uint64_t v) {
  char buf[8];
  int n = 0;
  for (; v > 0; v >>= 8) buf[7 - n++] = static_cast<char>(v & 0xff);
  dst->push_back(static_cast<char>(n));
  dst->append(buf + 8 - n, n);
}

// 0x00 -> 00 ff, 0xff -> ff 00, terminated by 00 01.
void WriteString(std::string* dst, const std::string& s) {
  for (char c : s) {
    dst->push_back(c);
    if (c == '\0') dst->push_back('\xff');
    if (c == '\xff') dst->push_back('\0');
  }
  dst->append("\0\1", 2);
}

// A sign bit (1 = non-negative), then as many further copies of it as extra
// bytes follow, then the inverted bit, then the two's-complement value
// big-endian: n bytes hold [-2^(7n-1), 2^(7n-1)).
void WriteSignedNumIncreasing(std::string* dst, int64_t v) {
  const uint64_t x = v < 0 ? ~static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  int bits = 0;
  for (uint64_t t = x; t != 0; t >>= 1) ++bits;
  int len = 1;
  while (len < 10 && bits + 1 > 7 * len) ++len;  // 7 bits per byte, one for the sign
  // Header bits for each length, spread over the first two bytes.
  static constexpr unsigned char kHeader[11][2] = {
      {0, 0},       {0x80, 0},    {0xc0, 0},    {0xe0, 0},    {0xf0, 0},   {0xf8, 0},
      {0xfc, 0},    {0xfe, 0},    {0xff, 0},    {0xff, 0x80}, {0xff, 0xc0}};
  unsigned char buf[10];
  const unsigned char sign = v < 0 ? 0xff : 0x00;
  buf[0] = buf[1] = sign;
  for (int i = 0; i < 8; ++i) buf[2 + i] = static_cast<unsigned char>(static_cast<uint64_t>(v) >> (56 - 8 * i));
  unsigned char* begin = buf + 10 - len;
  begin[0] ^= kHeader[len][0];
  if (len >= 2) begin[1] ^= kHeader[len][1];
  dst->append(reinterpret_cast<const char*>(begin), len);
}

}  // namespace

std::string EncodeTensorNameSlice(const std::string& name, const std::vector<SliceExtent>& slice) {
  std::string out;
  WriteNumIncreasing(&out, 0);
  WriteString(&out, name);
  WriteNumIncreasing(&out, slice.size());
  for (const SliceExtent& e : slice) {
    WriteSignedNumIncreasing(&out, e.start);
    WriteSignedNumIncreasing(&out, e.length);
  }
  return out;
}

}  // namespace savedmodel::bundle
