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
using testing::T_;
using testing::V_;

constexpr float kInf = std::numeric_limits<float>::infinity();

TEST(MatMulTest, PlainAndTransposed) {
  auto a = T_<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  auto b = T_<float>({7, 8, 9, 10, 11, 12}, {3, 2});
  ExpectTensor<float>(OpTest("MatMul").Input(a).Input(b).Run1(), {58, 64, 139, 154}, {2, 2});
  // a^T: [3,2] x a: [2,3] -> [3,3]
  ExpectTensor<float>(OpTest("MatMul").Input(a).Input(a).Attr("transpose_a", true).Run1(),
                      {17, 22, 27, 22, 29, 36, 27, 36, 45}, {3, 3});
  // a x a^T -> [2,2]
  ExpectTensor<double>(OpTest("MatMul").Input(T_<double>({1, 2, 3, 4, 5, 6}, {2, 3}))
                           .Input(T_<double>({1, 2, 3, 4, 5, 6}, {2, 3}))
                           .Attr("transpose_b", true).Run1(),
                       {14, 32, 32, 77}, {2, 2});
}

TEST(MatMulTest, IntegersAndErrors) {
  ExpectTensor<int32_t>(OpTest("MatMul").Input(T_<int32_t>({1, 2, 3, 4}, {2, 2}))
                            .Input(T_<int32_t>({5, 6, 7, 8}, {2, 2})).Run1(),
                        {19, 22, 43, 50}, {2, 2});
  ExpectError(OpTest("MatMul").Input(T_<float>({1, 2, 3, 4, 5, 6}, {2, 3}))
                  .Input(T_<float>({1, 2, 3, 4}, {2, 2})).Run1(),
              "Matrix size-incompatible");
}

TEST(MatMulTest, LargeMatchesNaive) {
  const int64_t m = 130, k = 70, n = 90;
  std::vector<float> a(m * k), b(k * n);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>((i * 7) % 11) - 5;
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>((i * 3) % 5) - 2;
  auto got = OpTest("MatMul").Input(T_<float>(a, {m, k})).Input(T_<float>(b, {k, n})).Run1();
  ASSERT_TRUE(got.ok()) << got.status();
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      float want = 0;
      for (int64_t p = 0; p < k; ++p) want += a[i * k + p] * b[p * n + j];
      ASSERT_EQ(got->flat<float>()[i * n + j], want);
    }
  }
}

TEST(BatchMatMulTest, BroadcastsBatchDims) {
  // x: [2,1,2] (two row vectors), y: [2,1] shared -> [2,1,1]
  ExpectTensor<float>(OpTest("BatchMatMulV2").Input(T_<float>({1, 2, 3, 4}, {2, 1, 2}))
                          .Input(T_<float>({10, 1}, {2, 1})).Run1(),
                      {12, 34}, {2, 1, 1});
  ExpectTensor<float>(OpTest("BatchMatMulV2").Input(T_<float>({1, 2, 3, 4}, {1, 2, 2}))
                          .Input(T_<float>({1, 0, 0, 1, 2, 0, 0, 2}, {2, 2, 2}))
                          .Attr("adj_x", true).Run1(),
                      {1, 3, 2, 4, 2, 6, 4, 8}, {2, 2, 2});
}

TEST(ReductionTest, SumOverAxesWithKeepDims) {
  auto x = T_<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  ExpectTensor<float>(OpTest("Sum").Input(x).Input(S_<int32_t>(0)).Run1(), {5, 7, 9}, {3});
  ExpectTensor<float>(OpTest("Sum").Input(x).Input(S_<int32_t>(-1)).Attr("keep_dims", true).Run1(),
                      {6, 15}, {2, 1});
  ExpectTensor<float>(OpTest("Sum").Input(x).Input(V_<int64_t>({0, 1})).Run1(), {21}, {});
  ExpectTensor<float>(OpTest("Sum").Input(x).Input(V_<int32_t>({})).Run1(),
                      {1, 2, 3, 4, 5, 6}, {2, 3});
}

TEST(ReductionTest, LongFloatSumsDoNotStallAt2To24) {
  // A single running float sum of 2^25 ones stops at 2^24 (adding 1 no longer
  // changes it); TensorFlow returns 2^25, and so must we.
  const int64_t n = int64_t{1} << 25;
  auto x = T_<float>(std::vector<float>(n, 1.0f), {n});
  ExpectTensor<float>(OpTest("Sum").Input(x).Input(S_<int32_t>(0)).Run1(), {33554432.0f}, {});
  ExpectTensor<float>(OpTest("Mean").Input(x).Input(S_<int32_t>(0)).Run1(), {1.0f}, {});
}

TEST(ReductionTest, ThreeDimsMiddleAxis) {
  // [2,3,2]: reduce axis 1 (general path) and axes {0,2}.
  std::vector<int32_t> v(12);
  for (int i = 0; i < 12; ++i) v[i] = i;
  auto x = T_<int32_t>(v, {2, 3, 2});
  ExpectTensor<int32_t>(OpTest("Sum").Input(x).Input(S_<int32_t>(1)).Run1(),
                        {6, 9, 24, 27}, {2, 2});
  ExpectTensor<int32_t>(OpTest("Max").Input(x).Input(V_<int32_t>({0, 2}))
                            .Attr("keep_dims", true).Run1(),
                        {7, 9, 11}, {1, 3, 1});
  ExpectTensor<int32_t>(OpTest("Mean").Input(x).Input(V_<int32_t>({0, 2})).Run1(),
                        {3, 5, 7}, {3});  // integer mean truncates: 13/4, 21/4, 29/4
}

TEST(ReductionTest, MeanProdMinAllAny) {
  auto x = T_<float>({1, 2, 3, 4}, {2, 2});
  ExpectTensor<float>(OpTest("Mean").Input(x).Input(S_<int32_t>(1)).Run1(), {1.5f, 3.5f}, {2});
  ExpectTensor<float>(OpTest("Prod").Input(x).Input(S_<int32_t>(0)).Run1(), {3, 8}, {2});
  ExpectTensor<float>(OpTest("Min").Input(x).Input(S_<int32_t>(0)).Run1(), {1, 2}, {2});
  auto b = T_<bool>({true, false, true, true}, {2, 2});
  ExpectTensor<bool>(OpTest("All").Input(b).Input(S_<int32_t>(1)).Run1(), {false, true}, {2});
  ExpectTensor<bool>(OpTest("Any").Input(b).Input(S_<int32_t>(0)).Run1(), {true, true}, {2});
}

TEST(ReductionTest, EmptyReductionsGiveIdentity) {
  auto x = T_<float>({}, {0, 2});
  ExpectTensor<float>(OpTest("Sum").Input(x).Input(S_<int32_t>(0)).Run1(), {0, 0}, {2});
  ExpectTensor<float>(OpTest("Prod").Input(x).Input(S_<int32_t>(0)).Run1(), {1, 1}, {2});
  ExpectTensor<float>(OpTest("Max").Input(x).Input(S_<int32_t>(0)).Run1(), {-kInf, -kInf}, {2});
  ExpectTensor<float>(OpTest("Min").Input(x).Input(S_<int32_t>(0)).Run1(), {kInf, kInf}, {2});
  auto mean = OpTest("Mean").Input(x).Input(S_<int32_t>(0)).Run1();
  ASSERT_TRUE(mean.ok());
  EXPECT_TRUE(std::isnan(mean->flat<float>()[0]));
  ExpectTensor<int32_t>(OpTest("Max").Input(T_<int32_t>({}, {0})).Input(S_<int32_t>(0)).Run1(),
                        {std::numeric_limits<int32_t>::lowest()}, {});
  ExpectTensor<bool>(OpTest("All").Input(T_<bool>({}, {0})).Input(S_<int32_t>(0)).Run1(),
                     {true}, {});
}

TEST(ReductionTest, AxisErrors) {
  auto x = T_<float>({1, 2, 3, 4}, {2, 2});
  ExpectError(OpTest("Sum").Input(x).Input(S_<int32_t>(2)).Run1(), "Invalid reduction dimension");
  ExpectError(OpTest("Sum").Input(x).Input(V_<int32_t>({1, -1})).Run1(), "duplicate dimension");
}

TEST(ReductionTest, LargeColumnAndRowPaths) {
  const int64_t rows = 300, cols = 257;
  std::vector<float> v(rows * cols);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 7);
  auto x = T_<float>(v, {rows, cols});
  auto col = OpTest("Sum").Input(x).Input(S_<int32_t>(0)).Run1();
  auto row = OpTest("Sum").Input(x).Input(S_<int32_t>(1)).Run1();
  ASSERT_TRUE(col.ok() && row.ok());
  for (int64_t c = 0; c < cols; ++c) {
    float want = 0;
    for (int64_t r = 0; r < rows; ++r) want += v[r * cols + c];
    ASSERT_EQ(col->flat<float>()[c], want);
  }
  for (int64_t r = 0; r < rows; ++r) {
    float want = 0;
    for (int64_t c = 0; c < cols; ++c) want += v[r * cols + c];
    ASSERT_EQ(row->flat<float>()[r], want);
  }
}

TEST(ArgMaxTest, FirstIndexOnTies) {
  auto x = T_<float>({1, 3, 3, 0, 5, 5}, {2, 3});
  ExpectTensor<int64_t>(OpTest("ArgMax").Input(x).Input(S_<int32_t>(1)).Run1(), {1, 1}, {2});
  ExpectTensor<int64_t>(OpTest("ArgMax").Input(x).Input(S_<int32_t>(0)).Run1(), {0, 1, 1}, {3});
  ExpectTensor<int32_t>(OpTest("ArgMin").Input(x).Input(S_<int64_t>(-1))
                            .Attr("output_type", DT_INT32).Run1(),
                        {0, 0}, {2});
  ExpectError(OpTest("ArgMax").Input(x).Input(S_<int32_t>(2)).Run1(), "Expected dimension");
  ExpectError(OpTest("ArgMax").Input(T_<float>({}, {0})).Input(S_<int32_t>(0)).Run1(),
              "is empty");
}

}  // namespace
}  // namespace savedmodel
