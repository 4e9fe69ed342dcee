#include "savedmodel/base/coding.h"

namespace savedmodel {

void PutFixed32(std::string* dst, uint32_t v) {
  char buf[4];
  EncodeFixed32(buf, v);
  dst->append(buf, 4);
}

void PutFixed64(std::string* dst, uint64_t v) {
  char buf[8];
  EncodeFixed64(buf, v);
  dst->append(buf, 8);
}

char* EncodeVarint64(char* dst, uint64_t v) {
  auto* p = reinterpret_cast<unsigned char*>(dst);
  while (v >= 0x80) {
    *p++ = static_cast<unsigned char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<unsigned char>(v);
  return reinterpret_cast<char*>(p);
}

char* EncodeVarint32(char* dst, uint32_t v) { return EncodeVarint64(dst, v); }

void PutVarint32(std::string* dst, uint32_t v) {
  char buf[kMaxVarint32Bytes];
  dst->append(buf, EncodeVarint32(buf, v) - buf);
}

void PutVarint64(std::string* dst, uint64_t v) {
  char buf[kMaxVarint64Bytes];
  dst->append(buf, EncodeVarint64(buf, v) - buf);
}

void PutLengthPrefixedSlice(std::string* dst, std::string_view value) {
  PutVarint32(dst, static_cast<uint32_t>(value.size()));
  dst->append(value);
}

int VarintLength(uint64_t v) {
  int len = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++len;
  }
  return len;
}

namespace {

// Shared by both widths: `max_bytes` bounds the length and `last_bits` how many
// payload bits the final permitted byte may carry, so values that would not
// fit the type are rejected rather than silently truncated.
const char* GetVarint(const char* p, const char* limit, int max_bytes, int last_bits,
                      uint64_t* v) {
  uint64_t result = 0;
  for (int i = 0; i < max_bytes && p < limit; ++i) {
    const uint64_t byte = static_cast<unsigned char>(*p++);
    if (i == max_bytes - 1 && (byte >> last_bits) != 0) return nullptr;
    result |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      *v = result;
      return p;
    }
  }
  return nullptr;
}

}  // namespace

const char* GetVarint32Ptr(const char* p, const char* limit, uint32_t* v) {
  uint64_t r = 0;
  const char* q = GetVarint(p, limit, kMaxVarint32Bytes, 4, &r);
  if (q != nullptr) *v = static_cast<uint32_t>(r);
  return q;
}

const char* GetVarint64Ptr(const char* p, const char* limit, uint64_t* v) {
  return GetVarint(p, limit, kMaxVarint64Bytes, 1, v);
}

bool GetFixed32(std::string_view* input, uint32_t* v) {
  if (input->size() < 4) return false;
  *v = DecodeFixed32(input->data());
  input->remove_prefix(4);
  return true;
}

bool GetFixed64(std::string_view* input, uint64_t* v) {
  if (input->size() < 8) return false;
  *v = DecodeFixed64(input->data());
  input->remove_prefix(8);
  return true;
}

bool GetVarint32(std::string_view* input, uint32_t* v) {
  const char* end = input->data() + input->size();
  const char* q = GetVarint32Ptr(input->data(), end, v);
  if (q == nullptr) return false;
  input->remove_prefix(q - input->data());
  return true;
}

bool GetVarint64(std::string_view* input, uint64_t* v) {
  const char* end = input->data() + input->size();
  const char* q = GetVarint64Ptr(input->data(), end, v);
  if (q == nullptr) return false;
  input->remove_prefix(q - input->data());
  return true;
}

bool GetLengthPrefixedSlice(std::string_view* input, std::string_view* result) {
  std::string_view in = *input;
  uint32_t len = 0;
  if (!GetVarint32(&in, &len) || in.size() < len) return false;
  *result = in.substr(0, len);
  in.remove_prefix(len);
  *input = in;
  return true;
}

}  // namespace savedmodel
