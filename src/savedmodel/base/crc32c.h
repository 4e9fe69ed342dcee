// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as LevelDB tables and
// TensorFlow bundles store it.
//
// Value/Extend use the SSE4.2 crc32 instruction when the CPU has it (checked
// once at run time) and a slicing-by-8 table otherwise; both give the same
// result. Thread-safe; no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace savedmodel::crc32c {

// crc32c of data[0, n) appended to data whose crc32c is `init_crc`.
uint32_t Extend(uint32_t init_crc, const char* data, size_t n);
inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

// The two implementations, exposed so tests and benchmarks can compare them.
// ExtendHardware REQUIRES: HardwareAvailable().
uint32_t ExtendPortable(uint32_t init_crc, const char* data, size_t n);
uint32_t ExtendHardware(uint32_t init_crc, const char* data, size_t n);
bool HardwareAvailable();

// Stored CRCs are "masked": computing the CRC of a string that itself contains
// embedded CRCs is error-prone, so LevelDB and TensorFlow rotate right by 15
// bits and add a constant before storing.
inline constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t Unmask(uint32_t masked) {
  const uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace savedmodel::crc32c
