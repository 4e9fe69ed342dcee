// Graph passes and the memory plan, through Session: each rewritten plan must
// give what the same graph gives run as written (RewriterConfig::AllOff()),
// and the plan must show the rewrite happened.
#include "savedmodel/exec/graph_passes.h"

#include <cmath>
#include <cstdio>
#include <random>

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "savedmodel/base/memory_budget.h"
#include "savedmodel/exec/saved_model_bundle.h"
#include "savedmodel/exec/session.h"
#include "savedmodel/graph/function_inline.h"
#include "savedmodel/format/tensor_proto.h"
#include "test_util.h"

namespace savedmodel {
namespace {

using Steps = std::vector<std::pair<std::string, std::string>>;

tensorflow::GraphDef Parse(const std::string& text) {
  tensorflow::GraphDef def;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &def)) << text;
  return def;
}

std::unique_ptr<Session> MakeSession(const tensorflow::GraphDef& def, bool passes, int inter = 1) {
  auto graph = Graph::Import(def);
  EXPECT_TRUE(graph.ok()) << graph.status();
  SessionOptions opts;
  opts.intra_op_threads = 1;
  opts.inter_op_threads = inter;
  opts.force_parallel_executor = inter != 1;
  if (!passes) opts.rewriter_config = RewriterConfig::AllOff();
  auto s = Session::Create(std::move(graph).value(), opts);
  EXPECT_TRUE(s.ok()) << s.status();
  return std::move(s).value();
}

std::string FloatPlaceholder(const std::string& name) {
  return "node { name: '" + name + "' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } }\n";
}

std::string Unary(const std::string& name, const std::string& op, const std::string& in,
                  const std::string& extra = "") {
  return "node { name: '" + name + "' op: '" + op + "' input: '" + in + "' " + extra +
         " attr { key: 'T' value { type: DT_FLOAT } } }\n";
}

std::string Binary(const std::string& name, const std::string& op, const std::string& a, const std::string& b,
                   const std::string& type = "DT_FLOAT") {
  return "node { name: '" + name + "' op: '" + op + "' input: '" + a + "' input: '" + b +
         "' attr { key: 'T' value { type: " + type + " } } }\n";
}

// A float Const of `shape` holding `values`.
std::string FloatConst(const std::string& name, const std::vector<int64_t>& shape,
                       const std::vector<float>& values) {
  std::string text = "node { name: '" + name + "' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } } "
                     "attr { key: 'value' value { tensor { dtype: DT_FLOAT tensor_shape {";
  for (int64_t d : shape) text += " dim { size: " + std::to_string(d) + " }";
  text += " }";
  for (float v : values) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    text += std::string(" float_val: ") + buf;
  }
  return text + " } } } }\n";
}

std::string IntConst(const std::string& name, const std::vector<int32_t>& values, bool vector = true) {
  std::string text = "node { name: '" + name + "' op: 'Const' attr { key: 'dtype' value { type: DT_INT32 } } "
                     "attr { key: 'value' value { tensor { dtype: DT_INT32 tensor_shape {";
  if (vector) text += " dim { size: " + std::to_string(values.size()) + " }";
  text += " }";
  for (int32_t v : values) text += " int_val: " + std::to_string(v);
  return text + " } } } }\n";
}

Tensor RandomFloats(const TensorShape& shape, uint32_t seed) {
  Tensor t(DT_FLOAT, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  for (float& v : t.flat<float>()) v = dist(rng);
  return t;
}

void ExpectClose(const Tensor& got, const Tensor& want, float tol) {
  ASSERT_EQ(got.shape(), want.shape());
  auto g = got.flat<float>();
  auto w = want.flat<float>();
  for (size_t i = 0; i < g.size(); ++i) {
    ASSERT_NEAR(g[i], w[i], tol * (1 + std::fabs(w[i]))) << "element " << i;
  }
}

// ---- memory plan ---------------------------------------------------------------

// x -> Neg -> Neg -> ... (`length` of them): each intermediate is as large as x.
std::string NegChain(const std::string& prefix, const std::string& from, int length) {
  std::string text;
  std::string in = from;
  for (int i = 0; i < length; ++i) {
    std::string name = prefix + std::to_string(i);
    text += Unary(name, "Neg", in);
    in = name;
  }
  return text;
}

constexpr int64_t kElems = 1 << 18;  // 1 MiB of floats
constexpr size_t kBytes = kElems * sizeof(float);

TEST(MemoryPlanTest, ChainRunsWithinTheBytesOfTwoLiveValues) {
  // All ten intermediates alive at once would need 10 MiB; released after
  // their last reader, no more than an input and an output are.
  auto session = MakeSession(Parse(FloatPlaceholder("x") + NegChain("n", "x", 10)), true);
  Tensor x = RandomFloats(TensorShape{kElems}, 1);
  auto budget = std::make_shared<MemoryBudget>(3 * kBytes, "test budget");
  {
    ScopedAllocationScope scope({false, budget});
    auto r = session->Run({{"x", x}}, {"n9"});
    ASSERT_TRUE(r.ok()) << r.status();
    ExpectClose((*r)[0], x, 0);  // ten negations
  }
  EXPECT_LE(budget->peak(), 2 * kBytes);
  EXPECT_GE(budget->peak(), kBytes);
}

TEST(MemoryPlanTest, ChainRunsWithinMaxBytesPerRun) {
  auto graph = Graph::Import(Parse(FloatPlaceholder("x") + NegChain("n", "x", 10)));
  ASSERT_TRUE(graph.ok()) << graph.status();
  SessionOptions opts;
  opts.max_bytes_per_run = 3 * kBytes;  // a third of what keeping all ten would take
  auto session = Session::Create(std::move(graph).value(), opts);
  ASSERT_TRUE(session.ok()) << session.status();
  Tensor x = RandomFloats(TensorShape{kElems}, 9);
  auto r = (*session)->Run({{"x", x}}, {"n9"});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectClose((*r)[0], x, 0);
}

TEST(MemoryPlanTest, FetchedIntermediatesStayAndOneTooLargeTensorStillFails) {
  auto session = MakeSession(Parse(FloatPlaceholder("x") + NegChain("n", "x", 6)), true);
  Tensor x = RandomFloats(TensorShape{kElems}, 2);
  {
    auto budget = std::make_shared<MemoryBudget>(4 * kBytes, "test budget");
    ScopedAllocationScope scope({false, budget});
    auto r = session->Run({{"x", x}}, {"n1", "n5", "n3"});
    ASSERT_TRUE(r.ok()) << r.status();
    ExpectClose((*r)[0], x, 0);
    ExpectClose((*r)[1], x, 0);
    ExpectClose((*r)[2], x, 0);
  }
  auto small = std::make_shared<MemoryBudget>(kBytes / 2, "test budget");
  ScopedAllocationScope scope({false, small});
  auto r = session->Run({{"x", x}}, {"n5"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("node 'n0'"), std::string::npos) << r.status();
}

TEST(MemoryPlanTest, ParallelExecutorReleasesToo) {
  // Two chains of 10 joined by an Add: 21 MiB if everything stayed.
  std::string text = FloatPlaceholder("x") + NegChain("a", "x", 10) + NegChain("b", "x", 10) +
                     Binary("sum", "AddV2", "a9", "b9");
  auto session = MakeSession(Parse(text), true, /*inter=*/2);
  Tensor x = RandomFloats(TensorShape{kElems}, 3);
  for (int i = 0; i < 10; ++i) {
    auto budget = std::make_shared<MemoryBudget>(6 * kBytes, "test budget");
    ScopedAllocationScope scope({false, budget});
    auto r = session->Run({{"x", x}}, {"sum"});
    ASSERT_TRUE(r.ok()) << r.status();
    auto got = (*r)[0].flat<float>();
    auto in = x.flat<float>();
    for (int64_t j = 0; j < kElems; j += 997) ASSERT_EQ(got[j], in[j] + in[j]);
    EXPECT_LE(budget->peak(), 5 * kBytes);
  }
}

// ---- identity forwarding -----------------------------------------------------

TEST(IdentityForwardingTest, ConsumersReadThroughAndFetchedIdentitiesStay) {
  std::string text = FloatPlaceholder("x") + Unary("i1", "Identity", "x") + Unary("i2", "Identity", "i1") +
                     Unary("n", "Neg", "i2") + Unary("stop", "StopGradient", "n") +
                     // Ordered after `n` by a control edge, which `out` inherits.
                     Unary("late", "Identity", "x", "input: '^n'") + Binary("out", "AddV2", "stop", "late");
  auto def = Parse(text);
  auto on = MakeSession(def, true);
  auto off = MakeSession(def, false);
  auto steps = on->PlannedSteps({"x"}, {"out"});
  ASSERT_TRUE(steps.ok()) << steps.status();
  EXPECT_EQ(*steps, (Steps{{"n", "Neg"}, {"out", "AddV2"}}));
  auto all = off->PlannedSteps({"x"}, {"out"});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 6u);

  Tensor x = RandomFloats(TensorShape{3, 5}, 4);
  auto a = on->Run({{"x", x}}, {"out", "i2"});
  auto b = off->Run({{"x", x}}, {"out", "i2"});
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  ExpectClose((*a)[0], (*b)[0], 0);
  ExpectClose((*a)[1], x, 0);  // a fetched Identity still answers
  // -x + x is zero everywhere.
  for (float v : (*a)[0].flat<float>()) EXPECT_EQ(v, 0.f);
}

// Each Run assigns the fed value to a variable, then reads it through an
// Identity of the handle ordered after the assignment. Forwarded, the read
// must still wait for the assignment, on the parallel executor too (sixteen
// independent Negs make the plan wide enough for it).
TEST(IdentityForwardingTest, ReadersKeepTheForwardedIdentitysControlEdges) {
  std::string text =
      "node { name: 'x' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } "
      "attr { key: 'shape' value { shape { } } } }\n"
      "node { name: 'v' op: 'VarHandleOp' attr { key: 'dtype' value { type: DT_FLOAT } } "
      "attr { key: 'shape' value { shape { } } } }\n"
      "node { name: 'assign' op: 'AssignVariableOp' input: 'v' input: 'x' "
      "attr { key: 'dtype' value { type: DT_FLOAT } } }\n"
      "node { name: 'h' op: 'Identity' input: 'v' input: '^assign' attr { key: 'T' value { type: DT_RESOURCE } } }\n"
      "node { name: 'read' op: 'ReadVariableOp' input: 'h' attr { key: 'dtype' value { type: DT_FLOAT } } }\n";
  std::vector<std::string> targets;
  for (int i = 0; i < 16; ++i) {
    text += Unary("pad" + std::to_string(i), "Neg", "x");
    targets.push_back("pad" + std::to_string(i));
  }
  auto session = MakeSession(Parse(text), true, /*inter=*/2);
  auto steps = session->PlannedSteps({"x"}, {"read"}, targets);
  ASSERT_TRUE(steps.ok()) << steps.status();
  for (const auto& step : *steps) EXPECT_NE(step.first, "h");
  for (int i = 0; i < 200; ++i) {
    auto r = session->Run({{"x", Tensor::Scalar<float>(static_cast<float>(i))}}, {"read"}, targets);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ((*r)[0].scalar<float>(), static_cast<float>(i));
  }
}

// ---- constant folding ----------------------------------------------------------

TEST(ConstantFoldingTest, ConstantSubgraphsAreEvaluatedOnce) {
  std::string text = FloatPlaceholder("x") + FloatConst("c1", {3}, {1, 2, 3}) + FloatConst("c2", {}, {10}) +
                     Binary("sum", "AddV2", "c1", "c2") + Unary("neg", "Neg", "sum") +
                     Unary("ci", "Identity", "neg") + Binary("out", "Mul", "x", "ci");
  auto def = Parse(text);
  auto on = MakeSession(def, true);
  auto off = MakeSession(def, false);
  auto steps = on->PlannedSteps({"x"}, {"out"});
  ASSERT_TRUE(steps.ok()) << steps.status();
  EXPECT_EQ(*steps, (Steps{{"out", "Mul"}}));
  Tensor x = Tensor::FromVector<float>({1, 2, 3}, TensorShape{3});
  for (int i = 0; i < 3; ++i) {  // constants are copied into every Run, not consumed
    auto a = on->Run({{"x", x}}, {"out"});
    auto b = off->Run({{"x", x}}, {"out"});
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(b.ok()) << b.status();
    ExpectClose((*a)[0], (*b)[0], 0);
    ExpectClose((*a)[0], Tensor::FromVector<float>({-11, -24, -39}, TensorShape{3}), 0);
  }
  // Fetching a foldable node by name leaves it to run (its Const inputs fold).
  auto fetched = on->PlannedSteps({"x"}, {"out", "sum"});
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(*fetched, (Steps{{"sum", "AddV2"}, {"neg", "Neg"}, {"out", "Mul"}}));
}

// A Run flushes denormals to zero (as TensorFlow does); folding must too:
// 1e-30 * 1e-10 underflows to a denormal, which a Run's Mul writes as zero.
// Reshape, which does no arithmetic, would pass a denormal through.
TEST(ConstantFoldingTest, FoldedValuesFlushDenormalsLikeARun) {
  std::string text = FloatConst("a", {}, {1e-30f}) + FloatConst("b", {}, {1e-10f}) +
                     Binary("tiny", "Mul", "a", "b") + IntConst("shape", {1}) +
                     "node { name: 'out' op: 'Reshape' input: 'tiny' input: 'shape' "
                     "attr { key: 'T' value { type: DT_FLOAT } } }\n";
  auto def = Parse(text);
  auto on = MakeSession(def, true);
  auto off = MakeSession(def, false);
  auto steps = on->PlannedSteps({}, {"out"});
  ASSERT_TRUE(steps.ok()) << steps.status();
  EXPECT_EQ(*steps, (Steps{{"out", "Reshape"}}));
  auto a = on->Run({}, {"out"});
  auto b = off->Run({}, {"out"});
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*b)[0].flat<float>()[0], 0.f);
  EXPECT_EQ((*a)[0].flat<float>()[0], 0.f);
}

TEST(ConstantFoldingTest, LargeExpansionsStatefulOpsAndErrorsAreLeftToTheRun) {
  std::string text =
      // A 4 GB Fill from 12 bytes of inputs: never materialized at load.
      IntConst("dims", {1 << 20, 1 << 10}) + FloatConst("zero", {}, {0}) +
      "node { name: 'fill' op: 'Fill' input: 'dims' input: 'zero' attr { key: 'T' value { type: DT_FLOAT } } "
      "attr { key: 'index_type' value { type: DT_INT32 } } }\n" +
      // Random: stateful, runs each time.
      IntConst("shape", {4}) +
      "node { name: 'rand' op: 'RandomUniform' input: 'shape' attr { key: 'T' value { type: DT_INT32 } } "
      "attr { key: 'dtype' value { type: DT_FLOAT } } }\n" +
      // Division by zero at fold time: not fatal; the Run reports it.
      IntConst("one", {1}, false) + IntConst("nil", {0}, false) + Binary("div", "FloorDiv", "one", "nil", "DT_INT32");
  auto session = MakeSession(Parse(text), true);
  auto fill = session->PlannedSteps({}, {"fill"});
  ASSERT_TRUE(fill.ok()) << fill.status();
  EXPECT_EQ(fill->back(), (std::pair<std::string, std::string>{"fill", "Fill"}));
  auto rand = session->PlannedSteps({}, {"rand"});
  ASSERT_TRUE(rand.ok()) << rand.status();
  EXPECT_EQ(rand->back(), (std::pair<std::string, std::string>{"rand", "RandomUniform"}));
  auto r1 = session->Run({}, {"rand"});
  auto r2 = session->Run({}, {"rand"});
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_NE((*r1)[0].flat<float>()[0], (*r2)[0].flat<float>()[0]);
  auto div = session->Run({}, {"div"});
  ASSERT_FALSE(div.ok());
  EXPECT_NE(div.status().message().find("division by zero"), std::string::npos) << div.status();
}

// ---- remapping (fusion) --------------------------------------------------------

std::string DenseLayer(const std::string& act) {
  std::string text = FloatPlaceholder("x") + FloatPlaceholder("w") + FloatPlaceholder("b") +
                     "node { name: 'mm' op: 'MatMul' input: 'x' input: 'w' attr { key: 'T' value { type: DT_FLOAT } } "
                     "attr { key: 'transpose_b' value { b: true } } }\n" +
                     Binary("bias", "BiasAdd", "mm", "b");
  if (!act.empty()) {
    text += Unary("act", act, "bias", act == "LeakyRelu" ? "attr { key: 'alpha' value { f: 0.3 } }" : "");
  }
  return text;
}

TEST(RemappingTest, MatMulBiasAddActivationMatchesTheUnfusedGraph) {
  const bool fused_kernel = KernelRegistry::Global().Has("_FusedMatMul");
  Tensor x = RandomFloats(TensorShape{7, 33}, 5);
  Tensor w = RandomFloats(TensorShape{19, 33}, 6);
  Tensor b = RandomFloats(TensorShape{19}, 7);
  for (const std::string act : {"", "Relu", "Relu6", "Elu", "LeakyRelu", "Tanh", "Sigmoid"}) {
    SCOPED_TRACE(act);
    auto def = Parse(DenseLayer(act));
    auto on = MakeSession(def, true);
    auto off = MakeSession(def, false);
    const std::string fetch = act.empty() ? "bias" : "act";
    auto steps = on->PlannedSteps({"x", "w", "b"}, {fetch});
    ASSERT_TRUE(steps.ok()) << steps.status();
    if (fused_kernel) {
      // Activations the fused kernel refuses stay separate (still correct).
      EXPECT_EQ(steps->front(), (std::pair<std::string, std::string>{
                                    act.empty() || steps->size() > 1 ? "bias" : "act", "_FusedMatMul"}));
    }
    auto a = on->Run({{"x", x}, {"w", w}, {"b", b}}, {fetch});
    auto want = off->Run({{"x", x}, {"w", w}, {"b", b}}, {fetch});
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(want.ok()) << want.status();
    ExpectClose((*a)[0], (*want)[0], 1e-5f);
  }
}

TEST(RemappingTest, FetchedIntermediatesAreNotFusedAway) {
  auto session = MakeSession(Parse(DenseLayer("Relu")), true);
  auto steps = session->PlannedSteps({"x", "w", "b"}, {"act", "mm"});
  ASSERT_TRUE(steps.ok()) << steps.status();
  // mm is fetched: it must run as itself, so nothing fuses into it.
  EXPECT_EQ(steps->front(), (std::pair<std::string, std::string>{"mm", "MatMul"}));
  Tensor x = RandomFloats(TensorShape{2, 4}, 8);
  Tensor w = RandomFloats(TensorShape{3, 4}, 9);
  Tensor b = RandomFloats(TensorShape{3}, 10);
  auto r = session->Run({{"x", x}, {"w", w}, {"b", b}}, {"act", "mm"});
  ASSERT_TRUE(r.ok()) << r.status();
  // Relu(x w^T + b), computed here.
  auto mm = (*r)[1].flat<float>();
  auto act = (*r)[0].flat<float>();
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      float dot = 0;
      for (int k = 0; k < 4; ++k) dot += x.flat<float>()[i * 4 + k] * w.flat<float>()[j * 4 + k];
      EXPECT_NEAR(mm[i * 3 + j], dot, 1e-5);
      EXPECT_NEAR(act[i * 3 + j], std::max(0.f, dot + b.flat<float>()[j]), 1e-5);
    }
  }
}

TEST(RemappingTest, Conv2DBiasAddReluMatchesTheUnfusedGraph) {
  std::string text = FloatPlaceholder("x") + FloatPlaceholder("f") + FloatPlaceholder("b") +
                     "node { name: 'conv' op: 'Conv2D' input: 'x' input: 'f' "
                     "attr { key: 'T' value { type: DT_FLOAT } } "
                     "attr { key: 'strides' value { list { i: 1 i: 1 i: 1 i: 1 } } } "
                     "attr { key: 'padding' value { s: 'SAME' } } }\n" +
                     Binary("bias", "BiasAdd", "conv", "b") + Unary("act", "Relu", "bias");
  auto def = Parse(text);
  auto on = MakeSession(def, true);
  auto off = MakeSession(def, false);
  auto steps = on->PlannedSteps({"x", "f", "b"}, {"act"});
  ASSERT_TRUE(steps.ok()) << steps.status();
  if (KernelRegistry::Global().Has("_FusedConv2D")) {
    EXPECT_EQ(*steps, (Steps{{"act", "_FusedConv2D"}}));
  }
  Tensor x = RandomFloats(TensorShape{2, 6, 5, 3}, 11);
  Tensor f = RandomFloats(TensorShape{3, 3, 3, 4}, 12);
  Tensor b = RandomFloats(TensorShape{4}, 13);
  auto a = on->Run({{"x", x}, {"f", f}, {"b", b}}, {"act"});
  auto want = off->Run({{"x", x}, {"f", f}, {"b", b}}, {"act"});
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(want.ok()) << want.status();
  ExpectClose((*a)[0], (*want)[0], 1e-5f);
}

// ---- batch-norm folding --------------------------------------------------------

// x -> Conv2D(filter) [-> BiasAdd(bias)] -> FusedBatchNormV3 [-> Relu], the
// filter, bias and batch-norm vectors Consts of `c` output channels.
std::string ConvBatchNorm(int64_t in_c, int64_t c, bool with_bias, bool relu, bool training = false,
                          bool params_fed = false, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f), pos(0.5f, 2.f);
  auto values = [&](int64_t n, bool positive) {
    std::vector<float> v(n);
    for (float& x : v) x = positive ? pos(rng) : u(rng);
    return v;
  };
  std::string text = FloatPlaceholder("x") +
                     FloatConst("filter", {3, 3, in_c, c}, values(9 * in_c * c, false)) +
                     "node { name: 'conv' op: 'Conv2D' input: 'x' input: 'filter' "
                     "attr { key: 'T' value { type: DT_FLOAT } } "
                     "attr { key: 'strides' value { list { i: 1 i: 1 i: 1 i: 1 } } } "
                     "attr { key: 'padding' value { s: 'SAME' } } }\n";
  std::string in = "conv";
  if (with_bias) {
    text += FloatConst("bias", {c}, values(c, false)) + Binary("biased", "BiasAdd", "conv", "bias");
    in = "biased";
  }
  for (const char* name : {"scale", "offset", "mean", "var"}) {
    const bool positive = std::string(name) == "var" || std::string(name) == "scale";
    text += params_fed ? FloatPlaceholder(name) : FloatConst(name, {c}, values(c, positive));
  }
  text += "node { name: 'bn' op: 'FusedBatchNormV3' input: '" + in +
          "' input: 'scale' input: 'offset' input: 'mean' input: 'var' "
          "attr { key: 'T' value { type: DT_FLOAT } } attr { key: 'U' value { type: DT_FLOAT } } "
          "attr { key: 'epsilon' value { f: 0.001 } } "
          "attr { key: 'is_training' value { b: " + std::string(training ? "true" : "false") + " } } }\n";
  text += relu ? Unary("act", "Relu", "bn") : Unary("out", "Identity", "bn");
  return text;
}

TEST(BatchNormFoldingTest, ConstantConvBatchNormFoldsAndMatchesTheGraphAsWritten) {
  Tensor x = RandomFloats(TensorShape{2, 7, 6, 3}, 21);
  for (bool with_bias : {false, true}) {
    for (bool relu : {false, true}) {
      SCOPED_TRACE(std::string(with_bias ? "bias " : "") + (relu ? "relu" : ""));
      auto def = Parse(ConvBatchNorm(3, 5, with_bias, relu));
      auto on = MakeSession(def, true);
      auto off = MakeSession(def, false);
      // A fetched batch norm would keep its other outputs: fetch past it.
      const std::string fetch = relu ? "act" : "out";
      auto steps = on->PlannedSteps({"x"}, {fetch});
      ASSERT_TRUE(steps.ok()) << steps.status();
      if (KernelRegistry::Global().Has("_FusedConv2D")) {
        const Steps want = relu ? Steps{{"act", "_FusedConv2D"}}
                                : Steps{{"bn", "_FusedConv2D"}, {"out", "Identity"}};
        EXPECT_EQ(*steps, want);
      } else {
        for (const auto& step : *steps) EXPECT_NE(step.second, "FusedBatchNormV3") << step.first;
      }
      auto a = on->Run({{"x", x}}, {fetch});
      auto want = off->Run({{"x", x}}, {fetch});
      ASSERT_TRUE(a.ok()) << a.status();
      ASSERT_TRUE(want.ok()) << want.status();
      ExpectClose((*a)[0], (*want)[0], 1e-5f);
    }
  }
}

// One pixel, a 1x1 filter, two channels, values whose arithmetic is exact:
// channel k: y = ((x * f_k + b_k) - mean_k) * scale_k / sqrt(var_k + eps) + offset_k.
TEST(BatchNormFoldingTest, HandComputedValues) {
  const std::string text =
      FloatPlaceholder("x") + FloatConst("filter", {1, 1, 1, 2}, {3.f, -0.5f}) +
      "node { name: 'conv' op: 'Conv2D' input: 'x' input: 'filter' "
      "attr { key: 'T' value { type: DT_FLOAT } } "
      "attr { key: 'strides' value { list { i: 1 i: 1 i: 1 i: 1 } } } "
      "attr { key: 'padding' value { s: 'VALID' } } }\n" +
      FloatConst("bias", {2}, {1.f, 2.f}) + Binary("biased", "BiasAdd", "conv", "bias") +
      FloatConst("scale", {2}, {2.f, 0.5f}) + FloatConst("offset", {2}, {0.5f, -1.f}) +
      FloatConst("mean", {2}, {4.f, 1.f}) + FloatConst("var", {2}, {3.f, 15.f}) +
      "node { name: 'bn' op: 'FusedBatchNormV3' input: 'biased' input: 'scale' input: 'offset' "
      "input: 'mean' input: 'var' attr { key: 'T' value { type: DT_FLOAT } } "
      "attr { key: 'U' value { type: DT_FLOAT } } attr { key: 'epsilon' value { f: 1 } } "
      "attr { key: 'is_training' value { b: false } } }\n" + Unary("out", "Identity", "bn");
  auto session = MakeSession(Parse(text), true);
  auto steps = session->PlannedSteps({"x"}, {"out"});
  ASSERT_TRUE(steps.ok()) << steps.status();
  for (const auto& [name, op] : *steps) EXPECT_NE(op, "FusedBatchNormV3") << name;
  auto r = session->Run({{"x", Tensor::FromVector(std::vector<float>{2.f}, TensorShape{1, 1, 1, 1})}}, {"out"});
  ASSERT_TRUE(r.ok()) << r.status();
  // Channel 0: (2 * 3 + 1 - 4) * 2 / sqrt(4) + 0.5 = 3.5.
  // Channel 1: (2 * -0.5 + 2 - 1) * 0.5 / sqrt(16) - 1 = -1.
  EXPECT_FLOAT_EQ((*r)[0].flat<float>()[0], 3.5f);
  EXPECT_FLOAT_EQ((*r)[0].flat<float>()[1], -1.f);
}

TEST(BatchNormFoldingTest, TrainingFedParametersAndFetchedStatisticsAreNotFolded) {
  Tensor x = RandomFloats(TensorShape{1, 4, 4, 2}, 22);
  // Training mode (batch statistics): never folded, so it fails as written
  // (the kernel has no training mode) rather than running as inference.
  {
    auto def = Parse(ConvBatchNorm(2, 3, false, true, /*training=*/true));
    auto on = MakeSession(def, true);
    auto off = MakeSession(def, false);
    auto a = on->Run({{"x", x}}, {"act"});
    auto want = off->Run({{"x", x}}, {"act"});
    ASSERT_FALSE(want.ok());
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.status().code(), want.status().code());
  }
  // Parameters fed at Run time (as variables are read): not plan-time constants.
  {
    auto def = Parse(ConvBatchNorm(2, 3, true, true, false, /*params_fed=*/true));
    auto on = MakeSession(def, true);
    auto off = MakeSession(def, false);
    const std::vector<std::string> feeds = {"x", "scale", "offset", "mean", "var"};
    auto steps = on->PlannedSteps(feeds, {"act"});
    ASSERT_TRUE(steps.ok()) << steps.status();
    bool bn = false;
    for (const auto& step : *steps) bn = bn || step.second == "FusedBatchNormV3";
    EXPECT_TRUE(bn);
    const Tensor v = Tensor::FromVector(std::vector<float>{1.5f, 0.7f, 2.f}, TensorShape{3});
    std::vector<std::pair<std::string, Tensor>> in = {{"x", x}, {"scale", v}, {"offset", v}, {"mean", v}, {"var", v}};
    auto a = on->Run(in, {"act"});
    auto want = off->Run(in, {"act"});
    ASSERT_TRUE(a.ok() && want.ok());
    ExpectClose((*a)[0], (*want)[0], 1e-6f);
  }
  // The batch mean is fetched: its slot is not free, and the node must run as itself.
  {
    auto session = MakeSession(Parse(ConvBatchNorm(2, 3, false, false)), true);
    auto steps = session->PlannedSteps({"x"}, {"bn", "bn:1"});
    ASSERT_TRUE(steps.ok()) << steps.status();
    bool bn = false;
    for (const auto& step : *steps) bn = bn || step == std::pair<std::string, std::string>{"bn", "FusedBatchNormV3"};
    EXPECT_TRUE(bn);
    auto r = session->Run({{"x", x}}, {"bn", "bn:1"});
    ASSERT_TRUE(r.ok()) << r.status();
  }
}

// A real network frozen (its variable reads turned into Consts): the LExCI policy of cppflow's example, 13
// Conv2D -> BiasAdd -> FusedBatchNormV3 -> Relu blocks saved by TF 2.8. Every
// batch norm folds into its convolution and the outputs stay within 1e-5
// relative of the graph run as written. (The SavedModel itself reads its
// weights from variables, which are not folded: see graph_passes.cc.)
TEST(BatchNormFoldingTest, FrozenCorpusConvNetFoldsEveryBatchNormAndKeepsItsOutputs) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "corpus/cppflow_lexci_cnn");
  auto bundle = LoadSavedModel(dir.string(), {"serve"});
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  // Frozen here: the loaded graph with its functions inlined, each variable
  // read replaced by a Const of the value the loaded session reads.
  tensorflow::GraphDef frozen = (*bundle)->meta_graph_def().graph_def();
  ASSERT_TRUE(InlineFunctionCalls(&frozen).ok());
  int reads = 0;
  for (tensorflow::NodeDef& n : *frozen.mutable_node()) {
    if (n.op() != "ReadVariableOp") continue;
    auto value = (*bundle)->session().Run({}, {n.name() + ":0"});
    ASSERT_TRUE(value.ok()) << n.name() << ": " << value.status();
    tensorflow::NodeDef c;
    c.set_name(n.name());
    c.set_op("Const");
    (*c.mutable_attr())["dtype"].set_type(static_cast<tensorflow::DataType>((*value)[0].dtype()));
    TensorToProto((*value)[0], (*c.mutable_attr())["value"].mutable_tensor(), true);
    n = c;
    ++reads;
  }
  ASSERT_GT(reads, 0);
  const auto& sig = (*bundle)->meta_graph_def().signature_def().at("serving_default");
  const std::string input = sig.inputs().at("input0").name();
  const std::string output = sig.outputs().at("subtract49").name();
  auto on = MakeSession(frozen, true);
  auto off = MakeSession(frozen, false);
  auto count = [&](Session* s, const std::string& op) {
    auto steps = s->PlannedSteps({input}, {output});
    EXPECT_TRUE(steps.ok()) << steps.status();
    int n = 0;
    for (const auto& step : steps.ok() ? *steps : Steps{}) n += step.second == op;
    return n;
  };
  const int batch_norms = count(off.get(), "FusedBatchNormV3");
  EXPECT_GT(batch_norms, 0);
  EXPECT_EQ(count(on.get(), "FusedBatchNormV3"), 0);
  if (KernelRegistry::Global().Has("_FusedConv2D")) {
    EXPECT_GE(count(on.get(), "_FusedConv2D"), batch_norms);
  }
  Tensor x = RandomFloats(TensorShape{2, 12, 10, 1}, 31);
  auto a = on->Run({{input, x}}, {output});
  auto want = off->Run({{input, x}}, {output});
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(want.ok()) << want.status();
  ExpectClose((*a)[0], (*want)[0], 1e-5f);
  // And the SavedModel as loaded (variables, nothing folded) agrees too.
  auto direct = (*bundle)->Predict("serving_default", {{"input0", x}});
  ASSERT_TRUE(direct.ok()) << direct.status();
  ExpectClose((*a)[0], direct->at("subtract49"), 1e-5f);
}

// ---- dead-node removal ---------------------------------------------------------

// IdentityN(n, e) whose second output nobody reads: once the IdentityN is
// forwarded, `e` has no reader and does not run; a stateful op in its place
// still runs.
TEST(DeadNodeRemovalTest, UnreadPureNodesAreDroppedStatefulOnesStay) {
  const std::string text =
      FloatPlaceholder("x") + Unary("n", "Neg", "x") + Unary("e", "Exp", "x") +
      IntConst("shape", {2}) +
      "node { name: 'rand' op: 'RandomUniform' input: 'shape' "
      "attr { key: 'T' value { type: DT_INT32 } } attr { key: 'dtype' value { type: DT_FLOAT } } }\n"
      "node { name: 'idn' op: 'IdentityN' input: 'n' input: 'e' input: 'rand' "
      "attr { key: 'T' value { list { type: DT_FLOAT type: DT_FLOAT type: DT_FLOAT } } } }\n" +
      Unary("out", "Relu", "idn:0");
  auto def = Parse(text);
  auto on = MakeSession(def, true);
  auto off = MakeSession(def, false);
  auto steps = on->PlannedSteps({"x"}, {"out"});
  ASSERT_TRUE(steps.ok()) << steps.status();
  EXPECT_EQ(*steps, (Steps{{"n", "Neg"}, {"rand", "RandomUniform"}, {"out", "Relu"}}));
  auto all = off->PlannedSteps({"x"}, {"out"});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 6u);  // as written: shape, n, e, rand, idn, out
  Tensor x = RandomFloats(TensorShape{4, 3}, 23);
  auto a = on->Run({{"x", x}}, {"out"});
  auto want = off->Run({{"x", x}}, {"out"});
  ASSERT_TRUE(a.ok() && want.ok());
  ExpectClose((*a)[0], (*want)[0], 0);
  // Fetched, it runs.
  auto fetched = on->PlannedSteps({"x"}, {"out", "e"});
  ASSERT_TRUE(fetched.ok());
  bool e = false;
  for (const auto& step : *fetched) e = e || step.first == "e";
  EXPECT_TRUE(e);
}

}  // namespace
}  // namespace savedmodel
