#include "savedmodel/serve/batching.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "half_plus_two_model.h"
#include "test_util.h"

namespace savedmodel {
namespace {

using TensorMap = std::map<std::string, Tensor>;

// TF Serving's half_plus_two (y = x/2 + 2, x and y [n, 1] float), written by
// our builder so these tests need no test data.
class BatchingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = (tmp_.path() / "1").string();
    ASSERT_TRUE(testing::WriteHalfPlusTwo(dir).ok());
    auto bundle = LoadSavedModel(dir, {"serve"});
    ASSERT_TRUE(bundle.ok()) << bundle.status();
    servable_ = std::make_shared<Servable>();
    servable_->name = "hp";
    servable_->version = 1;
    servable_->bundle = std::move(bundle).value();
  }

  std::unique_ptr<BatchingRunner> Runner(BatchingOptions o) {
    auto r = BatchingRunner::Create(o, &metrics_);
    EXPECT_TRUE(r.ok()) << r.status();
    return std::move(r).value();
  }

  static TensorMap Rows(const std::vector<float>& x) {
    return {{"x", Tensor::FromVector(x, TensorShape{static_cast<int64_t>(x.size()), 1})}};
  }
  static std::vector<float> Y(const TensorMap& out) {
    auto y = out.at("y").flat<float>();
    return {y.begin(), y.end()};
  }

  testing::TempDir tmp_;
  ServableHandle servable_;
  MetricRegistry registry_;
  ServingMetrics metrics_{&registry_};
};

TEST_F(BatchingTest, ConcurrentRequestsGetTheirOwnRows) {
  BatchingOptions o;
  o.max_batch_size = 8;
  o.batch_timeout_micros = 2000;
  o.num_batch_threads = 2;
  auto runner = Runner(o);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        // 1 to 3 rows with values unique to this thread and iteration.
        std::vector<float> x;
        for (int r = 0; r <= (t + i) % 3; ++r) x.push_back(static_cast<float>(t * 1000 + i * 10 + r));
        auto out = runner->Run(servable_, "serving_default", Rows(x), {});
        if (!out.ok()) {
          ++wrong;
          continue;
        }
        std::vector<float> y = Y(*out);
        bool ok = y.size() == x.size() && out->at("y").shape() == (TensorShape{static_cast<int64_t>(x.size()), 1});
        for (size_t k = 0; ok && k < x.size(); ++k) ok = y[k] == x[k] * 0.5f + 2.0f;
        if (!ok) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(registry_.Value(":tensorflow:serving:batching_session:input_batch_size", {}), 240);
}

// Four one-row requests fill a batch of 4 exactly: one run, then split.
TEST_F(BatchingTest, FullBatchRunsOnceAndSplits) {
  BatchingOptions o;
  o.max_batch_size = 4;
  o.batch_timeout_micros = 60'000'000;  // only a full batch runs
  o.num_batch_threads = 1;
  auto runner = Runner(o);
  std::vector<std::thread> threads;
  std::vector<std::vector<float>> got(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto out = runner->Run(servable_, "serving_default", Rows({static_cast<float>(t)}), {"y"});
      if (out.ok()) got[t] = Y(*out);
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(got[t], std::vector<float>{t * 0.5f + 2.0f});
  EXPECT_EQ(registry_.Value(":tensorflow:serving:batching_session:wrapped_run_count", {}), 1);
  EXPECT_NE(registry_.RenderText().find(
                ":tensorflow:serving:batching_session:processed_batch_size_bucket{le=\"4\"} 1"),
            std::string::npos);
}

// Three rows pad up to the allowed size 4 (repeating a row); the answer has three.
TEST_F(BatchingTest, PaddingToAllowedSizeIsDropped) {
  BatchingOptions o;
  o.max_batch_size = 8;
  o.allowed_batch_sizes = {2, 4, 8};
  o.num_batch_threads = 1;
  auto runner = Runner(o);
  auto out = runner->Run(servable_, "serving_default", Rows({1, 2, 5}), {});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Y(*out), (std::vector<float>{2.5f, 3.0f, 4.5f}));
  EXPECT_EQ(out->at("y").shape(), (TensorShape{3, 1}));
  const std::string text = registry_.RenderText();
  EXPECT_NE(text.find(":tensorflow:serving:batching_session:padding_size_bucket{execution_batch_size=\"4\",le=\"1\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(":tensorflow:serving:batching_session:processed_batch_size_sum 4"),
            std::string::npos);
}

// Requests the batcher cannot merge still get the unbatched answer.
TEST_F(BatchingTest, UnbatchableRequestsRunAlone) {
  BatchingOptions o;
  o.max_batch_size = 2;
  o.num_batch_threads = 1;
  auto runner = Runner(o);
  DirectPredictRunner direct;
  for (const TensorMap& in : {Rows({1, 2, 3}),  // more rows than max_batch_size
                              TensorMap{{"x", Tensor::Scalar<float>(4)}}}) {
    auto want = direct.Run(servable_, "serving_default", in, {});
    auto got = runner->Run(servable_, "serving_default", in, {});
    ASSERT_EQ(want.ok(), got.ok()) << want.status() << got.status();
    if (want.ok()) EXPECT_TRUE(want->at("y").Equals(got->at("y")));
  }
  // Errors come back as the model gives them.
  auto bad = runner->Run(servable_, "nope", Rows({1}), {});
  EXPECT_EQ(bad.status(), direct.Run(servable_, "nope", Rows({1}), {}).status());
}

// One open batch waiting for its timeout fills the queue (max_enqueued_batches
// 1): a request that needs a second batch is refused at once.
TEST_F(BatchingTest, FullQueueIsUnavailable) {
  BatchingOptions o;
  o.max_batch_size = 2;
  o.max_enqueued_batches = 1;
  o.batch_timeout_micros = 30'000'000;  // the open batch waits to be filled
  o.num_batch_threads = 1;
  auto runner = Runner(o);
  std::thread waiting([&] {
    // Refused only while one of the main thread's batches holds the queue.
    StatusOr<TensorMap> out = Unavailable("");
    while (out.status().code() == StatusCode::kUnavailable) {
      out = runner->Run(servable_, "serving_default", Rows({1}), {});
      std::this_thread::yield();
    }
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(Y(*out), std::vector<float>{2.5f});
  });
  // Two rows cannot join the one-row batch and need a second: refused once
  // that batch is open (before, they fill a batch of their own and run).
  Status refused;
  while (refused.ok()) {
    refused = runner->Run(servable_, "serving_default", Rows({1, 2}), {}).status();
    std::this_thread::yield();
  }
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable);
  EXPECT_EQ(refused.message(), "The batch scheduling queue is full");
  // One row fills the waiting batch, which then runs at once.
  auto filler = runner->Run(servable_, "serving_default", Rows({3}), {});
  ASSERT_TRUE(filler.ok()) << filler.status();
  EXPECT_EQ(Y(*filler), std::vector<float>{3.5f});
  waiting.join();
}

// pad_variable_length_inputs: x [1, 2] and x [1, 1] share a batch; the
// narrow one is padded with its own first element, and its answer keeps the
// padded width, as TF Serving's.
TEST_F(BatchingTest, VariableLengthInputsPadWithTheFirstElement) {
  BatchingOptions o;
  o.max_batch_size = 2;
  o.batch_timeout_micros = 60'000'000;  // only a full batch runs
  o.num_batch_threads = 1;
  o.pad_variable_length_inputs = true;
  auto runner = Runner(o);
  StatusOr<TensorMap> wide = Internal(""), narrow = Internal("");
  std::thread a([&] {
    wide = runner->Run(servable_, "serving_default",
                       {{"x", Tensor::FromVector(std::vector<float>{2, 4}, TensorShape{1, 2})}}, {});
  });
  std::thread b([&] {
    narrow = runner->Run(servable_, "serving_default",
                         {{"x", Tensor::FromVector(std::vector<float>{6}, TensorShape{1, 1})}}, {});
  });
  a.join();
  b.join();
  ASSERT_TRUE(wide.ok()) << wide.status();
  ASSERT_TRUE(narrow.ok()) << narrow.status();
  EXPECT_EQ(Y(*wide), (std::vector<float>{3, 4}));
  EXPECT_EQ(Y(*narrow), (std::vector<float>{5, 5}));
  EXPECT_EQ(narrow->at("y").shape(), (TensorShape{1, 2}));
  EXPECT_EQ(registry_.Value(":tensorflow:serving:batching_session:wrapped_run_count", {}), 1);
}

// A very wide request would make every row of its batch as wide: the batch
// runs each request alone, unpadded.
TEST_F(BatchingTest, PaddingThatWouldBlowUpTheBatchRunsAlone) {
  BatchingOptions o;
  o.max_batch_size = 64;  // 63 narrow rows and one wide: padded, 64 wide rows
  o.batch_timeout_micros = 60'000'000;
  o.num_batch_threads = 1;
  o.pad_variable_length_inputs = true;
  auto runner = Runner(o);
  std::vector<float> wide_x(200000, 2.0f);
  StatusOr<TensorMap> wide = Internal(""), narrow = Internal("");
  std::thread a([&] {
    wide = runner->Run(servable_, "serving_default",
                       {{"x", Tensor::FromVector(wide_x, TensorShape{1, 200000})}}, {});
  });
  std::thread b([&] {
    narrow = runner->Run(servable_, "serving_default",
                         {{"x", Tensor::FromVector(std::vector<float>(63, 6), TensorShape{63, 1})}}, {});
  });
  a.join();
  b.join();
  ASSERT_TRUE(wide.ok()) << wide.status();
  ASSERT_TRUE(narrow.ok()) << narrow.status();
  EXPECT_EQ(wide->at("y").shape(), (TensorShape{1, 200000}));
  EXPECT_EQ(Y(*narrow), std::vector<float>(63, 5));
  EXPECT_EQ(narrow->at("y").shape(), (TensorShape{63, 1}));
}

TEST(BatchingOptionsTest, ParametersCheckedAsTfServingDoes) {
  tensorflow::serving::BatchingParameters p;
  auto o = BatchingOptionsFromParameters(p);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->max_batch_size, 1000);
  EXPECT_EQ(o->max_enqueued_batches, 10);
  p.mutable_max_batch_size()->set_value(8);
  p.add_allowed_batch_sizes(4);
  p.add_allowed_batch_sizes(2);
  EXPECT_EQ(BatchingOptionsFromParameters(p).status().code(), StatusCode::kInvalidArgument);
  p.clear_allowed_batch_sizes();
  p.add_allowed_batch_sizes(2);
  p.add_allowed_batch_sizes(4);
  EXPECT_EQ(BatchingOptionsFromParameters(p).status().code(), StatusCode::kInvalidArgument);
  p.add_allowed_batch_sizes(8);
  ASSERT_TRUE(BatchingOptionsFromParameters(p).ok());
  p.mutable_max_batch_size()->set_value(0);
  EXPECT_FALSE(BatchingOptionsFromParameters(p).ok());
  p.mutable_max_batch_size()->set_value(8);
  p.mutable_num_batch_threads()->set_value(-1);
  EXPECT_FALSE(BatchingOptionsFromParameters(p).ok());
  p.clear_num_batch_threads();
  p.set_pad_variable_length_inputs(true);
  EXPECT_TRUE(BatchingOptionsFromParameters(p).value().pad_variable_length_inputs);
}

}  // namespace
}  // namespace savedmodel
