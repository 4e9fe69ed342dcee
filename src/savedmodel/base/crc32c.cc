#include "savedmodel/base/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) && defined(__SSE4_2__)
#include <nmmintrin.h>
#define SAVEDMODEL_HAVE_SSE42 1
#endif

namespace savedmodel::crc32c {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;

// kTables[k][b]: the CRC contribution of byte b when it sits k bytes before the
// end of an 8-byte group, so eight lookups advance the CRC by eight bytes.
constexpr std::array<std::array<uint32_t, 256>, 8> MakeTables() {
  std::array<std::array<uint32_t, 256>, 8> t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t c = b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1) ? kPoly : 0);
    t[0][b] = c;
  }
  for (uint32_t b = 0; b < 256; ++b) {
    for (int k = 1; k < 8; ++k) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
  }
  return t;
}
constexpr auto kTables = MakeTables();

inline uint64_t LoadLE64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

bool DetectHardware() {
#if defined(SAVEDMODEL_HAVE_SSE42)
  return __builtin_cpu_supports("sse4.2");
#else
  return false;
#endif
}

const bool kHardware = DetectHardware();

}  // namespace

bool HardwareAvailable() { return kHardware; }

uint32_t ExtendPortable(uint32_t init_crc, const char* data, size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  uint32_t c = ~init_crc;
  for (; n >= 8; n -= 8, p += 8) {
    const uint64_t w = LoadLE64(p) ^ c;
    c = kTables[7][w & 0xff] ^ kTables[6][(w >> 8) & 0xff] ^ kTables[5][(w >> 16) & 0xff] ^
        kTables[4][(w >> 24) & 0xff] ^ kTables[3][(w >> 32) & 0xff] ^
        kTables[2][(w >> 40) & 0xff] ^ kTables[1][(w >> 48) & 0xff] ^ kTables[0][w >> 56];
  }
  for (; n > 0; --n, ++p) c = kTables[0][(c ^ *p) & 0xff] ^ (c >> 8);
  return ~c;
}

uint32_t ExtendHardware(uint32_t init_crc, const char* data, size_t n) {
#if defined(SAVEDMODEL_HAVE_SSE42)
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  uint64_t c = ~init_crc;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);  // x86 is little-endian, as the CRC wants
    c = _mm_crc32_u64(c, w);
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; n > 0; --n, ++p) c32 = _mm_crc32_u8(c32, *p);
  return ~c32;
#else
  return ExtendPortable(init_crc, data, n);
#endif
}

uint32_t Extend(uint32_t init_crc, const char* data, size_t n) {
  return kHardware ? ExtendHardware(init_crc, data, n) : ExtendPortable(init_crc, data, n);
}

}  // namespace savedmodel::crc32c
