// _FusedMatMul against MatMul, BiasAdd and the activation run as separate
// kernels, plus a product worked by hand and the errors.
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "savedmodel/kernels/testing/kernel_test_helpers.h"
#include "savedmodel/kernels/testing/op_test_util.h"

namespace savedmodel::kernels {
namespace {

using testing::OpTest;

Tensor RandomTensor(std::vector<int64_t> dims, std::mt19937* rng) {
  auto shape = TensorShape::FromDims(dims);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(shape->num_elements());
  for (float& x : v) x = d(*rng);
  return Tensor::FromVector(v, *shape);
}

OpTest Fused(const Tensor& a, const Tensor& b, const std::vector<Tensor>& args,
             const std::vector<std::string>& ops, bool ta = false, bool tb = false) {
  OpTest t("_FusedMatMul");
  t.Input(a).Input(b);
  for (const Tensor& x : args) t.Input(x);
  tensorflow::AttrValue list;
  for (const std::string& op : ops) list.mutable_list()->add_s(op);
  t.Attr("fused_ops", list)
      .Attr("num_args", static_cast<int64_t>(args.size()))
      .Attr("transpose_a", ta)
      .Attr("transpose_b", tb)
      .Attr("leakyrelu_alpha", 0.3f)
      .IntraOpThreads(2);
  return t;
}

std::vector<float> Values(const Tensor& t) {
  return std::vector<float>(t.flat<float>().begin(), t.flat<float>().end());
}

TEST(FusedMatMulTest, MatchesMatMulThenBiasAddThenActivation) {
  std::mt19937 rng(17);
  struct Shape {
    int64_t m, k, n;
  };
  // Small, the MLP's first layer (its product splits across the pool), and
  // a tall one (split by rows).
  for (const Shape& s : {Shape{5, 7, 3}, Shape{64, 784, 512}, Shape{300, 20, 10}}) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        const Tensor a = RandomTensor(ta ? std::vector<int64_t>{s.k, s.m}
                                         : std::vector<int64_t>{s.m, s.k}, &rng);
        const Tensor b = RandomTensor(tb ? std::vector<int64_t>{s.n, s.k}
                                         : std::vector<int64_t>{s.k, s.n}, &rng);
        const Tensor bias = RandomTensor({s.n}, &rng);
        auto product = OpTest("MatMul").Input(a).Input(b).Attr("transpose_a", ta)
                           .Attr("transpose_b", tb).IntraOpThreads(2).Run1();
        ASSERT_TRUE(product.ok()) << product.status();
        auto biased = OpTest("BiasAdd").Input(*product).Input(bias).Run1();
        ASSERT_TRUE(biased.ok()) << biased.status();
        for (const char* act : {"", "Relu", "Relu6", "Elu", "LeakyRelu", "Tanh", "Sigmoid"}) {
          SCOPED_TRACE(std::to_string(s.m) + "x" + std::to_string(s.k) + "x" +
                       std::to_string(s.n) + " ta=" + std::to_string(ta) +
                       " tb=" + std::to_string(tb) + " act=" + act);
          Tensor want = *biased;
          if (*act) {
            OpTest t(act);
            t.Input(want);
            if (std::string(act) == "LeakyRelu") t.Attr("alpha", 0.3f);
            auto w = t.Run1();
            ASSERT_TRUE(w.ok()) << w.status();
            want = *w;
          }
          std::vector<std::string> ops{"BiasAdd"};
          if (*act) ops.push_back(act);
          auto got = Fused(a, b, {bias}, ops, ta, tb).Run1();
          ASSERT_TRUE(got.ok()) << got.status();
          testing::ExpectNear<float>(got, Values(want), want.shape(), 1e-5);
        }
      }
    }
  }
}

TEST(FusedMatMulTest, WorkedExample) {
  // [[1,2],[3,4]] x [[1,0],[0,-1]] = [[1,-2],[3,-4]]; + [0.5, 1] = [[1.5,-1],[3.5,-3]].
  const Tensor a = testing::T_<float>({1, 2, 3, 4}, TensorShape{2, 2});
  const Tensor b = testing::T_<float>({1, 0, 0, -1}, TensorShape{2, 2});
  const Tensor bias = testing::V_<float>({0.5f, 1.0f});
  testing::ExpectTensor<float>(Fused(a, b, {bias}, {"BiasAdd"}).Run1(), {1.5f, -1, 3.5f, -3},
                               TensorShape{2, 2});
  testing::ExpectTensor<float>(Fused(a, b, {bias}, {"BiasAdd", "Relu"}).Run1(), {1.5f, 0, 3.5f, 0},
                               TensorShape{2, 2});
  testing::ExpectNear<float>(Fused(a, b, {bias}, {"BiasAdd", "LeakyRelu"}).Run1(),
                             {1.5f, -0.3f, 3.5f, -0.9f}, TensorShape{2, 2}, 1e-6);
  // A with transpose_a: a^T = [[1,3],[2,4]]; x b = [[1,-3],[2,-4]]; + bias, Relu6.
  testing::ExpectTensor<float>(Fused(a, b, {bias}, {"BiasAdd", "Relu6"}, true).Run1(),
                               {1.5f, 0, 2.5f, 0}, TensorShape{2, 2});
}

TEST(FusedMatMulTest, EmptyInnerDimensionGivesActivationOfBias) {
  // [2, 0] x [0, 3]: the product is zeros, so each row is act(bias).
  const Tensor a(DT_FLOAT, TensorShape{2, 0}), b(DT_FLOAT, TensorShape{0, 3});
  const Tensor bias = testing::V_<float>({-1.0f, 0.5f, 7.0f});
  testing::ExpectTensor<float>(Fused(a, b, {bias}, {"BiasAdd", "Relu6"}).Run1(),
                               {0, 0.5f, 6, 0, 0.5f, 6}, TensorShape{2, 3});
}

TEST(FusedMatMulTest, BadArguments) {
  std::mt19937 rng(2);
  const Tensor a = RandomTensor({4, 3}, &rng), b = RandomTensor({3, 5}, &rng);
  const Tensor bias = RandomTensor({5}, &rng);
  // Bias of the wrong length or rank.
  auto got = Fused(a, b, {RandomTensor({4}, &rng)}, {"BiasAdd"}).Run1();
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << got.status();
  EXPECT_NE(got.status().message().find("5 columns"), std::string::npos) << got.status();
  got = Fused(a, b, {RandomTensor({1, 5}, &rng)}, {"BiasAdd"}).Run1();
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << got.status();
  // Inner dimensions that differ, and a non-matrix.
  got = Fused(a, RandomTensor({4, 5}, &rng), {bias}, {"BiasAdd"}).Run1();
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << got.status();
  EXPECT_NE(got.status().message().find("size-incompatible"), std::string::npos) << got.status();
  got = Fused(RandomTensor({2, 2, 3}, &rng), b, {bias}, {"BiasAdd"}).Run1();
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << got.status();
  // Lists the kernel does not fuse, named in the error.
  got = Fused(a, b, {bias}, {"BiasAdd", "GeluExact"}).Run1();
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kUnimplemented) << got.status();
  EXPECT_NE(got.status().message().find("[BiasAdd, GeluExact]"), std::string::npos)
      << got.status();
  got = Fused(a, b, {bias}, {"Relu"}).Run1();
  EXPECT_EQ(got.status().code(), StatusCode::kUnimplemented) << got.status();
  got = Fused(a, b, {bias}, {}).Run1();
  EXPECT_EQ(got.status().code(), StatusCode::kUnimplemented) << got.status();
  // BiasAdd takes one arg.
  testing::ExpectError(Fused(a, b, {bias, bias}, {"BiasAdd"}).Run1(), "take 1 arg");
}

}  // namespace
}  // namespace savedmodel::kernels
