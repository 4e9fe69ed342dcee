// Tensor buffer reuse across Runs (SessionOptions::max_pooled_bytes_per_plan,
// core/buffer_pool.h) and the memory figures of RunMetadata: steady-state Runs
// take nothing from the system allocator, results match a session without
// reuse bit for bit, fetched outputs outlive the session, zero-filled buffers
// stay zero-filled, and the budgets still hold.
#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "savedmodel/core/buffer_pool.h"
#include "savedmodel/exec/session.h"

// Heap allocations of a Run are counted by replacing the global operator new
// of this test binary (never of the library), counting only on a thread that
// asked to and only while it asks. Sanitizer runtimes own operator new (and
// check that delete matches it), so there the count is skipped.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SM_COUNT_HEAP_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define SM_COUNT_HEAP_ALLOCS 0
#endif
#endif
#ifndef SM_COUNT_HEAP_ALLOCS
#define SM_COUNT_HEAP_ALLOCS 1
#endif

namespace {
thread_local bool t_count_heap_allocs = false;
thread_local int64_t t_heap_allocs = 0;
}  // namespace

#if SM_COUNT_HEAP_ALLOCS
void* operator new(size_t n) {
  if (t_count_heap_allocs) ++t_heap_allocs;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, std::align_val_t al) {
  if (t_count_heap_allocs) ++t_heap_allocs;
  const size_t a = static_cast<size_t>(al);
  if (void* p = std::aligned_alloc(a, (std::max<size_t>(n, 1) + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n, std::align_val_t al) { return operator new(n, al); }
#endif

namespace savedmodel {
namespace {

using tensorflow::GraphDef;
using tensorflow::NodeDef;

NodeDef* AddNode(GraphDef* g, const std::string& name, const std::string& op,
                 std::vector<std::string> inputs, DataType t = DT_FLOAT) {
  NodeDef* n = g->add_node();
  n->set_name(name);
  n->set_op(op);
  for (auto& i : inputs) n->add_input(i);
  (*n->mutable_attr())["T"].set_type(static_cast<tensorflow::DataType>(t));
  return n;
}

void AddPlaceholder(GraphDef* g, const std::string& name, DataType t = DT_FLOAT) {
  NodeDef* n = g->add_node();
  n->set_name(name);
  n->set_op("Placeholder");
  (*n->mutable_attr())["dtype"].set_type(static_cast<tensorflow::DataType>(t));
}

template <typename T>
void AddConst(GraphDef* g, const std::string& name, DataType dtype, const std::vector<int64_t>& dims,
              const std::vector<T>& values) {
  NodeDef* n = g->add_node();
  n->set_name(name);
  n->set_op("Const");
  (*n->mutable_attr())["dtype"].set_type(static_cast<tensorflow::DataType>(dtype));
  auto* t = (*n->mutable_attr())["value"].mutable_tensor();
  t->set_dtype(static_cast<tensorflow::DataType>(dtype));
  for (int64_t d : dims) t->mutable_tensor_shape()->add_dim()->set_size(d);
  t->set_tensor_content(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
}

// Deterministic values in [-1, 1).
std::vector<float> Values(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 1664525u + 1013904223u;
    v[i] = static_cast<float>(seed >> 8) / static_cast<float>(1u << 23) - 1.0f;
  }
  return v;
}

void AddMatMul(GraphDef* g, const std::string& name, const std::string& a, const std::string& b) {
  NodeDef* n = AddNode(g, name, "MatMul", {a, b});
  (*n->mutable_attr())["transpose_a"].set_b(false);
  (*n->mutable_attr())["transpose_b"].set_b(false);
}

// x [batch, 64] -> MatMul W1 [64, 128] -> MatMul W2 [128, 128] -> MatMul W3 [128, 10] = y.
GraphDef ChainedMatMuls() {
  GraphDef g;
  AddPlaceholder(&g, "x");
  AddConst<float>(&g, "w1", DT_FLOAT, {64, 128}, Values(64 * 128, 1));
  AddConst<float>(&g, "w2", DT_FLOAT, {128, 128}, Values(128 * 128, 2));
  AddConst<float>(&g, "w3", DT_FLOAT, {128, 10}, Values(128 * 10, 3));
  AddMatMul(&g, "h1", "x", "w1");
  AddMatMul(&g, "h2", "h1", "w2");
  AddMatMul(&g, "y", "h2", "w3");
  return g;
}

// An MLP as Keras builds it: dense + bias + relu twice, dense + bias, softmax.
GraphDef Mlp() {
  GraphDef g;
  AddPlaceholder(&g, "x");
  AddConst<float>(&g, "w1", DT_FLOAT, {64, 96}, Values(64 * 96, 4));
  AddConst<float>(&g, "b1", DT_FLOAT, {96}, Values(96, 5));
  AddConst<float>(&g, "w2", DT_FLOAT, {96, 96}, Values(96 * 96, 6));
  AddConst<float>(&g, "b2", DT_FLOAT, {96}, Values(96, 7));
  AddConst<float>(&g, "w3", DT_FLOAT, {96, 10}, Values(96 * 10, 8));
  AddConst<float>(&g, "b3", DT_FLOAT, {10}, Values(10, 9));
  AddMatMul(&g, "m1", "x", "w1");
  AddNode(&g, "a1", "BiasAdd", {"m1", "b1"});
  AddNode(&g, "r1", "Relu", {"a1"});
  AddMatMul(&g, "m2", "r1", "w2");
  AddNode(&g, "a2", "BiasAdd", {"m2", "b2"});
  AddNode(&g, "r2", "Relu", {"a2"});
  AddMatMul(&g, "m3", "r2", "w3");
  AddNode(&g, "a3", "BiasAdd", {"m3", "b3"});
  AddNode(&g, "y", "Softmax", {"a3"});
  return g;
}

// The MNIST tutorial's model: softmax(x W + b), W [784, 10].
GraphDef TutorialSoftmax() {
  GraphDef g;
  AddPlaceholder(&g, "x");
  AddConst<float>(&g, "W", DT_FLOAT, {784, 10}, Values(784 * 10, 10));
  AddConst<float>(&g, "b", DT_FLOAT, {10}, Values(10, 11));
  AddMatMul(&g, "xw", "x", "W");
  AddNode(&g, "logits", "Add", {"xw", "b"});
  AddNode(&g, "y", "Softmax", {"logits"});
  return g;
}

std::unique_ptr<Session> MakeSession(const GraphDef& g, size_t pooled = size_t{1} << 30,
                                     size_t max_bytes_per_run = kDefaultMaxBytesPerRun) {
  auto graph = Graph::Import(g);
  EXPECT_TRUE(graph.ok()) << graph.status();
  SessionOptions opts;
  opts.max_pooled_bytes_per_plan = pooled;
  opts.max_bytes_per_run = max_bytes_per_run;
  auto s = Session::Create(std::move(graph).value(), opts);
  EXPECT_TRUE(s.ok()) << s.status();
  return std::move(s).value();
}

Tensor Input(int64_t rows, int64_t cols, uint32_t seed) {
  Tensor t(DT_FLOAT, TensorShape{rows, cols});
  std::vector<float> v = Values(static_cast<size_t>(rows * cols), seed);
  std::memcpy(t.raw_data(), v.data(), v.size() * sizeof(float));
  return t;
}

// Runs `g` ten times at each batch size with and without reuse: from the
// third Run of a shape on, nothing comes from the system allocator (the
// process-wide count does not move), and every result is the one the
// session without reuse computes, bit for bit.
void ExpectSteadyStateWithoutAllocations(const GraphDef& g, int64_t features) {
  auto pooled = MakeSession(g);
  auto plain = MakeSession(g, /*pooled=*/0);
  for (int64_t batch : {1, 64}) {
    std::vector<Tensor> held;  // the previous Run's outputs, as a caller keeping them would
    for (int run = 0; run < 10; ++run) {
      const Tensor x = Input(batch, features, static_cast<uint32_t>(100 + run));
      const TensorAllocationCounts before = GetTensorAllocationCounts();
      RunMetadata md;
      auto out = pooled->Run({{"x", x}}, {"y"}, {}, &md);
      const TensorAllocationCounts after = GetTensorAllocationCounts();
      ASSERT_TRUE(out.ok()) << out.status();
      if (run >= 2) {
        EXPECT_EQ(after.system_allocs - before.system_allocs, 0) << "batch " << batch << " run " << run;
        EXPECT_EQ(md.num_allocs, 0) << "batch " << batch << " run " << run;
        EXPECT_GT(md.num_pool_reuses, 0);
      }
      auto want = plain->Run({{"x", x}}, {"y"});
      ASSERT_TRUE(want.ok()) << want.status();
      EXPECT_TRUE((*out)[0].Equals((*want)[0])) << "batch " << batch << " run " << run;
      held = std::move(out).value();
    }
  }
}

TEST(BufferReuseTest, SteadyStateMlpRunsAllocateNothing) {
  ExpectSteadyStateWithoutAllocations(Mlp(), 64);
}

TEST(BufferReuseTest, SteadyStateTutorialSoftmaxRunsAllocateNothing) {
  ExpectSteadyStateWithoutAllocations(TutorialSoftmax(), 784);
}

// What a steady Run of the MLP (batch 1, one thread) still takes from the
// heap, counted on the calling thread. With the graph passes (3 _FusedMatMul,
// Softmax) 22: per Run the result vector and the copies of the fed and the
// fetched tensor's shapes (3); per _FusedMatMul the product's shape, the
// output's copy of it and its buffer's shared_ptr control block, Sgemm's
// epilogue std::function and one allocation inside Sgemm (5 x 3); Softmax
// its input's copy, its output's shape and control block, one more inside
// (4). Without the passes (9 steps) 46.
TEST(BufferReuseTest, SteadyStateRunHeapAllocationsAreBounded) {
  if (!SM_COUNT_HEAP_ALLOCS) GTEST_SKIP() << "operator new belongs to the sanitizer here";
  for (bool passes : {true, false}) {
    const int64_t kMaxHeapAllocsPerRun = passes ? 22 : 46;
    auto graph = Graph::Import(Mlp());
    ASSERT_TRUE(graph.ok()) << graph.status();
    SessionOptions opts;
    opts.intra_op_threads = 1;
    opts.inter_op_threads = 1;
    if (!passes) opts.rewriter_config = RewriterConfig::AllOff();
    auto s = Session::Create(std::move(graph).value(), opts);
    ASSERT_TRUE(s.ok()) << s.status();
    const std::vector<std::pair<std::string, Tensor>> feeds = {{"x", Input(1, 64, 1)}};
    const std::vector<std::string> fetches = {"y"};
    auto want = (*s)->Run(feeds, fetches);
    ASSERT_TRUE(want.ok()) << want.status();
    for (int run = 0; run < 6; ++run) {
      t_heap_allocs = 0;
      t_count_heap_allocs = true;
      auto out = (*s)->Run(feeds, fetches);
      t_count_heap_allocs = false;
      ASSERT_TRUE(out.ok()) << out.status();
      EXPECT_TRUE((*out)[0].Equals((*want)[0]));
      if (run >= 2) {
        EXPECT_LE(t_heap_allocs, kMaxHeapAllocsPerRun) << "graph passes " << passes << ", run " << run;
      }
    }
  }
}

// Plans are found by a hash of the signature's names compared in place: the
// same names in another list or order are another plan.
TEST(BufferReuseTest, SignaturesWithTheSameNamesGetTheirOwnPlans) {
  auto s = MakeSession(ChainedMatMuls());
  const Tensor x = Input(2, 64, 5);
  for (int round = 0; round < 2; ++round) {
    auto h1 = s->Run({{"x", x}}, {"h1"});
    ASSERT_TRUE(h1.ok()) << h1.status();
    auto both = s->Run({{"x", x}}, {"h1", "y"});
    auto swapped = s->Run({{"x", x}}, {"y", "h1"});
    auto from_h1 = s->Run({{"h1", (*h1)[0]}}, {"y"});
    ASSERT_TRUE(both.ok() && swapped.ok() && from_h1.ok());
    ASSERT_EQ(both->size(), 2u);
    ASSERT_EQ(swapped->size(), 2u);
    EXPECT_EQ((*both)[0].shape(), TensorShape({2, 128}));
    EXPECT_EQ((*both)[1].shape(), TensorShape({2, 10}));
    EXPECT_TRUE((*both)[0].Equals((*h1)[0]));
    EXPECT_TRUE((*swapped)[0].Equals((*both)[1]));
    EXPECT_TRUE((*swapped)[1].Equals((*both)[0]));
    EXPECT_TRUE((*from_h1)[0].Equals((*both)[1]));
    // h1 fed as the feed name, fetched as the fetch name: not the x -> h1 plan.
    auto fed_h1 = s->Run({{"h1", (*h1)[0]}}, {"h1"});
    ASSERT_TRUE(fed_h1.ok()) << fed_h1.status();
    EXPECT_TRUE((*fed_h1)[0].Equals((*h1)[0]));
    auto from_h1_steps = s->PlannedSteps({"h1"}, {"y"});  // h2, y
    auto from_x_steps = s->PlannedSteps({"x"}, {"y"});    // h1, h2, y
    ASSERT_TRUE(from_h1_steps.ok() && from_x_steps.ok());
    EXPECT_EQ(from_h1_steps->size(), 2u);
    EXPECT_EQ(from_x_steps->size(), 3u);
  }
}

TEST(BufferReuseTest, WithoutReuseEveryRunAllocates) {
  auto plain = MakeSession(Mlp(), /*pooled=*/0);
  for (int run = 0; run < 3; ++run) {
    RunMetadata md;
    ASSERT_TRUE(plain->Run({{"x", Input(4, 64, 1)}}, {"y"}, {}, &md).ok());
    EXPECT_GT(md.num_allocs, 0);
    EXPECT_EQ(md.num_pool_reuses, 0);
    EXPECT_EQ(md.bytes_reserved, 0u);
  }
}

// Peak memory of a Run against the planned arena, computed by hand for
// x [16, 64] -> h1 [16, 128] -> h2 [16, 128] -> y [16, 10] (float):
// h1 and h2 are 8192 bytes each, y 640; h1 is dropped once h2 is computed,
// so at most h1 + h2 = 16384 bytes are live (h2 + y = 8832 later). The
// weights, held by the plan, are (64 * 128 + 128 * 128 + 128 * 10) * 4 = 103424.
TEST(BufferReuseTest, PeakIsAtMostWeightsPlusPlannedArena) {
  auto s = MakeSession(ChainedMatMuls());
  constexpr size_t kArena = 16384, kWeights = 103424, kOutput = 640;
  for (int run = 0; run < 4; ++run) {
    RunMetadata md;
    auto out = s->Run({{"x", Input(16, 64, 7)}}, {"y"}, {}, &md);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(md.planned_arena_bytes, kArena);
    EXPECT_EQ(md.persistent_bytes, kWeights);
    EXPECT_EQ(md.total_bytes, static_cast<int64_t>(8192 + 8192 + kOutput));
    EXPECT_LE(md.peak_bytes, kArena);
    EXPECT_LE(md.persistent_bytes + md.peak_bytes, kWeights + kArena);
    // The pool holds one buffer per live value of each size: h1 and h2 (the
    // arena) and the fetched y, which the caller still holds.
    EXPECT_LE(md.bytes_reserved, kArena + kOutput);
    // The first Run's idle buffers are freed at its end (a plan may run only
    // once); the second Run's are kept and serve every later one.
    if (run >= 2) EXPECT_EQ(md.num_allocs, 0) << run;
  }
}

// Shrinking layers, x [16, 64] -> [16, 256] -> [16, 128] -> [16, 96] -> y [16, 10]:
// 16384, 8192, 6144 and 640 bytes, at most 16384 + 8192 = 24576 live. The
// third layer takes the first one's freed buffer (16384 for 6144 bytes), so
// the pool holds the arena and y, not a buffer per layer (31360).
TEST(BufferReuseTest, SmallerLayersReuseLargerFreedBuffers) {
  GraphDef g;
  AddPlaceholder(&g, "x");
  AddConst<float>(&g, "w1", DT_FLOAT, {64, 256}, Values(64 * 256, 1));
  AddConst<float>(&g, "w2", DT_FLOAT, {256, 128}, Values(256 * 128, 2));
  AddConst<float>(&g, "w3", DT_FLOAT, {128, 96}, Values(128 * 96, 3));
  AddConst<float>(&g, "w4", DT_FLOAT, {96, 10}, Values(96 * 10, 4));
  AddMatMul(&g, "h1", "x", "w1");
  AddMatMul(&g, "h2", "h1", "w2");
  AddMatMul(&g, "h3", "h2", "w3");
  AddMatMul(&g, "y", "h3", "w4");
  auto s = MakeSession(g);
  auto plain = MakeSession(g, 0);
  for (int run = 0; run < 5; ++run) {
    const Tensor x = Input(16, 64, static_cast<uint32_t>(run));
    RunMetadata md;
    auto out = s->Run({{"x", x}}, {"y"}, {}, &md);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(md.planned_arena_bytes, 24576u);
    EXPECT_LE(md.peak_bytes, 24576u);
    EXPECT_LE(md.bytes_reserved, 24576u + 640u) << run;
    if (run >= 2) EXPECT_EQ(md.num_allocs, 0) << run;
    auto want = plain->Run({{"x", x}}, {"y"});
    ASSERT_TRUE(want.ok());
    EXPECT_TRUE((*out)[0].Equals((*want)[0]));
  }
}

TEST(BufferReuseTest, FetchedOutputsOutliveTheSession) {
  Tensor kept, want;
  {
    auto plain = MakeSession(Mlp(), 0);
    auto w = plain->Run({{"x", Input(8, 64, 3)}}, {"y"});
    ASSERT_TRUE(w.ok());
    want = (*w)[0];
  }
  {
    auto s = MakeSession(Mlp());
    for (int run = 0; run < 3; ++run) {
      auto out = s->Run({{"x", Input(8, 64, 3)}}, {"y"});
      ASSERT_TRUE(out.ok()) << out.status();
      kept = (*out)[0];
    }
  }
  // The session and its pool's owner are gone; the buffer is still ours.
  EXPECT_TRUE(kept.Equals(want));
  Tensor copy = kept;
  kept = Tensor();
  EXPECT_TRUE(copy.Equals(want));
}

// ScatterNd writes only the indexed elements of an output it allocates zero
// filled. Here it runs after Neg's output (the same size) was dropped, so it
// gets that very buffer back, full of -x; the other elements must be zeros.
TEST(BufferReuseTest, ZeroFilledOutputsStayZeroWhenReused) {
  GraphDef g;
  AddPlaceholder(&g, "x");
  AddNode(&g, "neg", "Neg", {"x"});
  AddConst<int32_t>(&g, "axis", DT_INT32, {1}, {0});
  NodeDef* sum = AddNode(&g, "sum", "Sum", {"neg", "axis"});
  (*sum->mutable_attr())["Tidx"].set_type(tensorflow::DT_INT32);
  (*sum->mutable_attr())["keep_dims"].set_b(false);
  AddConst<int32_t>(&g, "indices", DT_INT32, {2, 1}, {1, 5});
  AddConst<float>(&g, "updates", DT_FLOAT, {2}, {10.0f, 20.0f});
  AddConst<int32_t>(&g, "shape", DT_INT32, {1}, {8});
  NodeDef* scatter = AddNode(&g, "scatter", "ScatterNd", {"indices", "updates", "shape", "^sum"});
  (*scatter->mutable_attr())["Tindices"].set_type(tensorflow::DT_INT32);
  auto s = MakeSession(g);
  Tensor x = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6, 7, 8});
  for (int run = 0; run < 3; ++run) {
    RunMetadata md;
    auto out = s->Run({{"x", x}}, {"sum", "scatter"}, {}, &md);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ((*out)[0].scalar<float>(), -36.0f);
    EXPECT_TRUE((*out)[1].Equals(Tensor::FromVector<float>({0, 10, 0, 0, 0, 20, 0, 0})))
        << (*out)[1].DebugString();
    EXPECT_GT(md.num_pool_reuses, 0) << "ScatterNd's output should reuse Neg's buffer";
  }
}

TEST(BufferReuseTest, BudgetStillChargesReusedBuffers) {
  // 16 x 128 floats (8 KiB) per hidden layer: two of them live at once.
  auto s = MakeSession(ChainedMatMuls(), size_t{1} << 30, /*max_bytes_per_run=*/20000);
  ASSERT_TRUE(s->Run({{"x", Input(16, 64, 1)}}, {"y"}).ok());
  ASSERT_TRUE(s->Run({{"x", Input(16, 64, 1)}}, {"y"}).ok());
  // 32 rows need 2 x 16 KiB live: over the budget though the pool has idle buffers.
  auto big = s->Run({{"x", Input(32, 64, 1)}}, {"y"});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted) << big.status();
  EXPECT_TRUE(s->Run({{"x", Input(16, 64, 1)}}, {"y"}).ok());
}

TEST(BufferReuseTest, HugeRequestsAreNotKeptIdle) {
  // Pool capped at 64 KiB: a Run with 1 MiB hidden layers keeps none of them.
  auto s = MakeSession(ChainedMatMuls(), /*pooled=*/64 << 10);
  // (What stays reserved is the fetched y, 2048 x 10 floats, still in use.)
  RunMetadata md;
  ASSERT_TRUE(s->Run({{"x", Input(2048, 64, 1)}}, {"y"}, {}, &md).ok());
  EXPECT_LE(md.bytes_reserved, (size_t{64} << 10) + 2048 * 10 * 4);
  // Under a larger cap a plan's first Run still keeps nothing idle: a plan
  // that runs once (a restore, an init op) must not pin what it used.
  auto t = MakeSession(ChainedMatMuls());
  ASSERT_TRUE(t->Run({{"x", Input(2048, 64, 1)}}, {"y"}, {}, &md).ok());
  EXPECT_LE(md.bytes_reserved, size_t{2048 * 10 * 4});
  // From the second Run on they are kept, but freed once two ordinary Runs
  // went by without taking them.
  ASSERT_TRUE(t->Run({{"x", Input(2048, 64, 1)}}, {"y"}, {}, &md).ok());
  EXPECT_GE(md.bytes_reserved, size_t{2} << 20);
  for (int run = 0; run < 3; ++run) ASSERT_TRUE(t->Run({{"x", Input(4, 64, 1)}}, {"y"}, {}, &md).ok());
  EXPECT_LE(md.bytes_reserved, size_t{16} << 10);
}

// Many threads Run one plan at once; each checks its own results, so a buffer
// handed to one Run while another still read it would show.
TEST(BufferReuseTest, ConcurrentRunsShareThePoolSafely) {
  auto s = MakeSession(Mlp());
  auto plain = MakeSession(Mlp(), 0);
  constexpr int kThreads = 4, kInputs = 3;
  std::vector<Tensor> inputs, wants;
  for (int i = 0; i < kInputs; ++i) {
    inputs.push_back(Input(16, 64, static_cast<uint32_t>(i)));
    auto w = plain->Run({{"x", inputs.back()}}, {"y"});
    ASSERT_TRUE(w.ok());
    wants.push_back((*w)[0]);
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int run = 0; run < 200; ++run) {
        const int i = (t + run) % kInputs;
        auto out = s->Run({{"x", inputs[i]}}, {"y"});
        if (!out.ok() || !(*out)[0].Equals(wants[i])) mismatches.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(BufferPoolTest, ReusedBlocksAreZeroedForZeroFilledTensors) {
  auto pool = BufferPool::Create(1 << 20);
  AllocationCounters counters;
  ScopedBufferPool scope(pool.get(), &counters);
  const void* first;
  {
    Tensor t = Tensor::Uninitialized(DT_FLOAT, TensorShape{100});
    for (float& v : t.flat<float>()) v = 7.0f;
    first = t.raw_data();
  }
  Tensor z(DT_FLOAT, TensorShape{100});
  EXPECT_EQ(z.raw_data(), first);  // the same block came back
  for (float v : z.flat<float>()) ASSERT_EQ(v, 0.0f);
  EXPECT_EQ(counters.system_allocs.load(), 1);
  EXPECT_EQ(counters.pool_reuses.load(), 1);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(z.raw_data()) % kTensorAlignment, 0u);
}

TEST(BufferPoolTest, StringsAndOtherSizesDoNotShareBlocks) {
  auto pool = BufferPool::Create(1 << 20);
  AllocationCounters counters;
  ScopedBufferPool scope(pool.get(), &counters);
  { Tensor a(DT_FLOAT, TensorShape{100}); }
  Tensor b(DT_FLOAT, TensorShape{1000});  // no idle block of this size
  Tensor s(DT_STRING, TensorShape{3});    // strings never come from the pool
  s.flat<std::string>()[0] = "kept";
  EXPECT_EQ(counters.pool_reuses.load(), 0);
  EXPECT_EQ(pool->GetStats().bytes_in_use, 4032u);  // 4000 rounded to 64
  EXPECT_EQ(pool->GetStats().bytes_idle, 448u);     // 400 rounded to 64
}

TEST(BufferPoolTest, BlocksOutliveThePoolOwner) {
  Tensor t;
  {
    auto pool = BufferPool::Create(1 << 20);
    ScopedBufferPool scope(pool.get(), nullptr);
    t = Tensor::FromVector<float>({1, 2, 3});
  }
  EXPECT_TRUE(t.Equals(Tensor::FromVector<float>({1, 2, 3})));
}

TEST(BufferPoolTest, BudgetAndTensorLimitApplyToPooledBuffers) {
  auto pool = BufferPool::Create(1 << 20);
  ScopedBufferPool scope(pool.get(), nullptr);
  auto budget = std::make_shared<MemoryBudget>(1000, "test budget");
  ScopedAllocationScope alloc({/*limit_tensor_bytes=*/true, budget});
  { Tensor a(DT_FLOAT, TensorShape{200}); EXPECT_EQ(budget->used(), 800u); }
  EXPECT_EQ(budget->used(), 0u);  // back in the pool: no longer the budget's
  EXPECT_THROW(Tensor(DT_FLOAT, TensorShape{300}), TensorAllocationError);
  Tensor again(DT_FLOAT, TensorShape{200});  // the idle block, charged again
  EXPECT_EQ(budget->used(), 800u);
}

}  // namespace
}  // namespace savedmodel
