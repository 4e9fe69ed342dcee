#include "savedmodel/core/types.h"

#include <cmath>
#include <cstring>
#include <limits>

#include <gtest/gtest.h>

namespace savedmodel {
namespace {

uint32_t FloatBits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
float BitsFloat(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
uint16_t H(float f) { return FloatToHalf(f).bits; }
float FromH(uint16_t bits) { return HalfToFloat(half{bits}); }
uint16_t B(float f) { return FloatToBFloat16(f).bits; }

TEST(HalfTest, ExactValues) {
  EXPECT_EQ(H(0.0f), 0x0000);
  EXPECT_EQ(H(-0.0f), 0x8000);
  EXPECT_EQ(H(1.0f), 0x3C00);
  EXPECT_EQ(H(-2.0f), 0xC000);
  EXPECT_EQ(H(0.5f), 0x3800);
  EXPECT_EQ(H(65504.0f), 0x7BFF);  // largest finite half
  EXPECT_EQ(H(0.1f), 0x2E66);
  EXPECT_EQ(H(1.0f / 3.0f), 0x3555);
  EXPECT_EQ(FromH(0x3C00), 1.0f);
  EXPECT_EQ(FromH(0x7BFF), 65504.0f);
  EXPECT_EQ(FromH(0x2E66), 0.0999755859375f);
  EXPECT_EQ(FromH(0xC000), -2.0f);
  EXPECT_EQ(FromH(0x3555), 0.333251953125f);
}

TEST(HalfTest, RoundToNearestEven) {
  // 1 + 2^-11 lies halfway between 1 (even mantissa) and 1 + 2^-10.
  EXPECT_EQ(H(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  // 1 + 3 * 2^-11 lies halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even).
  EXPECT_EQ(H(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  // Just above halfway rounds up.
  EXPECT_EQ(H(BitsFloat(FloatBits(1.0f + std::ldexp(1.0f, -11)) + 1)), 0x3C01);
  // Just below halfway rounds down.
  EXPECT_EQ(H(BitsFloat(FloatBits(1.0f + 3 * std::ldexp(1.0f, -11)) - 1)), 0x3C01);
  // Mantissa rounding carries into the exponent: 2 - 2^-12 -> 2.
  EXPECT_EQ(H(2.0f - std::ldexp(1.0f, -12)), 0x4000);
}

TEST(HalfTest, Subnormals) {
  float smallest = std::ldexp(1.0f, -24);  // 0x0001
  EXPECT_EQ(H(smallest), 0x0001);
  EXPECT_EQ(FromH(0x0001), smallest);
  EXPECT_EQ(FromH(0x0200), std::ldexp(1.0f, -15));
  EXPECT_EQ(FromH(0x03FF), 1023 * smallest);  // largest subnormal
  EXPECT_EQ(FromH(0x8001), -smallest);
  EXPECT_EQ(H(1023 * smallest), 0x03FF);
  EXPECT_EQ(H(-3 * smallest), 0x8003);
  // Halfway cases between subnormals round to even.
  EXPECT_EQ(H(0.5f * smallest), 0x0000);  // tie: 0 is even
  EXPECT_EQ(H(1.5f * smallest), 0x0002);  // tie between 1 and 2
  EXPECT_EQ(H(2.5f * smallest), 0x0002);  // tie between 2 and 3
  EXPECT_EQ(H(0.75f * smallest), 0x0001);
  EXPECT_EQ(H(0.25f * smallest), 0x0000);
  // Halfway between the largest subnormal (odd) and the smallest normal: even wins.
  EXPECT_EQ(H(1023.5f * smallest), 0x0400);
  EXPECT_EQ(FromH(0x0400), std::ldexp(1.0f, -14));
  EXPECT_EQ(H(std::ldexp(1.0f, -14)), 0x0400);
  EXPECT_EQ(H(1e-10f), 0x0000);
  EXPECT_EQ(H(-1e-10f), 0x8000);
}

TEST(HalfTest, InfNanOverflow) {
  float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(H(inf), 0x7C00);
  EXPECT_EQ(H(-inf), 0xFC00);
  EXPECT_EQ(H(65519.0f), 0x7BFF);  // below the halfway point to 65536
  EXPECT_EQ(H(65520.0f), 0x7C00);  // halfway rounds to even: the "65536" that is inf
  EXPECT_EQ(H(-65520.0f), 0xFC00);
  EXPECT_EQ(H(1e10f), 0x7C00);
  EXPECT_EQ(H(std::numeric_limits<float>::max()), 0x7C00);
  uint16_t n = H(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(n & 0x7C00, 0x7C00);
  EXPECT_NE(n & 0x03FF, 0);
  // A signalling NaN whose payload sits only in the low bits must stay a NaN.
  uint16_t s = H(BitsFloat(0x7F800001u));
  EXPECT_EQ(s & 0x7C00, 0x7C00);
  EXPECT_NE(s & 0x03FF, 0);
  EXPECT_TRUE(std::isinf(FromH(0x7C00)));
  EXPECT_LT(FromH(0xFC00), 0);
  EXPECT_TRUE(std::isnan(FromH(0x7E00)));
  EXPECT_TRUE(std::isnan(FromH(0xFC01)));
}

TEST(HalfTest, AllHalvesRoundTrip) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    float f = FromH(static_cast<uint16_t>(b));
    if (std::isnan(f)) continue;
    ASSERT_EQ(H(f), b) << std::hex << b;
  }
}

TEST(BFloat16Test, ExactValues) {
  EXPECT_EQ(B(0.0f), 0x0000);
  EXPECT_EQ(B(-0.0f), 0x8000);
  EXPECT_EQ(B(1.0f), 0x3F80);
  EXPECT_EQ(B(-2.0f), 0xC000);
  EXPECT_EQ(B(0.1f), 0x3DCD);
  EXPECT_EQ(B(3.14159265f), 0x4049);
  EXPECT_EQ(BFloat16ToFloat(bfloat16{0x3F80}), 1.0f);
  EXPECT_EQ(BFloat16ToFloat(bfloat16{0x3DCD}), 0.10009765625f);
  EXPECT_EQ(BFloat16ToFloat(bfloat16{0x4049}), 3.140625f);
}

TEST(BFloat16Test, RoundToNearestEven) {
  EXPECT_EQ(B(BitsFloat(0x3F808000u)), 0x3F80);  // tie, even stays
  EXPECT_EQ(B(BitsFloat(0x3F818000u)), 0x3F82);  // tie, odd rounds up
  EXPECT_EQ(B(BitsFloat(0x3F808001u)), 0x3F81);  // above tie
  EXPECT_EQ(B(BitsFloat(0x3F807FFFu)), 0x3F80);  // below tie
  // Subnormals round the same way.
  EXPECT_EQ(B(BitsFloat(0x00018000u)), 0x0002);
  EXPECT_EQ(B(BitsFloat(0x00008000u)), 0x0000);
}

TEST(BFloat16Test, InfNanOverflow) {
  float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(B(inf), 0x7F80);
  EXPECT_EQ(B(-inf), 0xFF80);
  EXPECT_EQ(B(std::numeric_limits<float>::max()), 0x7F80);  // rounds up past the top
  uint16_t n = B(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(n & 0x7F80, 0x7F80);
  EXPECT_NE(n & 0x7F, 0);
  // Payload only in the dropped low bits: truncation alone would make it inf.
  uint16_t s = B(BitsFloat(0x7F800001u));
  EXPECT_EQ(s & 0x7F80, 0x7F80);
  EXPECT_NE(s & 0x7F, 0);
  EXPECT_EQ(B(BitsFloat(0xFF800001u)) & 0x8000, 0x8000);
  EXPECT_TRUE(std::isnan(BFloat16ToFloat(bfloat16{0x7FC0})));
  EXPECT_TRUE(std::isinf(BFloat16ToFloat(bfloat16{0xFF80})));
}

TEST(DataTypeTest, Sizes) {
  EXPECT_EQ(DataTypeSize(DT_FLOAT), 4u);
  EXPECT_EQ(DataTypeSize(DT_DOUBLE), 8u);
  EXPECT_EQ(DataTypeSize(DT_INT8), 1u);
  EXPECT_EQ(DataTypeSize(DT_UINT8), 1u);
  EXPECT_EQ(DataTypeSize(DT_INT16), 2u);
  EXPECT_EQ(DataTypeSize(DT_UINT16), 2u);
  EXPECT_EQ(DataTypeSize(DT_INT32), 4u);
  EXPECT_EQ(DataTypeSize(DT_UINT32), 4u);
  EXPECT_EQ(DataTypeSize(DT_INT64), 8u);
  EXPECT_EQ(DataTypeSize(DT_UINT64), 8u);
  EXPECT_EQ(DataTypeSize(DT_BOOL), 1u);
  EXPECT_EQ(DataTypeSize(DT_HALF), 2u);
  EXPECT_EQ(DataTypeSize(DT_BFLOAT16), 2u);
  EXPECT_EQ(DataTypeSize(DT_COMPLEX64), 8u);
  EXPECT_EQ(DataTypeSize(DT_COMPLEX128), 16u);
  EXPECT_EQ(DataTypeSize(DT_QINT32), 4u);
  EXPECT_EQ(DataTypeSize(DT_STRING), 0u);
  EXPECT_EQ(DataTypeSize(DT_RESOURCE), 0u);
  EXPECT_EQ(DataTypeSize(DT_VARIANT), 0u);
  EXPECT_EQ(DataTypeSize(DT_INVALID), 0u);
  EXPECT_EQ(DataTypeSize(static_cast<DataType>(DT_FLOAT + kDataTypeRefOffset)), 4u);
}

TEST(DataTypeTest, RefTypes) {
  DataType float_ref = static_cast<DataType>(101);
  EXPECT_TRUE(IsRefType(float_ref));
  EXPECT_FALSE(IsRefType(DT_FLOAT));
  EXPECT_EQ(BaseType(float_ref), DT_FLOAT);
  EXPECT_EQ(BaseType(DT_INT32), DT_INT32);
  EXPECT_TRUE(IsKnownDataType(101));
  EXPECT_TRUE(IsKnownDataType(DT_UINT4));
  EXPECT_FALSE(IsKnownDataType(0));
  EXPECT_FALSE(IsKnownDataType(26));
  EXPECT_FALSE(IsKnownDataType(99));
  EXPECT_FALSE(IsKnownDataType(-1));
}

TEST(DataTypeTest, Storable) {
  for (DataType dt : {DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8, DT_STRING,
                      DT_COMPLEX64, DT_INT64, DT_BOOL, DT_BFLOAT16, DT_UINT16, DT_COMPLEX128,
                      DT_HALF, DT_UINT32, DT_UINT64}) {
    EXPECT_TRUE(IsStorableDataType(dt)) << DataTypeString(dt);
    // VisitDataType agrees with IsStorableDataType.
    Status s = VisitDataType(dt, [&](auto v) {
      EXPECT_EQ(DataTypeOf<decltype(v)>::value, dt);
      return Status::OK();
    });
    EXPECT_TRUE(s.ok()) << s;
  }
  for (DataType dt : {DT_INVALID, DT_RESOURCE, DT_VARIANT, DT_QINT8, DT_QUINT8, DT_QINT32,
                      DT_QINT16, DT_QUINT16, DT_FLOAT8_E5M2, DT_FLOAT8_E4M3FN, DT_INT4,
                      DT_UINT4, static_cast<DataType>(101)}) {
    EXPECT_FALSE(IsStorableDataType(dt)) << DataTypeString(dt);
    Status s = VisitDataType(dt, [](auto) { return Status::OK(); });
    EXPECT_EQ(s.code(), StatusCode::kUnimplemented);
  }
}

TEST(DataTypeTest, Strings) {
  EXPECT_EQ(DataTypeString(DT_FLOAT), "float");
  EXPECT_EQ(DataTypeString(DT_HALF), "half");
  EXPECT_EQ(DataTypeString(DT_BFLOAT16), "bfloat16");
  EXPECT_EQ(DataTypeString(DT_COMPLEX128), "complex128");
  EXPECT_EQ(DataTypeString(DT_STRING), "string");
  EXPECT_EQ(DataTypeString(DT_RESOURCE), "resource");
  EXPECT_EQ(DataTypeString(static_cast<DataType>(101)), "float_ref");
  EXPECT_EQ(DataTypeString(static_cast<DataType>(109)), "int64_ref");
  EXPECT_EQ(DataTypeString(DT_INVALID), "INVALID");
  EXPECT_EQ(DataTypeString(static_cast<DataType>(77)), "unknown dtype enum (77)");
  EXPECT_EQ(DataTypeEnumName(DT_FLOAT), "DT_FLOAT");
  EXPECT_EQ(DataTypeEnumName(DT_UINT64), "DT_UINT64");
  EXPECT_EQ(DataTypeEnumName(static_cast<DataType>(119)), "DT_HALF_REF");
  EXPECT_EQ(DataTypeEnumName(DT_INVALID), "DT_INVALID");
}

TEST(DataTypeTest, ParseRoundTrips) {
  for (int v = 1; v < 200; ++v) {
    if (!IsKnownDataType(v)) continue;
    DataType dt = static_cast<DataType>(v);
    auto a = ParseDataType(DataTypeString(dt));
    ASSERT_TRUE(a.ok()) << v << " " << a.status();
    EXPECT_EQ(*a, dt);
    auto b = ParseDataType(DataTypeEnumName(dt));
    ASSERT_TRUE(b.ok()) << v << " " << b.status();
    EXPECT_EQ(*b, dt);
  }
  EXPECT_EQ(*ParseDataType("float_ref"), static_cast<DataType>(101));
  EXPECT_EQ(*ParseDataType("DT_INT32_REF"), static_cast<DataType>(103));
}

TEST(DataTypeTest, ParseRejects) {
  for (const char* bad : {"", "floaty", "FLOAT", "float_ref_ref", "_ref", "DT_", "int128"}) {
    auto r = ParseDataType(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(ParseDataType("floaty").status().message().find("floaty"), std::string::npos);
}

}  // namespace
}  // namespace savedmodel
