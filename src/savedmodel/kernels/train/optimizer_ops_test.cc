// Optimizer steps on a 2-element variable, several steps each, against values
// worked out by hand (first steps) and in double precision with TensorFlow's
// formulas (later steps, gradients change every step).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "savedmodel/exec/session.h"
#include "savedmodel/graph/graph.h"
#include "savedmodel/kernels/testing/kernel_test_helpers.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace savedmodel {
namespace {

using testing::ExpectError;
using testing::ExpectNear;
using testing::V_;

using Feeds = std::vector<std::pair<std::string, Tensor>>;

// Builds a graph of variables, placeholders and one optimizer op.
class TrainGraph {
 public:
  explicit TrainGraph(DataType dtype) : dtype_(dtype) {}

  tensorflow::NodeDef* Add(const std::string& name, const std::string& op,
                           const std::vector<std::string>& inputs) {
    auto* n = def_.add_node();
    n->set_name(name);
    n->set_op(op);
    for (const auto& in : inputs) n->add_input(in);
    return n;
  }
  void SetType(tensorflow::NodeDef* n, const std::string& attr) {
    (*n->mutable_attr())[attr].set_type(static_cast<tensorflow::DataType>(dtype_));
  }
  // A float/double placeholder.
  void Placeholder(const std::string& name) { SetType(Add(name, "Placeholder", {}), "dtype"); }

  // A [2] ref variable `name` and its initializer `name/init` fed by `name/value`.
  void RefVariable(const std::string& name, bool initialize = true) {
    auto* v = Add(name, "VariableV2", {});
    SetType(v, "dtype");
    (*v->mutable_attr())["shape"].mutable_shape()->add_dim()->set_size(2);
    if (!initialize) return;
    Placeholder(name + "/value");
    SetType(Add(name + "/init", "Assign", {name, name + "/value"}), "T");
    inits_.push_back(name + "/init");
  }
  // A [2] resource variable `name`, its initializer and a `name/read`.
  void ResourceVariable(const std::string& name) {
    auto* v = Add(name, "VarHandleOp", {});
    SetType(v, "dtype");
    (*v->mutable_attr())["shape"].mutable_shape()->add_dim()->set_size(2);
    (*v->mutable_attr())["shared_name"].set_s(name);
    Placeholder(name + "/value");
    SetType(Add(name + "/init", "AssignVariableOp", {name, name + "/value"}), "dtype");
    SetType(Add(name + "/read", "ReadVariableOp", {name}), "dtype");
    inits_.push_back(name + "/init");
  }

  Status Start(const Feeds& values) {
    ASSIGN_OR_RETURN(std::unique_ptr<Graph> g, Graph::Import(def_));
    ASSIGN_OR_RETURN(session_, Session::Create(std::move(g)));
    return session_->Run(values, {}, inits_).status();
  }
  StatusOr<std::vector<Tensor>> Run(const Feeds& feeds, const std::vector<std::string>& fetches,
                                    const std::vector<std::string>& targets = {}) {
    return session_->Run(feeds, fetches, targets);
  }

 private:
  DataType dtype_;
  tensorflow::GraphDef def_;
  std::vector<std::string> inits_;
  std::unique_ptr<Session> session_;
};

template <typename T>
Tensor Vec2(double a, double b) {
  return V_<T>({static_cast<T>(a), static_cast<T>(b)});
}
template <typename T>
Tensor Scalar(double x) {
  return Tensor::Scalar<T>(static_cast<T>(x));
}
template <typename T>
double Tol() {
  return std::is_same_v<T, float> ? 2e-6 : 1e-12;
}

template <typename T>
class OptimizerTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(OptimizerTest, FloatTypes);

TYPED_TEST(OptimizerTest, GradientDescent) {
  using T = TypeParam;
  TrainGraph g(DataTypeOf<T>::value);
  g.RefVariable("var");
  g.Placeholder("alpha");
  g.Placeholder("delta");
  auto* op = g.Add("step", "ApplyGradientDescent", {"var", "alpha", "delta"});
  g.SetType(op, "T");
  (*op->mutable_attr())["use_locking"].set_b(true);
  ASSERT_TRUE(g.Start({{"var/value", Vec2<T>(1, 2)}}).ok());
  // var -= 0.5 * [0.2, -0.4] each step: [0.9, 2.2], [0.8, 2.4], [0.7, 2.6].
  const double want[3][2] = {{0.9, 2.2}, {0.8, 2.4}, {0.7, 2.6}};
  for (const auto& w : want) {
    auto out = g.Run({{"alpha", Scalar<T>(0.5)}, {"delta", Vec2<T>(0.2, -0.4)}}, {"step:0"});
    ASSERT_TRUE(out.ok()) << out.status();
    ExpectNear<T>((*out)[0], {T(w[0]), T(w[1])}, {2}, Tol<T>());
  }
  // The variable itself holds the last value.
  ExpectNear<T>((*g.Run({}, {"var:0"}))[0], {T(0.7), T(2.6)}, {2}, Tol<T>());

  ExpectError(g.Run({{"alpha", Vec2<T>(1, 1)}, {"delta", Vec2<T>(0, 0)}}, {"step:0"}), "alpha is not a scalar");
  ExpectError(g.Run({{"alpha", Scalar<T>(1)}, {"delta", V_<T>({1, 2, 3})}}, {"step:0"}),
              "var and delta do not have the same shape");
}

TYPED_TEST(OptimizerTest, Momentum) {
  using T = TypeParam;
  for (bool nesterov : {false, true}) {
    TrainGraph g(DataTypeOf<T>::value);
    g.RefVariable("var");
    g.RefVariable("accum");
    g.Placeholder("lr");
    g.Placeholder("grad");
    g.Placeholder("momentum");
    auto* op = g.Add("step", "ApplyMomentum", {"var", "accum", "lr", "grad", "momentum"});
    g.SetType(op, "T");
    (*op->mutable_attr())["use_nesterov"].set_b(nesterov);
    ASSERT_TRUE(g.Start({{"var/value", Vec2<T>(1, -2)}, {"accum/value", Vec2<T>(0, 0)}}).ok());
    // lr 0.1, momentum 0.9. By hand, step 1: accum = g = [0.5, -1];
    //   plain:    var = [1 - 0.1*0.5, -2 + 0.1*1] = [0.95, -1.9]
    //   nesterov: var -= g*lr + accum*momentum*lr = [1 - 0.05 - 0.045, ...] = [0.905, -1.81]
    // step 2: accum = [0.45 - 0.2, -0.9 + 0.4] = [0.25, -0.5]; plain var = [0.925, -1.85].
    const double grads[3][2] = {{0.5, -1.0}, {-0.2, 0.4}, {1.5, 0.1}};
    const double plain[3][2] = {{0.95, -1.9}, {0.925, -1.85}, {0.7525, -1.815}};
    const double nest[3][2] = {{0.905, -1.81}, {0.9025, -1.805}, {0.59725, -1.7835}};
    const double accum[3][2] = {{0.5, -1.0}, {0.25, -0.5}, {1.725, -0.35}};
    for (int s = 0; s < 3; ++s) {
      auto out = g.Run({{"lr", Scalar<T>(0.1)}, {"momentum", Scalar<T>(0.9)},
                        {"grad", Vec2<T>(grads[s][0], grads[s][1])}},
                       {"step:0"});
      ASSERT_TRUE(out.ok()) << out.status();
      const auto& w = nesterov ? nest[s] : plain[s];
      ExpectNear<T>((*out)[0], {T(w[0]), T(w[1])}, {2}, Tol<T>());
      ExpectNear<T>((*g.Run({}, {"accum:0"}))[0], {T(accum[s][0]), T(accum[s][1])}, {2}, Tol<T>());
    }
  }
}

// lr 0.1, beta1 0.9, beta2 0.999, epsilon 1e-8; beta powers fed as 0.9^t, 0.999^t.
constexpr double kAdamGrads[3][2] = {{0.5, -1.0}, {-0.2, 0.4}, {1.5, 0.1}};
constexpr double kAdamM[3][2] = {{0.05, -0.1}, {0.025, -0.05}, {0.1725, -0.035}};
constexpr double kAdamV[3][2] = {{0.00025, 0.001}, {0.00028975, 0.001159}, {0.00253946025, 0.001167841}};
// Step 1 by hand: m/sqrt(v) = 0.1g/(sqrt(0.001)|g|) and lr_t = 0.1*sqrt(0.001)/0.1, so
// var moves by lr * sign(g) (less epsilon's share): [0.9, -1.9].
constexpr double kAdamVar[3][2] = {{0.9000000632455132, -1.9000000316227665},
                                   {0.8654394987576699, -1.8654394569832184},
                                   {0.7962894554140768, -1.8447499466948862}};
constexpr double kAdamNesterovVar[3][2] = {{0.8100001201664752, -1.8100000600832566},
                                           {0.8065440637176908, -1.8065440026193018},
                                           {0.6841785522357674, -1.793834732013612}};

template <typename T>
Feeds AdamFeeds(int step) {
  double b1p = 1, b2p = 1;
  for (int i = 0; i <= step; ++i) b1p *= 0.9, b2p *= 0.999;
  return {{"beta1_power", Scalar<T>(b1p)}, {"beta2_power", Scalar<T>(b2p)},
          {"lr", Scalar<T>(0.1)},          {"beta1", Scalar<T>(0.9)},
          {"beta2", Scalar<T>(0.999)},     {"epsilon", Scalar<T>(1e-8)},
          {"grad", Vec2<T>(kAdamGrads[step][0], kAdamGrads[step][1])}};
}
const std::vector<std::string> kAdamScalars = {"beta1_power", "beta2_power", "lr",  "beta1",
                                               "beta2",       "epsilon",     "grad"};

TYPED_TEST(OptimizerTest, Adam) {
  using T = TypeParam;
  for (bool nesterov : {false, true}) {
    TrainGraph g(DataTypeOf<T>::value);
    for (const char* v : {"var", "m", "v"}) g.RefVariable(v);
    for (const auto& name : kAdamScalars) g.Placeholder(name);
    std::vector<std::string> inputs = {"var", "m", "v"};
    inputs.insert(inputs.end(), kAdamScalars.begin(), kAdamScalars.end());
    auto* op = g.Add("step", "ApplyAdam", inputs);
    g.SetType(op, "T");
    (*op->mutable_attr())["use_nesterov"].set_b(nesterov);
    ASSERT_TRUE(g.Start({{"var/value", Vec2<T>(1, -2)}, {"m/value", Vec2<T>(0, 0)},
                         {"v/value", Vec2<T>(0, 0)}})
                    .ok());
    for (int s = 0; s < 3; ++s) {
      auto out = g.Run(AdamFeeds<T>(s), {"step:0"});
      ASSERT_TRUE(out.ok()) << out.status();
      const auto& w = nesterov ? kAdamNesterovVar[s] : kAdamVar[s];
      ExpectNear<T>((*out)[0], {T(w[0]), T(w[1])}, {2}, Tol<T>());
      auto slots = g.Run({}, {"m:0", "v:0"});
      ASSERT_TRUE(slots.ok()) << slots.status();
      ExpectNear<T>((*slots)[0], {T(kAdamM[s][0]), T(kAdamM[s][1])}, {2}, Tol<T>());
      ExpectNear<T>((*slots)[1], {T(kAdamV[s][0]), T(kAdamV[s][1])}, {2}, Tol<T>());
    }
  }
}

TEST(OptimizerErrorsTest, UninitializedSlotFailsAndLeavesVarAlone) {
  TrainGraph g(DT_FLOAT);
  g.RefVariable("var");
  g.RefVariable("accum", /*initialize=*/false);
  for (const char* p : {"lr", "grad", "momentum"}) g.Placeholder(p);
  g.SetType(g.Add("step", "ApplyMomentum", {"var", "accum", "lr", "grad", "momentum"}), "T");
  ASSERT_TRUE(g.Start({{"var/value", V_<float>({1, 2})}}).ok());
  auto out = g.Run({{"lr", Tensor::Scalar<float>(0.1f)},
                    {"grad", V_<float>({1, 1})},
                    {"momentum", Tensor::Scalar<float>(0.9f)}},
                   {"step:0"});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kFailedPrecondition) << out.status();
  EXPECT_NE(out.status().message().find("accum"), std::string::npos) << out.status();
  ExpectNear<float>((*g.Run({}, {"var:0"}))[0], {1, 2}, {2});
}

TEST(OptimizerErrorsTest, IntegerTypeFailsWhenPlanned) {
  TrainGraph g(DT_INT32);
  g.RefVariable("var");
  g.Placeholder("alpha");
  g.Placeholder("delta");
  g.SetType(g.Add("step", "ApplyGradientDescent", {"var", "alpha", "delta"}), "T");
  ASSERT_TRUE(g.Start({{"var/value", V_<int32_t>({1, 2})}}).ok());
  ExpectError(g.Run({{"alpha", Tensor::Scalar<int32_t>(1)}, {"delta", V_<int32_t>({1, 1})}}, {"step:0"}),
              "int32");
}

// The Resource* ops share the math; these check the plumbing through handles.
TYPED_TEST(OptimizerTest, ResourceGradientDescentAndMomentum) {
  using T = TypeParam;
  TrainGraph g(DataTypeOf<T>::value);
  g.ResourceVariable("var");
  g.ResourceVariable("accum");
  for (const char* p : {"alpha", "delta", "lr", "grad", "momentum"}) g.Placeholder(p);
  g.SetType(g.Add("sgd", "ResourceApplyGradientDescent", {"var", "alpha", "delta"}), "T");
  auto* mom = g.Add("mom", "ResourceApplyMomentum", {"var", "accum", "lr", "grad", "momentum"});
  g.SetType(mom, "T");
  (*mom->mutable_attr())["use_nesterov"].set_b(true);
  ASSERT_TRUE(g.Start({{"var/value", Vec2<T>(1, 2)}, {"accum/value", Vec2<T>(0, 0)}}).ok());

  auto r = g.Run({{"alpha", Scalar<T>(0.5)}, {"delta", Vec2<T>(0.2, -0.4)}}, {}, {"sgd"});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectNear<T>((*g.Run({}, {"var/read:0"}))[0], {T(0.9), T(2.2)}, {2}, Tol<T>());
  // Nesterov momentum from var [0.9, 2.2], g [1, -2], lr 0.1, momentum 0.9:
  // accum = g; var -= g*0.1 + g*0.09 = [0.9 - 0.19, 2.2 + 0.38].
  ASSERT_TRUE(g.Run({{"lr", Scalar<T>(0.1)}, {"momentum", Scalar<T>(0.9)}, {"grad", Vec2<T>(1, -2)}}, {},
                    {"mom"})
                  .ok());
  ExpectNear<T>((*g.Run({}, {"var/read:0"}))[0], {T(0.71), T(2.58)}, {2}, Tol<T>());
  ExpectNear<T>((*g.Run({}, {"accum/read:0"}))[0], {T(1), T(-2)}, {2}, Tol<T>());
}

TYPED_TEST(OptimizerTest, ResourceAdam) {
  using T = TypeParam;
  TrainGraph g(DataTypeOf<T>::value);
  for (const char* v : {"var", "m", "v"}) g.ResourceVariable(v);
  for (const auto& name : kAdamScalars) g.Placeholder(name);
  std::vector<std::string> inputs = {"var", "m", "v"};
  inputs.insert(inputs.end(), kAdamScalars.begin(), kAdamScalars.end());
  g.SetType(g.Add("step", "ResourceApplyAdam", inputs), "T");
  ASSERT_TRUE(g.Start({{"var/value", Vec2<T>(1, -2)}, {"m/value", Vec2<T>(0, 0)}, {"v/value", Vec2<T>(0, 0)}})
                  .ok());
  for (int s = 0; s < 3; ++s) {
    auto r = g.Run(AdamFeeds<T>(s), {}, {"step"});
      ASSERT_TRUE(r.ok()) << r.status();
    auto out = g.Run({}, {"var/read:0", "m/read:0", "v/read:0"});
    ASSERT_TRUE(out.ok()) << out.status();
    ExpectNear<T>((*out)[0], {T(kAdamVar[s][0]), T(kAdamVar[s][1])}, {2}, Tol<T>());
    ExpectNear<T>((*out)[1], {T(kAdamM[s][0]), T(kAdamM[s][1])}, {2}, Tol<T>());
    ExpectNear<T>((*out)[2], {T(kAdamV[s][0]), T(kAdamV[s][1])}, {2}, Tol<T>());
  }
}

}  // namespace
}  // namespace savedmodel
