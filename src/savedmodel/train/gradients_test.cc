// Every registered gradient is checked against central differences of the
// forward graph, on doubles, with broadcasting cases where the op broadcasts.
// The ops a check covers are read from the graph it built, so the completeness
// test below needs no hand-kept list.
#include "savedmodel/train/gradients.h"

#include <cmath>
#include <functional>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "savedmodel/exec/session.h"
#include "savedmodel/train/ops.h"

namespace savedmodel::train {
namespace {

using BuildFn = std::function<Output(GraphBuilder&, const std::vector<Output>&)>;

// Op types whose gradient function some passing check went through.
std::set<std::string>& CheckedOps() {
  static std::set<std::string> ops;
  return ops;
}

Tensor Random(const TensorShape& shape, uint32_t seed, double lo = -1, double hi = 1) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  Tensor t(DT_DOUBLE, shape);
  for (double& v : t.flat<double>()) v = d(gen);
  return t;
}

// loss = sum(f(inputs) * w) for a fixed random w, so every output element matters.
void CheckGradient(const std::string& what, const BuildFn& f, std::vector<Tensor> inputs,
                   std::vector<bool> differentiable = {}) {
  SCOPED_TRACE(what);
  GraphBuilder b;
  std::vector<Output> xs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    xs.push_back(Placeholder(b, inputs[i].dtype(), {}, "x" + std::to_string(i)));
  }
  const int first_node = b.graph_def().node_size();
  Output y = f(b, xs);
  ASSERT_TRUE(b.status().ok()) << b.status();
  std::set<std::string> ops;
  for (int i = first_node; i < b.graph_def().node_size(); ++i) {
    if (HasGradientFunction(b.graph_def().node(i).op())) ops.insert(b.graph_def().node(i).op());
  }
  const bool failed_before = ::testing::Test::HasFailure();
  Output w = Placeholder(b, DT_DOUBLE, {}, "w");
  Output loss = ReduceSum(b, Mul(b, y, w), {}, false, "loss");
  std::vector<Output> grads = AddGradients(b, loss, xs);
  ASSERT_TRUE(b.status().ok()) << b.status();
  auto graph = Graph::Import(b.graph_def());
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto session = Session::Create(std::move(graph).value());
  ASSERT_TRUE(session.ok());

  auto feeds = [&](const std::vector<Tensor>& in, const Tensor& wt) {
    std::vector<std::pair<std::string, Tensor>> fs;
    for (size_t i = 0; i < in.size(); ++i) fs.push_back({xs[i].name(), in[i]});
    fs.push_back({"w:0", wt});
    return fs;
  };
  // Shape of y, to make w.
  auto y_val = (*session)->Run(feeds(inputs, Tensor::Scalar<double>(1)), {y.name()});
  ASSERT_TRUE(y_val.ok()) << y_val.status();
  Tensor wt = Random((*y_val)[0].shape(), 99);

  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!differentiable.empty() && !differentiable[i]) continue;
    ASSERT_TRUE(grads[i].valid()) << "no gradient for input " << i;
    auto g = (*session)->Run(feeds(inputs, wt), {grads[i].name()});
    ASSERT_TRUE(g.ok()) << g.status();
    const Tensor& analytic = (*g)[0];
    ASSERT_EQ(analytic.shape(), inputs[i].shape());
    for (int64_t k = 0; k < inputs[i].num_elements(); ++k) {
      const double h = 1e-6;
      std::vector<Tensor> plus = inputs, minus = inputs;
      plus[i] = inputs[i].DeepCopy();
      minus[i] = inputs[i].DeepCopy();
      plus[i].flat<double>()[k] += h;
      minus[i].flat<double>()[k] -= h;
      auto lp = (*session)->Run(feeds(plus, wt), {loss.name()});
      auto lm = (*session)->Run(feeds(minus, wt), {loss.name()});
      ASSERT_TRUE(lp.ok() && lm.ok());
      double numeric = ((*lp)[0].scalar<double>() - (*lm)[0].scalar<double>()) / (2 * h);
      EXPECT_NEAR(analytic.flat<double>()[k], numeric, 1e-5 * std::max(1.0, std::fabs(numeric)))
          << "input " << i << " element " << k;
    }
  }
  if (!failed_before && !::testing::Test::HasFailure()) CheckedOps().insert(ops.begin(), ops.end());
}

void CheckBinaryOpsWithBroadcasting() {
  for (const char* op : {"AddV2", "Add", "Sub", "Mul", "RealDiv"}) {
    CheckGradient(op, [&](GraphBuilder& b, const std::vector<Output>& x) { return b.Op(op, {x[0], x[1]}); },
                  {Random({2, 3}, 1), Random({3}, 2, 0.5, 2)});
    CheckGradient(std::string(op) + " [2,1]x[1,3]",
                  [&](GraphBuilder& b, const std::vector<Output>& x) { return b.Op(op, {x[0], x[1]}); },
                  {Random({2, 1}, 3), Random({1, 3}, 4, 0.5, 2)});
  }
}

void CheckUnaryOps() {
  for (const char* op : {"Neg", "Exp", "Square", "Sigmoid", "Tanh", "Identity", "Relu"}) {
    CheckGradient(op, [&](GraphBuilder& b, const std::vector<Output>& x) { return b.Op(op, {x[0]}); },
                  {Random({2, 3}, 5)});
  }
  for (const char* op : {"Log", "Sqrt"}) {
    CheckGradient(op, [&](GraphBuilder& b, const std::vector<Output>& x) { return b.Op(op, {x[0]}); },
                  {Random({4}, 6, 0.5, 2)});
  }
}

void CheckMatMulAllTransposes() {
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      CheckGradient("MatMul", [&](GraphBuilder& b, const std::vector<Output>& x) {
        return MatMul(b, x[0], x[1], ta, tb);
      }, {Random(ta ? TensorShape{3, 2} : TensorShape{2, 3}, 7), Random(tb ? TensorShape{4, 3} : TensorShape{3, 4}, 8)});
    }
  }
}

void CheckReductions() {
  CheckGradient("Sum all", [](GraphBuilder& b, const std::vector<Output>& x) { return ReduceSum(b, x[0]); },
                {Random({2, 3}, 9)});
  CheckGradient("Sum axis 1", [](GraphBuilder& b, const std::vector<Output>& x) { return ReduceSum(b, x[0], {1}); },
                {Random({2, 3, 2}, 10)});
  CheckGradient("Sum axis -1 keep", [](GraphBuilder& b, const std::vector<Output>& x) {
    return ReduceSum(b, x[0], {-1}, true);
  }, {Random({2, 3}, 11)});
  CheckGradient("Mean axes 0,2", [](GraphBuilder& b, const std::vector<Output>& x) {
    return ReduceMean(b, x[0], {0, 2});
  }, {Random({2, 3, 2}, 12)});
  CheckGradient("Mean all", [](GraphBuilder& b, const std::vector<Output>& x) { return ReduceMean(b, x[0]); },
                {Random({3, 2}, 13)});
}

void CheckSoftmaxFamilyAndLosses() {
  CheckGradient("Softmax", [](GraphBuilder& b, const std::vector<Output>& x) { return Softmax(b, x[0]); },
                {Random({2, 4}, 14)});
  CheckGradient("LogSoftmax", [](GraphBuilder& b, const std::vector<Output>& x) { return LogSoftmax(b, x[0]); },
                {Random({2, 4}, 15)});
  Tensor labels = Tensor::FromVector<double>({0, 1, 0, 0, 0, 0, 0.5, 0.5}, TensorShape{2, 4});
  CheckGradient("SoftmaxCrossEntropyWithLogits", [](GraphBuilder& b, const std::vector<Output>& x) {
    return b.AddOp("SoftmaxCrossEntropyWithLogits", {x[0], x[1]})[0];
  }, {Random({2, 4}, 16), labels}, {true, false});
  CheckGradient("SparseSoftmaxCrossEntropyWithLogits", [](GraphBuilder& b, const std::vector<Output>& x) {
    Output l = Const(b, Tensor::FromVector<int64_t>({3, 0}));
    return b.AddOp("SparseSoftmaxCrossEntropyWithLogits", {x[0], l})[0];
  }, {Random({2, 4}, 17)});
}

void CheckAddNCastStopGradient() {
  CheckGradient("AddN", [](GraphBuilder& b, const std::vector<Output>& x) {
    return b.Op("AddN", {std::vector<Output>{x[0], x[1], x[0]}});
  }, {Random({2, 2}, 24), Random({2, 2}, 25)});
  CheckGradient("Cast", [](GraphBuilder& b, const std::vector<Output>& x) { return Cast(b, x[0], DT_DOUBLE); },
                {Random({3}, 26)});
  // StopGradient blocks the path: d/dx (x + stop(x)) = 1.
  CheckGradient("StopGradient", [](GraphBuilder& b, const std::vector<Output>& x) {
    return Add(b, x[0], Mul(b, b.Op("StopGradient", {x[0]}), Const(b, Tensor::Scalar<double>(0))));
  }, {Random({3}, 27)});
}

void CheckBiasAddReshapeAndTutorialLoss() {
  CheckGradient("BiasAdd", [](GraphBuilder& b, const std::vector<Output>& x) { return BiasAdd(b, x[0], x[1]); },
                {Random({2, 3}, 18), Random({3}, 19)});
  CheckGradient("Reshape", [](GraphBuilder& b, const std::vector<Output>& x) { return Reshape(b, x[0], {3, 2}); },
                {Random({2, 3}, 20)});
  // The tutorial's -reduce_sum(y_ * log(softmax(xW + b))) averaged over the batch.
  CheckGradient("tutorial", [](GraphBuilder& b, const std::vector<Output>& x) {
    Output y = Softmax(b, Add(b, MatMul(b, x[0], x[1]), x[2]));
    Output labels = Const(b, Tensor::FromVector<double>({1, 0, 0, 0, 0, 1}, TensorShape{2, 3}));
    return ReduceMean(b, Neg(b, ReduceSum(b, Mul(b, labels, Log(b, y)), {1})));
  }, {Random({2, 4}, 21), Random({4, 3}, 22), Random({3}, 23)});
}


// The completeness test runs every group itself, so its verdict does not hang
// on a test filter or on the order tests run in.
const std::vector<std::pair<std::string, void (*)()>> kCheckGroups = {
    {"BinaryOpsWithBroadcasting", &CheckBinaryOpsWithBroadcasting},
    {"UnaryOps", &CheckUnaryOps},
    {"MatMulAllTransposes", &CheckMatMulAllTransposes},
    {"Reductions", &CheckReductions},
    {"SoftmaxFamilyAndLosses", &CheckSoftmaxFamilyAndLosses},
    {"AddNCastStopGradient", &CheckAddNCastStopGradient},
    {"BiasAddReshapeAndTutorialLoss", &CheckBiasAddReshapeAndTutorialLoss},
};

TEST(GradientsTest, BinaryOpsWithBroadcasting) { CheckBinaryOpsWithBroadcasting(); }
TEST(GradientsTest, UnaryOps) { CheckUnaryOps(); }
TEST(GradientsTest, MatMulAllTransposes) { CheckMatMulAllTransposes(); }
TEST(GradientsTest, Reductions) { CheckReductions(); }
TEST(GradientsTest, SoftmaxFamilyAndLosses) { CheckSoftmaxFamilyAndLosses(); }
TEST(GradientsTest, AddNCastStopGradient) { CheckAddNCastStopGradient(); }
TEST(GradientsTest, BiasAddReshapeAndTutorialLoss) { CheckBiasAddReshapeAndTutorialLoss(); }

// A gradient function that no passing check above goes through fails this test.
TEST(GradientsTest, EveryRegisteredGradientIsChecked) {
  for (const auto& [name, run] : kCheckGroups) {
    SCOPED_TRACE(name);
    run();
  }
  ASSERT_FALSE(HasFailure());
  int functions = 0;
  for (const std::string& op : GradientOps()) {
    if (!HasGradientFunction(op)) continue;
    ++functions;
    EXPECT_TRUE(CheckedOps().count(op)) << op << " has no numeric check";
  }
  EXPECT_GT(functions, 0);
}

TEST(GradientsTest, MissingGradientIsAClearError) {
  GraphBuilder b;
  Output x = Placeholder(b, DT_FLOAT, {}, "x");
  Output y = b.Op("Floor", {x});
  Output z = b.Op("Cos", {y});
  AddGradients(b, ReduceSum(b, z), {x});
  ASSERT_FALSE(b.status().ok());
  EXPECT_NE(b.status().message().find("'Cos'"), std::string::npos) << b.status();
}

}  // namespace
}  // namespace savedmodel::train
