// Byte coding shared by the on-disk formats (LevelDB tables, tensor bundles).
//
//   fixed32 / fixed64: little-endian, 4 / 8 bytes, whatever the host order.
//   varint32 / varint64: 7 bits per byte, low group first, high bit set on every
//     byte but the last; at most 5 / 10 bytes.
//   length-prefixed slice: varint32 length, then that many bytes.
//
// Decoders never read past the end they are given: they return false (or
// nullptr) on truncated or overlong input, so callers can turn that into a
// Corruption/DataLoss status naming the file.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace savedmodel {

inline constexpr int kMaxVarint32Bytes = 5;
inline constexpr int kMaxVarint64Bytes = 10;

inline void EncodeFixed32(char* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>(v >> (8 * i));
}
inline void EncodeFixed64(char* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>(v >> (8 * i));
}
// REQUIRES: 4 / 8 readable bytes at p.
inline uint32_t DecodeFixed32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} | uint32_t{u[1]} << 8 | uint32_t{u[2]} << 16 | uint32_t{u[3]} << 24;
}
inline uint64_t DecodeFixed64(const char* p) {
  return uint64_t{DecodeFixed32(p)} | uint64_t{DecodeFixed32(p + 4)} << 32;
}

void PutFixed32(std::string* dst, uint32_t v);
void PutFixed64(std::string* dst, uint64_t v);
void PutVarint32(std::string* dst, uint32_t v);
void PutVarint64(std::string* dst, uint64_t v);
void PutLengthPrefixedSlice(std::string* dst, std::string_view value);

// Writes the varint to dst (which must have kMaxVarint*Bytes room); returns the
// byte after it.
char* EncodeVarint32(char* dst, uint32_t v);
char* EncodeVarint64(char* dst, uint64_t v);
int VarintLength(uint64_t v);

// Parses a varint from [p, limit). Returns the byte after it, or nullptr when
// the input ends inside the varint or it is longer than its type allows (a
// fifth byte of a varint32 carrying more than 4 bits also counts as overlong).
const char* GetVarint32Ptr(const char* p, const char* limit, uint32_t* v);
const char* GetVarint64Ptr(const char* p, const char* limit, uint64_t* v);

// Consume from the front of *input; false (input unchanged) on bad bytes.
bool GetFixed32(std::string_view* input, uint32_t* v);
bool GetFixed64(std::string_view* input, uint64_t* v);
bool GetVarint32(std::string_view* input, uint32_t* v);
bool GetVarint64(std::string_view* input, uint64_t* v);
bool GetLengthPrefixedSlice(std::string_view* input, std::string_view* result);

}  // namespace savedmodel
