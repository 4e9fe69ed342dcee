#include <cmath>

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

TEST(BiasAddTest, NHWCAndNCHW) {
  auto x = T_<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  ExpectTensor<float>(OpTest("BiasAdd").Input(x).Input(V_<float>({10, 20, 30})).Run1(),
                      {11, 22, 33, 14, 25, 36}, {2, 3});
  // NCHW [1,2,1,2]: channel 0 = {1,2}, channel 1 = {3,4}.
  ExpectTensor<float>(OpTest("BiasAdd").Input(T_<float>({1, 2, 3, 4}, {1, 2, 1, 2}))
                          .Input(V_<float>({10, 20})).Attr("data_format", "NCHW").Run1(),
                      {11, 12, 23, 24}, {1, 2, 1, 2});
  ExpectError(OpTest("BiasAdd").Input(x).Input(V_<float>({1, 2})).Run1(),
              "Must provide as many biases");
}

TEST(SoftmaxTest, RowsSumToOne) {
  // softmax([1,2,3]) = e^(x-3) / sum: {0.09003057, 0.24472847, 0.66524096}
  auto got = OpTest("Softmax").Input(T_<float>({1, 2, 3, 1000, 1000, 1000}, {2, 3})).Run1();
  ExpectNear<float>(got, {0.09003057f, 0.24472847f, 0.66524096f, 1 / 3.f, 1 / 3.f, 1 / 3.f},
                    {2, 3}, 1e-6);
  ExpectNear<double>(OpTest("LogSoftmax").Input(V_<double>({1, 2, 3})).Run1(),
                     {-2.4076059644443806, -1.4076059644443806, -0.4076059644443806}, {3}, 1e-12);
}

TEST(SoftmaxXentTest, LossAndBackprop) {
  auto logits = T_<float>({1, 2, 3, 0, 0, 0}, {2, 3});
  auto labels = T_<float>({0, 0, 1, 1, 0, 0}, {2, 3});
  auto outs = OpTest("SoftmaxCrossEntropyWithLogits").Input(logits).Input(labels).Run();
  ASSERT_TRUE(outs.ok()) << outs.status();
  ASSERT_EQ(outs->size(), 2u);
  ExpectNear<float>((*outs)[0], {0.40760596f, 1.0986123f}, {2});
  ExpectNear<float>((*outs)[1],
                    {0.09003057f, 0.24472847f, 0.66524096f - 1, 1 / 3.f - 1, 1 / 3.f, 1 / 3.f},
                    {2, 3});
}

TEST(SparseSoftmaxXentTest, LossBackpropAndRangeError) {
  auto logits = T_<float>({1, 2, 3, 0, 0, 0}, {2, 3});
  auto outs = OpTest("SparseSoftmaxCrossEntropyWithLogits").Input(logits)
                  .Input(V_<int32_t>({2, 0})).Run();
  ASSERT_TRUE(outs.ok()) << outs.status();
  ExpectNear<float>((*outs)[0], {0.40760596f, 1.0986123f}, {2});
  ExpectNear<float>((*outs)[1],
                    {0.09003057f, 0.24472847f, 0.66524096f - 1, 1 / 3.f - 1, 1 / 3.f, 1 / 3.f},
                    {2, 3});
  ExpectError(OpTest("SparseSoftmaxCrossEntropyWithLogits").Input(logits)
                  .Input(V_<int64_t>({3, 0})).Run(),
              "Received a label value of 3 which is outside the valid range of [0, 3)");
}

}  // namespace
}  // namespace savedmodel
