// Seeded random ops reproduce TensorFlow's Philox streams. The broad check
// against TensorFlow itself (every dtype, many shapes and seeds) is in the
// Python reference suite; the constants below were printed by TensorFlow 2.21
// (tf.raw_ops.<Op>(shape=..., dtype=..., seed=..., seed2=...) run twice in one
// tf.compat.v1.Session) so the first and second Run of a node stay pinned
// without TensorFlow installed.
#include <cstring>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "savedmodel/base/philox.h"
#include "savedmodel/exec/session.h"
#include "savedmodel/graph/graph.h"
#include "savedmodel/kernels/testing/kernel_test_helpers.h"
#include "savedmodel/train/graph_builder.h"
#include "savedmodel/train/ops.h"

namespace savedmodel {
namespace {

using testing::OpTest;
using testing::V_;

// A session holding one random node "r" with a constant shape, so the node
// can run several times with its state kept between Runs.
std::unique_ptr<Session> RandomSession(const std::string& op, DataType dtype, std::vector<int64_t> shape,
                                       int64_t seed, int64_t seed2) {
  train::GraphBuilder b;
  train::Output s = train::Const(b, Tensor::FromVector<int64_t>(shape), "shape");
  b.Op(op, {s}, {{"dtype", train::AttrType(dtype)}, {"seed", train::AttrInt(seed)}, {"seed2", train::AttrInt(seed2)}},
       "r");
  EXPECT_TRUE(b.status().ok()) << b.status();
  auto graph = Graph::Import(b.graph_def());
  EXPECT_TRUE(graph.ok()) << graph.status();
  auto session = Session::Create(std::move(graph).value());
  EXPECT_TRUE(session.ok()) << session.status();
  return std::move(session).value();
}

Tensor RunOnce(Session& s) {
  auto out = s.Run({}, {"r:0"});
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? (*out)[0] : Tensor();
}

// The tensor's elements as raw bit patterns, for exact comparison.
template <typename Bits>
std::vector<Bits> BitsOf(const Tensor& t) {
  std::vector<Bits> v(t.num_elements());
  if (!v.empty()) std::memcpy(v.data(), t.raw_data(), v.size() * sizeof(Bits));
  return v;
}

struct PinnedCase {
  const char* op;
  DataType dtype;
  int64_t n, seed, seed2;
  std::vector<uint64_t> run1, run2;  // TensorFlow 2.21's output bits
};

TEST(RandomOpsTest, FirstAndSecondRunAreTensorFlows) {
  const std::vector<PinnedCase> cases = {
      {"RandomUniform", DT_FLOAT, 6, 1, 2,
       {0x3ed0133c, 0x3f5b8ba6, 0x3d62e6c0, 0x3dafddd0, 0x3ed305cc, 0x3d160a40},
       {0x3effb890, 0x3d80b5f0, 0x3eeb8dc0, 0x3e4fab00, 0x3db583d0, 0x3f78fc54}},
      {"RandomStandardNormal", DT_DOUBLE, 3, 7, 0,
       {0xc0029c57edcc53ae, 0xbff4519bc4b1b85d, 0xbfd9b29e2f7790b5},
       {0x3ff493e1635285b5, 0xbfe7c0e5689dbb3b, 0xbfde54b3b769965e}},
      {"TruncatedNormal", DT_FLOAT, 5, 0, 42,
       {0x3f8524f5, 0xbf8b04a0, 0x3e875120, 0x3ebe17b0, 0x3e31a9fe},
       {0xbff9a27e, 0xbe868eef, 0xbf1f2c26, 0xbf82b63b, 0x3f204169}},
      {"RandomUniform", DT_HALF, 5, 3, 3,
       {0x357c, 0x38a0, 0x29a0, 0x381a, 0x38de},
       {0x356c, 0x39e0, 0x3be4, 0x2280, 0x37e0}},
  };
  for (const PinnedCase& c : cases) {
    SCOPED_TRACE(std::string(c.op) + " " + DataTypeString(c.dtype));
    auto s = RandomSession(c.op, c.dtype, {c.n}, c.seed, c.seed2);
    for (const auto* want : {&c.run1, &c.run2}) {
      Tensor t = RunOnce(*s);
      ASSERT_EQ(t.num_elements(), c.n);
      std::vector<uint64_t> got;
      switch (DataTypeSize(c.dtype)) {
        case 8: for (uint64_t v : BitsOf<uint64_t>(t)) got.push_back(v); break;
        case 4: for (uint32_t v : BitsOf<uint32_t>(t)) got.push_back(v); break;
        default: for (uint16_t v : BitsOf<uint16_t>(t)) got.push_back(v); break;
      }
      EXPECT_EQ(got, *want);
    }
  }
}

// Each output group has its own place in the stream, so element i does not
// depend on the tensor's size, and a large (multi-threaded) fill agrees with
// small ones; shapes only reshape the flat stream.
TEST(RandomOpsTest, ElementsDoNotDependOnSizeOrThreads) {
  for (const char* op : {"RandomUniform", "RandomStandardNormal", "TruncatedNormal"}) {
    for (DataType dt : {DT_FLOAT, DT_DOUBLE, DT_HALF, DT_BFLOAT16}) {
      SCOPED_TRACE(std::string(op) + " " + DataTypeString(dt));
      Tensor big = RunOnce(*RandomSession(op, dt, {300001}, 5, 6));
      Tensor small = RunOnce(*RandomSession(op, dt, {7}, 5, 6));
      Tensor shaped = RunOnce(*RandomSession(op, dt, {3, 1, 3}, 5, 6));
      const size_t w = DataTypeSize(dt);
      ASSERT_EQ(big.num_elements(), 300001);
      EXPECT_EQ(std::memcmp(big.raw_data(), small.raw_data(), 7 * w), 0);
      EXPECT_EQ(std::memcmp(big.raw_data(), shaped.raw_data(), 9 * w), 0);
      EXPECT_EQ(shaped.shape(), (TensorShape{3, 1, 3}));
    }
  }
}

TEST(RandomOpsTest, RangesAndTruncation) {
  Tensor u = RunOnce(*RandomSession("RandomUniform", DT_DOUBLE, {10000}, 1, 1));
  for (double v : u.flat<double>()) {
    ASSERT_GE(v, 0.0);
    ASSERT_LT(v, 1.0);
  }
  Tensor t = RunOnce(*RandomSession("TruncatedNormal", DT_FLOAT, {10000}, 1, 1));
  double sum = 0;
  for (float v : t.flat<float>()) {
    ASSERT_LT(std::fabs(v), 2.0f);
    sum += v;
  }
  EXPECT_NEAR(sum / 10000, 0.0, 0.05);
}

// Concurrent Runs of one node each take a distinct stretch of the stream: the
// outputs are exactly the sequential runs' outputs, in some order.
TEST(RandomOpsTest, ConcurrentRunsTakeDistinctStretches) {
  constexpr int kThreads = 4, kRunsPerThread = 8;
  auto sequential = RandomSession("RandomStandardNormal", DT_FLOAT, {64}, 9, 9);
  std::map<std::vector<uint32_t>, int> want;
  for (int i = 0; i < kThreads * kRunsPerThread; ++i) ++want[BitsOf<uint32_t>(RunOnce(*sequential))];

  auto shared = RandomSession("RandomStandardNormal", DT_FLOAT, {64}, 9, 9);
  std::vector<std::vector<std::vector<uint32_t>>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRunsPerThread; ++i) got[t].push_back(BitsOf<uint32_t>(RunOnce(*shared)));
    });
  }
  for (auto& th : threads) th.join();
  std::map<std::vector<uint32_t>, int> seen;
  for (const auto& per_thread : got) {
    for (const auto& v : per_thread) ++seen[v];
  }
  EXPECT_EQ(seen, want);
}

TEST(RandomOpsTest, ZeroSeedsGiveDifferentStreamsPerNode) {
  Tensor a = RunOnce(*RandomSession("RandomUniform", DT_FLOAT, {16}, 0, 0));
  Tensor b = RunOnce(*RandomSession("RandomUniform", DT_FLOAT, {16}, 0, 0));
  EXPECT_NE(BitsOf<uint32_t>(a), BitsOf<uint32_t>(b));
}

TEST(RandomOpsTest, BadShapesAreErrors) {
  auto neg = OpTest("RandomUniform").Input(V_<int32_t>({2, -1})).Attr("dtype", DT_FLOAT).Run1();
  testing::ExpectError(neg, "-1");
  auto huge = OpTest("TruncatedNormal")
                  .Input(V_<int64_t>({int64_t{1} << 40, int64_t{1} << 40}))
                  .Attr("dtype", DT_DOUBLE)
                  .Run1();
  ASSERT_FALSE(huge.ok());
  auto matrix = OpTest("RandomStandardNormal").Input(Tensor::FromVector<int32_t>({1, 2}, TensorShape{1, 2}))
                    .Attr("dtype", DT_FLOAT)
                    .Run1();
  testing::ExpectError(matrix, "vector");
  auto empty = OpTest("RandomUniform").Input(V_<int32_t>({3, 0})).Attr("dtype", DT_FLOAT).Run1();
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->num_elements(), 0);
  auto scalar =
      OpTest("RandomUniform").Input(Tensor::FromVector<int32_t>({}, TensorShape{0})).Attr("dtype", DT_FLOAT).Run1();
  ASSERT_TRUE(scalar.ok()) << scalar.status();
  EXPECT_EQ(scalar->rank(), 0);
  EXPECT_FALSE(OpTest("RandomUniform").Input(V_<int32_t>({2})).Attr("dtype", DT_INT32).Run1().ok());
}

// Philox4x32-10's published known-answer vectors (Random123's kat_vectors):
// counter and key all zero, and all ones.
TEST(PhiloxTest, KnownAnswers) {
  Philox zero(0, 0);
  EXPECT_EQ(zero(), (Philox::Block{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  // Counter words 2, 3 come from the second seed, words 0, 1 start at zero;
  // skipping 2^64 - 1 blocks sets them to all ones.
  Philox ones(~uint64_t{0}, ~uint64_t{0});
  ones.Skip(~uint64_t{0});
  EXPECT_EQ(ones(), (Philox::Block{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
}

}  // namespace
}  // namespace savedmodel
