// Gradient helper ops with hand-worked values.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "savedmodel/base/thread_pool.h"
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

// Runs BroadcastGradientArgs on two int32 shapes; returns {r0, r1}.
void ExpectReduce(std::vector<int32_t> s0, std::vector<int32_t> s1, std::vector<int32_t> r0,
                  std::vector<int32_t> r1) {
  auto out = OpTest("BroadcastGradientArgs").Input(V_<int32_t>(s0)).Input(V_<int32_t>(s1)).Run();
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensor<int32_t>((*out)[0], r0, {static_cast<int64_t>(r0.size())});
  ExpectTensor<int32_t>((*out)[1], r1, {static_cast<int64_t>(r1.size())});
}

TEST(BroadcastGradientArgsTest, ReductionAxes) {
  // [2,3] + [3]: s1 is padded to [1,3], so its gradient sums over axis 0.
  ExpectReduce({2, 3}, {3}, {}, {0});
  // [2,1,4] * [3,1]: x stretched along axis 1, y along axes 0 and 2.
  ExpectReduce({2, 1, 4}, {3, 1}, {1}, {0, 2});
  // Scalar against a matrix: every axis for the scalar.
  ExpectReduce({}, {2, 5}, {0, 1}, {});
  // An axis of 1 in both is reduced for both ...
  ExpectReduce({1, 3}, {1, 1}, {0}, {0, 1});
  // ... except when the shapes are identical: TensorFlow reduces nothing then.
  ExpectReduce({1, 3}, {1, 3}, {}, {});
  ExpectReduce({1}, {1}, {}, {});
  // A zero-sized axis broadcasts against 1 like any other size.
  ExpectReduce({0, 4}, {1, 4}, {}, {0});
}

TEST(BroadcastGradientArgsTest, Int64AndErrors) {
  auto out = OpTest("BroadcastGradientArgs").Input(V_<int64_t>({4, 1})).Input(V_<int64_t>({1, 6})).Run();
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensor<int64_t>((*out)[0], {1}, {1});
  ExpectTensor<int64_t>((*out)[1], {0}, {1});
  ExpectError(OpTest("BroadcastGradientArgs").Input(V_<int32_t>({2, 3})).Input(V_<int32_t>({4})).Run(),
              "Incompatible shapes: [2,3] vs. [4]");
  ExpectError(OpTest("BroadcastGradientArgs").Input(S_<int32_t>(2)).Input(V_<int32_t>({4})).Run(),
              "must be a vector");
}

TEST(ConcatOffsetTest, OffsetsAlongAxis) {
  auto out = OpTest("ConcatOffset")
                 .Input(S_<int32_t>(1))
                 .Input(V_<int32_t>({2, 3, 5}))
                 .Input(V_<int32_t>({2, 7, 5}))
                 .Input(V_<int32_t>({2, 1, 5}))
                 .Run();
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 3u);
  ExpectTensor<int32_t>((*out)[0], {0, 0, 0}, {3});
  ExpectTensor<int32_t>((*out)[1], {0, 3, 0}, {3});
  ExpectTensor<int32_t>((*out)[2], {0, 10, 0}, {3});
  // A negative axis counts from the end.
  auto neg = OpTest("ConcatOffset").Input(S_<int32_t>(-1)).Input(V_<int32_t>({2, 3})).Input(V_<int32_t>({2, 4})).Run();
  ASSERT_TRUE(neg.ok()) << neg.status();
  ExpectTensor<int32_t>((*neg)[1], {0, 3}, {2});

  ExpectError(OpTest("ConcatOffset").Input(S_<int32_t>(0)).Input(V_<int32_t>({2, 3})).Input(V_<int32_t>({2, 4})).Run(),
              "All dimensions except 0 must match");
  ExpectError(OpTest("ConcatOffset").Input(S_<int32_t>(2)).Input(V_<int32_t>({2, 3})).Input(V_<int32_t>({2, 4})).Run(),
              "Concat dim is out of range");
  ExpectError(OpTest("ConcatOffset").Input(S_<int32_t>(0)).Input(V_<int32_t>({2, 3})).Input(V_<int32_t>({2})).Run(),
              "should contain 2 elements");
}

TEST(ActivationGradTest, ReluSigmoidTanh) {
  // ReluGrad passes dy where the forward input was positive (0 counts as not).
  ExpectTensor<float>(OpTest("ReluGrad").Input(V_<float>({1, 2, 3, 4})).Input(V_<float>({-1, 0, 0.5f, 7})).Run1(),
                      {0, 0, 3, 4}, {4});
  ExpectTensor<int32_t>(OpTest("ReluGrad").Input(V_<int32_t>({5, 6})).Input(V_<int32_t>({1, -1})).Run1(), {5, 0},
                        {2});
  // SigmoidGrad(y, dy) = dy * y * (1 - y): y 0.5 -> 0.25 dy; y 0.2 -> 0.16 dy.
  ExpectNear<double>(OpTest("SigmoidGrad").Input(V_<double>({0.5, 0.2, 1})).Input(V_<double>({2, -1, 3})).Run1(),
                     {0.5, -0.16, 0}, {3}, 1e-12);
  // TanhGrad(y, dy) = dy * (1 - y^2): y 0.5 -> 0.75 dy; y -0.9 -> 0.19 dy.
  ExpectNear<float>(OpTest("TanhGrad").Input(T_<float>({0.5f, -0.9f, 0, 1}, {2, 2}))
                        .Input(T_<float>({2, 1, -3, 5}, {2, 2}))
                        .Run1(),
                    {1.5f, 0.19f, -3, 0}, {2, 2}, 1e-6);
  ExpectError(OpTest("TanhGrad").Input(V_<float>({0.5f})).Input(V_<float>({1, 2})).Run1(), "same shape");
  ExpectError(OpTest("SigmoidGrad").Input(V_<int32_t>({1})).Input(V_<int32_t>({1})).Run1(), "int32");
}

TEST(BiasAddGradTest, SumsPerChannel) {
  // NHWC [2, 3]: column sums.
  ExpectTensor<float>(OpTest("BiasAddGrad").Input(T_<float>({1, 2, 3, 10, 20, 30}, {2, 3})).Run1(), {11, 22, 33},
                      {3});
  // NHWC [1, 2, 2, 2]: channels alternate.
  ExpectTensor<float>(OpTest("BiasAddGrad").Input(T_<float>({1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 2, 2})).Run1(),
                      {16, 20}, {2});
  // NCHW [2, 2, 2]: channel c is x[n, c, :] summed over n.
  ExpectTensor<double>(OpTest("BiasAddGrad")
                           .Input(T_<double>({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2}))
                           .Attr("data_format", "NCHW")
                           .Run1(),
                       {1 + 2 + 5 + 6, 3 + 4 + 7 + 8}, {2});
  ExpectTensor<int32_t>(OpTest("BiasAddGrad").Input(T_<int32_t>({1, -2, 3, 4}, {2, 2})).Run1(), {4, 2}, {2});
  ExpectError(OpTest("BiasAddGrad").Input(V_<float>({1, 2})).Run1(), "at least 2D");
}

TEST(BiasAddGradTest, LargeInputMatchesSerialSum) {
  // Enough rows for several blocks of kMinParallelWork items, so the blocks
  // split across threads; every channel sums to a known value.
  const int64_t channels = 3, rows = 3 * (kMinParallelWork / channels + 1);
  std::vector<float> x(rows * channels);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < channels; ++c) x[r * channels + c] = static_cast<float>(c + 1) * 0.5f;
  }
  ExpectNear<float>(OpTest("BiasAddGrad").Input(T_<float>(x, {rows, channels})).IntraOpThreads(4).Run1(),
                    {0.5f * rows, 1.0f * rows, 1.5f * rows}, {channels}, 1e-3);
}

}  // namespace
}  // namespace savedmodel
