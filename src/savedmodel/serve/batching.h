// Server-side batching, as TF Serving's BatchingSession over a shared batch
// scheduler does it: concurrent Predict calls on the same servable, signature,
// outputs and input shapes (every dimension but the 0th, and dtypes) wait in
// one queue; a batch of up to max_batch_size rows is formed, run once with its
// inputs concatenated along dimension 0, and each caller gets its own rows of
// every output back.
//
// A batch is run when it is full, or when its first request has waited
// batch_timeout_micros and a batch thread is free (0: as soon as a thread is
// free, so batches form only while every thread is busy). With
// allowed_batch_sizes, a batch is padded up to the smallest allowed size that
// holds it by repeating the first row of its last request, as TF Serving
// pads; the padding rows are dropped from the answers.
//
// Requests that cannot share a batch run alone on the caller's thread, with
// the same answer an unbatched server gives: scalar inputs, inputs whose 0th
// dimensions differ, no inputs, or more rows than max_batch_size. (TF Serving
// refuses the first two with "Batching Run() input tensors must have ...";
// answering them is strictly more useful and changes no valid request.) If a
// batched run's outputs do not split by rows (an output whose 0th dimension is
// not the batch's), each request of that batch is run alone instead.
//
// Thread-safe. Run blocks its caller until the answer is ready.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/serve/metrics.h"
#include "savedmodel/serve/servable.h"
#include "tensorflow_serving/servables/tensorflow/session_bundle_config.pb.h"

namespace savedmodel {

// TF Serving's defaults where BatchingParameters leaves a field unset.
struct BatchingOptions {
  int64_t max_batch_size = 1000;
  int64_t batch_timeout_micros = 0;
  // Batches (open or waiting for a thread) one queue may hold; a request that
  // would need one more is refused at once with UNAVAILABLE "The batch
  // scheduling queue is full".
  int64_t max_enqueued_batches = 10;
  // 0: the hardware thread count.
  int num_batch_threads = 0;
  std::string thread_pool_name = "batch_threads";
  // Empty, or increasing with the last equal to max_batch_size.
  std::vector<int64_t> allowed_batch_sizes;
  // Requests whose inputs differ past the 0th dimension share a batch: each
  // input is padded at the end of every such dimension up to the batch's
  // largest, with its own first element (TF Serving's pad value). Outputs
  // keep the padded sizes, as in TF Serving. A batch that padding would make
  // more than 16 times larger than what its requests sent (one very wide
  // request among narrow ones) runs each request alone instead.
  bool pad_variable_length_inputs = false;
};

// BatchingParameters (--batching_parameters_file) to options, checked as TF
// Serving checks them: positive sizes and counts, allowed_batch_sizes
// increasing and ending at max_batch_size. INVALID_ARGUMENT otherwise.
StatusOr<BatchingOptions> BatchingOptionsFromParameters(
    const tensorflow::serving::BatchingParameters& params);

// Runs Predict directly on the servable's bundle: the runner without batching.
class DirectPredictRunner : public PredictRunner {
 public:
  StatusOr<std::map<std::string, Tensor>> Run(const ServableHandle& servable,
                                              const std::string& signature_key,
                                              const std::map<std::string, Tensor>& inputs,
                                              const std::vector<std::string>& output_filter) override;
};

class BatchingRunner : public PredictRunner {
 public:
  // `metrics` may be null; otherwise it must outlive the runner.
  static StatusOr<std::unique_ptr<BatchingRunner>> Create(const BatchingOptions& options,
                                                          ServingMetrics* metrics = nullptr);
  // Stops the batch threads after running every batch already queued.
  ~BatchingRunner() override;

  StatusOr<std::map<std::string, Tensor>> Run(const ServableHandle& servable,
                                              const std::string& signature_key,
                                              const std::map<std::string, Tensor>& inputs,
                                              const std::vector<std::string>& output_filter) override;

  const BatchingOptions& options() const { return options_; }

 private:
  struct Task;
  struct Batch;
  struct Queue;
  BatchingRunner(const BatchingOptions& options, ServingMetrics* metrics);
  void WorkerLoop();
  // A queue whose front batch may run now, or null; `wake` is set to the
  // earliest time an open batch times out. REQUIRES: mu_ held.
  Queue* ReadyQueue(std::chrono::steady_clock::time_point now,
                    std::chrono::steady_clock::time_point* wake);
  void ProcessBatch(Batch& batch);

  const BatchingOptions options_;
  ServingMetrics* const metrics_;
  DirectPredictRunner direct_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  // By queue key: servable, signature, outputs and input shapes (see .cc).
  std::map<std::string, std::unique_ptr<Queue>> queues_;
  std::vector<std::thread> workers_;
};

}  // namespace savedmodel
