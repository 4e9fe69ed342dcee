// Expected values are TensorFlow 2.21's tf.cast of the same inputs (reference venv).
#include "savedmodel/core/tensor_cast.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace savedmodel {
namespace {

TEST(ConvertElementTest, MatchesTensorFlowInRange) {
  EXPECT_EQ(ConvertElement<int32_t>(1.7f), 1);
  EXPECT_EQ(ConvertElement<int32_t>(-1.7f), -1);
  // double -> half rounds through float: 1/3, the largest finite half, past it.
  EXPECT_EQ(ConvertElement<half>(1.0 / 3).bits, 13653);
  EXPECT_EQ(ConvertElement<half>(65519.0).bits, 31743);
  EXPECT_EQ(ConvertElement<half>(70000.0).bits, 31744);
  EXPECT_EQ(ConvertElement<half>(1e-8).bits, 0);
  // int64 -> float rounds to nearest; int64 -> int32 keeps the low 32 bits.
  EXPECT_EQ(ConvertElement<float>(int64_t{(1LL << 53) + 1}), 9007199254740992.0f);
  EXPECT_EQ(ConvertElement<int32_t>(int64_t{(1LL << 53) + 1}), 1);
  EXPECT_EQ(ConvertElement<int32_t>(int64_t{-(1LL << 62)}), 0);
  // complex -> bool and -> int look at the real part only.
  EXPECT_FALSE(ConvertElement<bool>(complex64(0, 2)));
  EXPECT_TRUE(ConvertElement<bool>(complex64(3.5f, -1)));
  EXPECT_EQ(ConvertElement<int32_t>(complex64(3.5f, -1)), 3);
}

// TensorFlow's results here are platform-dependent; ours are defined.
TEST(ConvertElementTest, OutOfRangeFloatSaturatesAndNaNIsZero) {
  EXPECT_EQ(ConvertElement<int32_t>(std::numeric_limits<float>::quiet_NaN()), 0);
  EXPECT_EQ(ConvertElement<int32_t>(3e9f), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(ConvertElement<int32_t>(-3e9f), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(ConvertElement<uint8_t>(-1.7), 0);
  EXPECT_EQ(ConvertElement<int64_t>(INFINITY), std::numeric_limits<int64_t>::max());
}

TEST(CastTensorTest, ConvertsEveryElementAndRefusesStrings) {
  auto out = CastTensor(Tensor::FromVector<float>({1.7f, -1.7f, 0.5f}), DT_INT32);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->shape(), TensorShape({3}));
  EXPECT_EQ(out->flat<int32_t>()[0], 1);
  EXPECT_EQ(out->flat<int32_t>()[1], -1);
  EXPECT_EQ(out->flat<int32_t>()[2], 0);
  auto bad = CastTensor(Tensor::Scalar<std::string>("a"), DT_FLOAT);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace savedmodel
