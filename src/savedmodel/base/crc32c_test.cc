#include "savedmodel/base/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace savedmodel::crc32c {
namespace {

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(Value("123456789"), 0xE3069283u);
  std::string zeros(32, '\0');
  EXPECT_EQ(Value(zeros), 0x8A9136AAu);
  std::string ones(32, '\xff');
  EXPECT_EQ(Value(ones), 0x62A8AB43u);
  std::string inc(32, '\0'), dec(32, '\0');
  for (int i = 0; i < 32; ++i) {
    inc[i] = static_cast<char>(i);
    dec[i] = static_cast<char>(31 - i);
  }
  EXPECT_EQ(Value(inc), 0x46DD794Eu);
  EXPECT_EQ(Value(dec), 0x113FDB5Cu);
  EXPECT_EQ(Value("", 0), 0u);
}

TEST(Crc32cTest, ExtendEqualsWhole) {
  const std::string s = "hello world, this is a longer string for crc";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    EXPECT_EQ(Extend(Value(s.data(), cut), s.data() + cut, s.size() - cut), Value(s));
  }
}

TEST(Crc32cTest, MaskRoundTrip) {
  const uint32_t crc = Value("foo");
  EXPECT_NE(Mask(crc), crc);
  EXPECT_NE(Mask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Unmask(Mask(Mask(crc)))), crc);
}

TEST(Crc32cTest, PortableMatchesHardwareOnRandomData) {
  if (!HardwareAvailable()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  std::mt19937 rng(301);
  std::string buf(4099, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  for (size_t start = 0; start < 9; ++start) {
    for (size_t len : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{63},
                       size_t{1000}, buf.size() - start}) {
      const uint32_t seed = static_cast<uint32_t>(rng());
      EXPECT_EQ(ExtendPortable(seed, buf.data() + start, len),
                ExtendHardware(seed, buf.data() + start, len))
          << start << " " << len;
    }
  }
}

}  // namespace
}  // namespace savedmodel::crc32c
