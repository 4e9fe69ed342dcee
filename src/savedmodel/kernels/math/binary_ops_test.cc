#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/math/broadcast.h"
#include "savedmodel/kernels/testing/kernel_test_helpers.h"

namespace savedmodel {
namespace {

using kernels::BroadcastPlan;
using kernels::ForEachBroadcast;
using kernels::MakeBroadcastPlan;
using kernels::ReferenceBroadcastIndex;
using testing::ExpectError;
using testing::ExpectTensor;
using testing::OpTest;
using testing::S_;
using testing::T_;
using testing::V_;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// The collapsed odometer must agree with the per-index reference for every
// output index, whatever range the walk starts from.
TEST(BroadcastTest, PlanMatchesReference) {
  const std::vector<std::vector<TensorShape>> cases = {
      {TensorShape{2, 3}, TensorShape{3}},       {TensorShape{2, 1}, TensorShape{1, 3}},
      {TensorShape{4, 1, 5}, TensorShape{3, 1}}, {TensorShape{}, TensorShape{2, 2}},
      {TensorShape{2, 3, 4}, TensorShape{2, 3, 4}}, {TensorShape{1, 3, 1}, TensorShape{2, 1, 4}},
      {TensorShape{3, 1, 2}, TensorShape{1, 4, 1}, TensorShape{2}}};
  for (const auto& shapes : cases) {
    auto plan = MakeBroadcastPlan(shapes);
    ASSERT_TRUE(plan.ok());
    const int64_t n = plan->out_shape.num_elements();
    for (int64_t begin = 0; begin < n; begin += 5) {
      ForEachBroadcast(*plan, begin, n, [&](int64_t i, const auto& off) {
        for (size_t k = 0; k < shapes.size(); ++k) {
          EXPECT_EQ(off[k], ReferenceBroadcastIndex(shapes[k], plan->out_shape, i))
              << "input " << k << " out index " << i;
        }
      });
    }
  }
}

TEST(BroadcastTest, IncompatibleMessage) {
  auto s = kernels::BroadcastShape(TensorShape{2, 3}, TensorShape{4});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "Incompatible shapes: [2,3] vs. [4]");
}

TEST(BinaryOpsTest, AddRowBroadcast) {
  ExpectTensor<float>(OpTest("AddV2").Input(T_<float>({1, 2, 3, 4, 5, 6}, {2, 3}))
                          .Input(V_<float>({10, 20, 30})).Run1(),
                      {11, 22, 33, 14, 25, 36}, {2, 3});
}

TEST(BinaryOpsTest, MulOuterBroadcast) {
  ExpectTensor<int32_t>(OpTest("Mul").Input(T_<int32_t>({1, 2}, {2, 1}))
                            .Input(T_<int32_t>({3, 4, 5}, {1, 3})).Run1(),
                        {3, 4, 5, 6, 8, 10}, {2, 3});
}

TEST(BinaryOpsTest, ScalarBothSides) {
  ExpectTensor<double>(OpTest("Sub").Input(S_<double>(10)).Input(V_<double>({1, 2})).Run1(),
                       {9, 8}, {2});
  ExpectTensor<int64_t>(OpTest("Sub").Input(V_<int64_t>({1, 2})).Input(S_<int64_t>(10)).Run1(),
                        {-9, -8}, {2});
}

TEST(BinaryOpsTest, IncompatibleShapes) {
  ExpectError(OpTest("AddV2").Input(T_<float>({1, 2, 3, 4, 5, 6}, {2, 3}))
                  .Input(V_<float>({1, 2, 3, 4})).Run1(),
              "Incompatible shapes: [2,3] vs. [4]");
}

TEST(BinaryOpsTest, AddConcatenatesStrings) {
  auto got = OpTest("Add").Input(testing::Str({"a", "b"}, {2}))
                 .Input(Tensor::Scalar<std::string>("!")).Run1();
  ExpectTensor<std::string>(got, {"a!", "b!"}, {2});
}

TEST(BinaryOpsTest, IntegerOverflowWraps) {
  const int32_t max = std::numeric_limits<int32_t>::max();
  const int32_t min = std::numeric_limits<int32_t>::min();
  ExpectTensor<int32_t>(OpTest("AddV2").Input(S_<int32_t>(max)).Input(S_<int32_t>(1)).Run1(),
                        {min}, {});
  ExpectTensor<int32_t>(OpTest("Mul").Input(S_<int32_t>(min)).Input(S_<int32_t>(-1)).Run1(),
                        {min}, {});
}

TEST(BinaryOpsTest, IntegerDivisionSemantics) {
  auto x = V_<int32_t>({7, -7, 7, -7});
  auto y = V_<int32_t>({2, 2, -2, -2});
  // Div truncates toward zero; FloorDiv rounds down; FloorMod takes y's sign.
  ExpectTensor<int32_t>(OpTest("Div").Input(x).Input(y).Run1(), {3, -3, -3, 3}, {4});
  ExpectTensor<int32_t>(OpTest("FloorDiv").Input(x).Input(y).Run1(), {3, -4, -4, 3}, {4});
  ExpectTensor<int32_t>(OpTest("FloorMod").Input(x).Input(y).Run1(), {1, 1, -1, -1}, {4});
  ExpectTensor<int32_t>(OpTest("TruncateDiv").Input(x).Input(y).Run1(), {3, -3, -3, 3}, {4});
  const int32_t min = std::numeric_limits<int32_t>::min();
  ExpectTensor<int32_t>(OpTest("FloorDiv").Input(S_<int32_t>(min)).Input(S_<int32_t>(-1)).Run1(),
                        {min}, {});
}

TEST(BinaryOpsTest, IntegerDivisionByZeroIsAnError) {
  for (const char* op : {"Div", "FloorDiv", "FloorMod", "TruncateDiv"}) {
    ExpectError(OpTest(op).Input(V_<int64_t>({1, 2})).Input(V_<int64_t>({1, 0})).Run1(),
                "Integer division by zero");
  }
}

TEST(BinaryOpsTest, FloatDivision) {
  ExpectTensor<float>(OpTest("RealDiv").Input(V_<float>({1, -1, 0, 7}))
                          .Input(V_<float>({0, 0, 0, 2})).Run1(),
                      {INFINITY, -INFINITY, kNaN, 3.5f}, {4});
  ExpectTensor<float>(OpTest("FloorDiv").Input(V_<float>({7, -7})).Input(S_<float>(2)).Run1(),
                      {3, -4}, {2});
  ExpectTensor<float>(OpTest("FloorMod").Input(V_<float>({7, -7, 7.5f}))
                          .Input(V_<float>({-2, 2, 2})).Run1(),
                      {-1, 1, 1.5f}, {3});
}

TEST(BinaryOpsTest, MaximumMinimumPropagateNaN) {
  auto x = V_<float>({1, kNaN, 3});
  auto y = V_<float>({2, 0, kNaN});
  ExpectTensor<float>(OpTest("Maximum").Input(x).Input(y).Run1(), {2, kNaN, kNaN}, {3});
  ExpectTensor<float>(OpTest("Minimum").Input(x).Input(y).Run1(), {1, kNaN, kNaN}, {3});
  ExpectTensor<int32_t>(OpTest("Maximum").Input(V_<int32_t>({1, 5})).Input(S_<int32_t>(3)).Run1(),
                        {3, 5}, {2});
}

TEST(BinaryOpsTest, SquaredDifferenceAndPow) {
  ExpectTensor<float>(OpTest("SquaredDifference").Input(V_<float>({1, 5}))
                          .Input(V_<float>({4, 2})).Run1(),
                      {9, 9}, {2});
  ExpectTensor<int32_t>(OpTest("Pow").Input(V_<int32_t>({2, 3, -2}))
                            .Input(V_<int32_t>({10, 0, 3})).Run1(),
                        {1024, 1, -8}, {3});
  ExpectTensor<float>(OpTest("Pow").Input(V_<float>({4, 2})).Input(V_<float>({0.5f, -1})).Run1(),
                      {2, 0.5f}, {2});
  ExpectError(OpTest("Pow").Input(V_<int32_t>({2})).Input(V_<int32_t>({-1})).Run1(),
              "Integers to negative integer powers are not allowed");
}

TEST(BinaryOpsTest, Comparisons) {
  auto x = V_<float>({1, 2, 3});
  auto y = S_<float>(2);
  ExpectTensor<bool>(OpTest("Less").Input(x).Input(y).Run1(), {true, false, false}, {3});
  ExpectTensor<bool>(OpTest("LessEqual").Input(x).Input(y).Run1(), {true, true, false}, {3});
  ExpectTensor<bool>(OpTest("Greater").Input(x).Input(y).Run1(), {false, false, true}, {3});
  ExpectTensor<bool>(OpTest("GreaterEqual").Input(x).Input(y).Run1(), {false, true, true}, {3});
  ExpectTensor<bool>(OpTest("Equal").Input(x).Input(y).Run1(), {false, true, false}, {3});
  ExpectTensor<bool>(OpTest("NotEqual").Input(x).Input(y).Run1(), {true, false, true}, {3});
  // NaN compares unequal to everything, itself included.
  ExpectTensor<bool>(OpTest("Equal").Input(S_<float>(kNaN)).Input(S_<float>(kNaN)).Run1(),
                     {false}, {});
}

TEST(BinaryOpsTest, EqualOnStringsAndBools) {
  ExpectTensor<bool>(OpTest("Equal").Input(testing::Str({"a", "b"}, {2}))
                         .Input(testing::Str({"a", "c"}, {2})).Run1(),
                     {true, false}, {2});
  ExpectTensor<bool>(OpTest("NotEqual").Input(V_<bool>({true, false}))
                         .Input(S_<bool>(true)).Run1(),
                     {false, true}, {2});
}

TEST(BinaryOpsTest, EqualIncompatibleShapesWithoutError) {
  ExpectTensor<bool>(OpTest("Equal").Input(V_<int32_t>({1, 2})).Input(V_<int32_t>({1, 2, 3}))
                         .Attr("incompatible_shape_error", false).Run1(),
                     {false}, {});
  ExpectTensor<bool>(OpTest("NotEqual").Input(V_<int32_t>({1, 2})).Input(V_<int32_t>({1, 2, 3}))
                         .Attr("incompatible_shape_error", false).Run1(),
                     {true}, {});
}

TEST(BinaryOpsTest, Logical) {
  auto x = V_<bool>({true, true, false, false});
  auto y = V_<bool>({true, false, true, false});
  ExpectTensor<bool>(OpTest("LogicalAnd").Input(x).Input(y).Run1(),
                     {true, false, false, false}, {4});
  ExpectTensor<bool>(OpTest("LogicalOr").Input(x).Input(y).Run1(), {true, true, true, false}, {4});
}

TEST(BinaryOpsTest, HalfComputesThroughFloat) {
  Tensor a = V_<half>({FloatToHalf(1.5f), FloatToHalf(-2)});
  Tensor b = S_<half>(FloatToHalf(2));
  auto got = OpTest("Mul").Input(a).Input(b).Run1();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(HalfToFloat(got->flat<half>()[0]), 3.0f);
  EXPECT_EQ(HalfToFloat(got->flat<half>()[1]), -4.0f);
  auto bf = OpTest("AddV2").Input(S_<bfloat16>(FloatToBFloat16(1)))
                .Input(S_<bfloat16>(FloatToBFloat16(2))).Run1();
  ASSERT_TRUE(bf.ok()) << bf.status();
  EXPECT_EQ(BFloat16ToFloat(bf->scalar<bfloat16>()), 3.0f);
}

// Big enough to split across threads; each broadcast path against the
// reference mapping.
TEST(BinaryOpsTest, LargeBroadcastMatchesReference) {
  const int64_t inner = 2 * kMinParallelWork / (64 * 3) + 1;
  const TensorShape xs{64, 1, inner}, ys{3, inner};
  std::vector<float> xv(xs.num_elements()), yv(ys.num_elements());
  for (size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<float>(i % 97);
  for (size_t i = 0; i < yv.size(); ++i) yv[i] = static_cast<float>(i % 13) * 0.5f;
  auto got = OpTest("Sub").Input(T_<float>(xv, xs)).Input(T_<float>(yv, ys)).IntraOpThreads(4).Run1();
  ASSERT_TRUE(got.ok()) << got.status();
  const TensorShape out{64, 3, inner};
  ASSERT_GT(out.num_elements(), 2 * kMinParallelWork);
  ASSERT_EQ(got->shape(), out);
  auto flat = got->flat<float>();
  for (int64_t i = 0; i < out.num_elements(); ++i) {
    float want = xv[ReferenceBroadcastIndex(xs, out, i)] - yv[ReferenceBroadcastIndex(ys, out, i)];
    ASSERT_EQ(flat[i], want) << i;
  }
}

}  // namespace
}  // namespace savedmodel
