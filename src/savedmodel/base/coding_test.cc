#include "savedmodel/base/coding.h"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

namespace savedmodel {
namespace {

TEST(CodingTest, FixedIsLittleEndian) {
  std::string s;
  PutFixed32(&s, 0x04030201u);
  PutFixed64(&s, 0x0807060504030201ull);
  EXPECT_EQ(s, std::string("\x01\x02\x03\x04\x01\x02\x03\x04\x05\x06\x07\x08", 12));
  EXPECT_EQ(DecodeFixed32(s.data()), 0x04030201u);
  EXPECT_EQ(DecodeFixed64(s.data() + 4), 0x0807060504030201ull);
  std::string_view in = s;
  uint32_t a;
  uint64_t b, c;
  ASSERT_TRUE(GetFixed32(&in, &a));
  ASSERT_TRUE(GetFixed64(&in, &b));
  EXPECT_FALSE(GetFixed64(&in, &c));
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, Varint64RoundTrip) {
  std::vector<uint64_t> values = {0, 1, 127, 128, 255, 300, 16383, 16384};
  for (int shift = 0; shift < 64; ++shift) {
    values.push_back(uint64_t{1} << shift);
    values.push_back((uint64_t{1} << shift) - 1);
  }
  values.push_back(std::numeric_limits<uint64_t>::max());
  std::string s;
  for (uint64_t v : values) PutVarint64(&s, v);
  std::string_view in = s;
  for (uint64_t v : values) {
    uint64_t got = 0;
    const size_t before = in.size();
    ASSERT_TRUE(GetVarint64(&in, &got));
    EXPECT_EQ(got, v);
    EXPECT_EQ(before - in.size(), static_cast<size_t>(VarintLength(v)));
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, Varint32RoundTripAndKnownBytes) {
  std::string s;
  PutVarint32(&s, 300);
  EXPECT_EQ(s, "\xac\x02");
  s.clear();
  PutVarint32(&s, 0xffffffffu);
  EXPECT_EQ(s, "\xff\xff\xff\xff\x0f");
  std::string_view in = s;
  uint32_t v = 0;
  ASSERT_TRUE(GetVarint32(&in, &v));
  EXPECT_EQ(v, 0xffffffffu);
}

TEST(CodingTest, TruncatedVarintFails) {
  std::string s;
  PutVarint64(&s, uint64_t{1} << 40);
  for (size_t n = 0; n < s.size(); ++n) {
    std::string_view in(s.data(), n);
    uint64_t v;
    EXPECT_FALSE(GetVarint64(&in, &v)) << n;
    EXPECT_EQ(in.size(), n);  // untouched on failure
  }
}

TEST(CodingTest, OverlongVarintFails) {
  // A fifth byte carrying more than 4 bits does not fit 32 bits.
  std::string_view v32("\xff\xff\xff\xff\x1f", 5);
  uint32_t a;
  EXPECT_FALSE(GetVarint32(&v32, &a));
  // Six continuation bytes: too long for a varint32 at all.
  std::string_view v32b("\x80\x80\x80\x80\x80\x00", 6);
  EXPECT_FALSE(GetVarint32(&v32b, &a));
  // An eleventh byte, or a tenth byte above 1, does not fit 64 bits.
  std::string_view v64("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10);
  uint64_t b;
  EXPECT_FALSE(GetVarint64(&v64, &b));
  std::string_view v64b("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 11);
  EXPECT_FALSE(GetVarint64(&v64b, &b));
}

TEST(CodingTest, LengthPrefixedSlice) {
  std::string s;
  PutLengthPrefixedSlice(&s, "hello");
  PutLengthPrefixedSlice(&s, "");
  std::string_view in = s, out;
  ASSERT_TRUE(GetLengthPrefixedSlice(&in, &out));
  EXPECT_EQ(out, "hello");
  ASSERT_TRUE(GetLengthPrefixedSlice(&in, &out));
  EXPECT_EQ(out, "");
  EXPECT_TRUE(in.empty());
  // Length larger than the remaining bytes.
  std::string_view bad("\x05" "abc", 4);
  EXPECT_FALSE(GetLengthPrefixedSlice(&bad, &out));
  EXPECT_EQ(bad.size(), 4u);
}

}  // namespace
}  // namespace savedmodel
