#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "savedmodel/kernels/testing/kernel_test_helpers.h"

namespace savedmodel {
namespace {

using testing::ExpectError;
using testing::ExpectNear;
using testing::ExpectTensor;
using testing::OpTest;
using testing::S_;
using testing::V_;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

StatusOr<Tensor> Unary(const char* op, Tensor x) { return OpTest(op).Input(x).Run1(); }

TEST(UnaryOpsTest, Arithmetic) {
  ExpectTensor<float>(Unary("Neg", V_<float>({1, -2})), {-1, 2}, {2});
  ExpectTensor<int32_t>(Unary("Abs", V_<int32_t>({-3, 4, std::numeric_limits<int32_t>::min()})),
                        {3, 4, std::numeric_limits<int32_t>::min()}, {3});
  ExpectTensor<int64_t>(Unary("Square", V_<int64_t>({-3, 5})), {9, 25}, {2});
  ExpectTensor<float>(Unary("Sign", V_<float>({-2, 0, 3, kNaN})), {-1, 0, 1, kNaN}, {4});
  ExpectTensor<int32_t>(Unary("Sign", V_<int32_t>({-7, 0, 9})), {-1, 0, 1}, {3});
  ExpectTensor<float>(Unary("Reciprocal", V_<float>({4, 0})), {0.25f, kInf}, {2});
}

TEST(UnaryOpsTest, Transcendental) {
  ExpectNear<float>(Unary("Exp", V_<float>({0, 1})), {1, 2.7182817f}, {2});
  ExpectTensor<float>(Unary("Log", V_<float>({1, 0, -1})), {0, -kInf, kNaN}, {3});
  ExpectNear<double>(Unary("Log1p", V_<double>({1e-10})), {1e-10}, {1}, 1e-20);
  ExpectTensor<float>(Unary("Sqrt", V_<float>({4, 9})), {2, 3}, {2});
  ExpectTensor<float>(Unary("Rsqrt", V_<float>({4, 0.25f})), {0.5f, 2}, {2});
  ExpectNear<float>(Unary("Sin", V_<float>({0, 1.5707964f})), {0, 1}, {2});
  ExpectNear<float>(Unary("Cos", V_<float>({0})), {1}, {1});
  ExpectNear<float>(Unary("Tanh", V_<float>({0, 100, -100})), {0, 1, -1}, {3});
}

TEST(UnaryOpsTest, Rounding) {
  // Round is half-to-even.
  ExpectTensor<float>(Unary("Round", V_<float>({0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 1.2f})),
                      {0, 2, 2, -0.0f, -2, 1}, {6});
  ExpectTensor<int32_t>(Unary("Round", V_<int32_t>({3})), {3}, {1});
  ExpectTensor<float>(Unary("Floor", V_<float>({1.5f, -1.5f})), {1, -2}, {2});
  ExpectTensor<double>(Unary("Ceil", V_<double>({1.5, -1.5})), {2, -1}, {2});
}

TEST(UnaryOpsTest, Activations) {
  ExpectTensor<float>(Unary("Relu", V_<float>({-1, 0, 2})), {0, 0, 2}, {3});
  ExpectTensor<int32_t>(Unary("Relu", V_<int32_t>({-1, 3})), {0, 3}, {2});
  ExpectTensor<float>(Unary("Relu6", V_<float>({-1, 3, 7})), {0, 3, 6}, {3});
  ExpectNear<float>(Unary("Sigmoid", V_<float>({0, -1000, 1000, 2})),
                    {0.5f, 0, 1, 0.8807971f}, {4});
  ExpectNear<float>(Unary("Elu", V_<float>({1, -1})), {1, -0.63212055f}, {2});
  ExpectNear<float>(Unary("Selu", V_<float>({1, -1})), {1.050701f, -1.1113307f}, {2});
  ExpectNear<float>(Unary("Softplus", V_<float>({0, 1000, -1000, 1})),
                    {0.6931472f, 1000, 0, 1.3132616f}, {4});
  ExpectNear<float>(OpTest("LeakyRelu").Input(V_<float>({-2, 3})).Attr("alpha", 0.1f).Run1(),
                    {-0.2f, 3}, {2});
  // alpha defaults to 0.2.
  ExpectNear<float>(OpTest("LeakyRelu").Input(V_<float>({-1})).Run1(), {-0.2f}, {1});
}

TEST(UnaryOpsTest, Predicates) {
  auto x = V_<float>({1, kNaN, kInf, -kInf});
  ExpectTensor<bool>(Unary("IsNan", x), {false, true, false, false}, {4});
  ExpectTensor<bool>(Unary("IsInf", x), {false, false, true, true}, {4});
  ExpectTensor<bool>(Unary("IsFinite", x), {true, false, false, false}, {4});
  ExpectTensor<bool>(Unary("LogicalNot", V_<bool>({true, false})), {false, true}, {2});
}

TEST(UnaryOpsTest, HalfAndLargeInputs) {
  auto got = Unary("Sqrt", V_<half>({FloatToHalf(16)}));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(HalfToFloat(got->flat<half>()[0]), 4.0f);
  std::vector<float> big(100000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>(i) - 50000;
  auto relu = Unary("Relu", V_<float>(big));
  ASSERT_TRUE(relu.ok());
  for (size_t i = 0; i < big.size(); ++i) ASSERT_EQ(relu->flat<float>()[i], std::max(big[i], 0.0f));
}

TEST(UnaryOpsTest, UnsupportedTypeFailsAtLoad) {
  ExpectError(Unary("Exp", V_<int32_t>({1})), "");
}

}  // namespace
}  // namespace savedmodel
