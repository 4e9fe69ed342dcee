// Concurrency under load, for ThreadSanitizer (scripts/test-sanitizers builds
// these with -fsanitize=thread) as much as for the ordinary suite: many
// threads through one Session, the parallel executor and intra-op ParallelFor
// on graphs wide and large enough to use every pool thread, and SavedModels
// loaded and unloaded while others run.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "half_plus_two_model.h"
#include "savedmodel/base/thread_pool.h"
#include "savedmodel/exec/saved_model_bundle.h"
#include "savedmodel/exec/session.h"
#include "savedmodel/graph/graph.h"
#include "savedmodel/train/ops.h"
#include "test_util.h"

namespace savedmodel {
namespace {

using train::GraphBuilder;
using train::Output;

constexpr int kThreads = 8;

// 8 threads x 10,000 Runs of y = 0.5 * x + 2 through one Session, each thread
// with its own inputs, so a value crossing between concurrent Runs shows up.
TEST(ConcurrencyTest, EightThreadsTimesTenThousandRunsThroughOneSession) {
  GraphBuilder b;
  Output x = train::Placeholder(b, DT_FLOAT, {-1}, "x");
  Output y = train::Add(b, train::Mul(b, x, train::Scalar<float>(b, 0.5f)), train::Scalar<float>(b, 2.0f));
  ASSERT_TRUE(b.status().ok()) << b.status();
  auto graph = Graph::Import(b.graph_def());
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto session = Session::Create(std::move(graph).value());
  ASSERT_TRUE(session.ok()) << session.status();

  constexpr int kRuns = 10000;
  std::atomic<int> ok_runs{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRuns; ++i) {
        const float a = static_cast<float>(t), c = static_cast<float>(i);
        auto out = (*session)->Run({{x.name(), Tensor::FromVector<float>({a, c, a + c})}}, {y.name()});
        if (!out.ok()) { wrong.fetch_add(1); continue; }
        auto v = (*out)[0].flat<float>();
        // Halves of small integers plus two are exact in float.
        if (v.size() != 3 || v[0] != 0.5f * a + 2 || v[1] != 0.5f * c + 2 || v[2] != 0.5f * (a + c) + 2)
          wrong.fetch_add(1);
        else
          ok_runs.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(ok_runs.load(), kThreads * kRuns);
}

// ParallelFor over more than kMinParallelWork items per thread splits across
// the pool: the chunks run on at least two distinct threads (the caller and a
// worker), and cover every index exactly once, with several callers at once.
// The caller claims every range no worker has started, so a caller whose
// workers are all busy may run them all: each caller's first range waits
// (bounded) for a worker to run one, which it does once the split happened.
TEST(ConcurrencyTest, LargeParallelForRunsOnSeveralThreads) {
  ThreadPool pool(4);
  const int64_t n = 4 * kMinParallelWork;
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&] {
      std::vector<uint8_t> hits(n, 0);
      std::mutex mu;
      std::set<std::thread::id> ids;
      const std::thread::id caller = std::this_thread::get_id();
      pool.ParallelFor(n, kMinParallelWork, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) ++hits[i];
        std::unique_lock<std::mutex> lock(mu);
        ids.insert(std::this_thread::get_id());
        if (std::this_thread::get_id() != caller) return;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (ids.size() < 2 && std::chrono::steady_clock::now() < deadline) {
          lock.unlock();
          std::this_thread::yield();
          lock.lock();
        }
      });
      if (ids.size() < 2 || std::count(hits.begin(), hits.end(), 1) != n) failures.fetch_add(1);
    });
  }
  for (auto& th : callers) th.join();
  EXPECT_EQ(failures.load(), 0);
}

// sum_i (x + c_i) * c_i over kBranches independent branches, each op on
// 3 * kMinParallelWork floats: the inter-op executor runs branches at once
// (forced, not left to its timing trial) and each binary op splits its
// elements over the intra-op pool. Two callers run the plan concurrently.
TEST(ConcurrencyTest, ParallelExecutorOnWideLargeGraph) {
  constexpr int kBranches = 8;
  const int64_t n = 3 * kMinParallelWork;
  GraphBuilder b;
  Output x = train::Placeholder(b, DT_FLOAT, {n}, "x");
  std::vector<Output> terms;
  for (int i = 0; i < kBranches; ++i) {
    Output c = train::Scalar<float>(b, static_cast<float>(i + 1), "c" + std::to_string(i));
    terms.push_back(train::Mul(b, train::Add(b, x, c), c));
  }
  Output sum = b.Op("AddN", {terms}, {}, "sum");
  ASSERT_TRUE(b.status().ok()) << b.status();
  auto graph = Graph::Import(b.graph_def());
  ASSERT_TRUE(graph.ok()) << graph.status();
  SessionOptions opts;
  opts.intra_op_threads = 4;
  opts.inter_op_threads = 4;
  opts.force_parallel_executor = true;
  auto session = Session::Create(std::move(graph).value(), opts);
  ASSERT_TRUE(session.ok()) << session.status();

  std::vector<float> xs(n);
  for (int64_t j = 0; j < n; ++j) xs[j] = static_cast<float>(j % 7);
  const Tensor feed = Tensor::FromVector<float>(xs);
  std::vector<float> want(n, 0.0f);  // integers far below 2^24: exact in any order
  for (int64_t j = 0; j < n; ++j)
    for (int i = 1; i <= kBranches; ++i) want[j] += (xs[j] + i) * i;
  std::atomic<int> wrong{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 2; ++c) {
    callers.emplace_back([&] {
      for (int run = 0; run < 3; ++run) {
        auto out = (*session)->Run({{x.name(), feed}}, {sum.name()});
        if (!out.ok() || (*out)[0].num_elements() != n) { wrong.fetch_add(1); continue; }
        auto v = (*out)[0].flat<float>();
        if (!std::equal(v.begin(), v.end(), want.begin())) wrong.fetch_add(1);
      }
    });
  }
  for (auto& th : callers) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

// Threads load, use and drop their own bundles of one export while others
// predict on a bundle that stays loaded.
TEST(ConcurrencyTest, ConcurrentLoadAndUnload) {
  testing::TempDir tmp;
  const std::string dir = (tmp.path() / "half_plus_two").string();
  ASSERT_TRUE(testing::WriteHalfPlusTwo(dir).ok());
  auto shared = LoadSavedModel(dir, {"serve"});
  ASSERT_TRUE(shared.ok()) << shared.status();

  auto check = [](SavedModelBundle& bundle, float v) {
    auto out = bundle.Predict("serving_default", {{"x", Tensor::FromVector<float>({v})}});
    return out.ok() && out->at("y").flat<float>()[0] == 0.5f * v + 2;
  };
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        if (t % 2 == 0) {
          auto own = LoadSavedModel(dir, {"serve"});
          if (!own.ok() || !check(**own, static_cast<float>(i))) wrong.fetch_add(1);
        } else {
          for (int k = 0; k < 20; ++k)
            if (!check(**shared, static_cast<float>(t * 100 + k))) wrong.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace savedmodel
