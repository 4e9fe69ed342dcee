// The classic TensorFlow tutorial as a library call: softmax regression on
// MNIST-format data (W 784x10 and b 10 from zeros, cross entropy
// -sum(y_ * log(y)) averaged over the batch, gradient descent, momentum or
// Adam on batches drawn from a per-epoch shuffle or in file order), saved as a
// SavedModel with a "predict" signature (myInput -> myOutput) that TensorFlow
// and TF Serving load.
//
// An example program, not library code: it uses only the library's public
// headers and is built as its own static library, which the CLI's
// `train mnist-softmax` (and so scripts/demo) links.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"
#include "savedmodel/data/idx.h"

namespace savedmodel::train {

struct MnistSoftmaxOptions {
  int steps = 1000;
  int batch_size = 100;
  // 0.5 is the tutorial's rate, tuned for MNIST digits; on Fashion-MNIST it
  // oscillates (final accuracy 0.70-0.83 depending on batch order), while 0.1
  // lands in 0.81-0.82. The default data is Fashion-MNIST, hence 0.1.
  float learning_rate = 0.1f;
  // "gradient_descent", "momentum" or "adam" (tf.compat.v1.train's
  // GradientDescentOptimizer, MomentumOptimizer, AdamOptimizer).
  std::string optimizer = "gradient_descent";
  float momentum = 0.9f;
  // Adam's TF1 defaults.
  float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;
  // false: batch i holds the examples (i * batch_size + j) mod n, j < batch_size,
  // in file order, which is what the tutorial's DataSet.next_batch(batch_size,
  // shuffle=False) returns (an epoch's tail joined with the next one's head).
  bool shuffle = true;
  uint64_t seed = 0;
  // Called every `log_every` steps with (step, loss); 0 disables.
  int log_every = 100;
  std::function<void(int, float)> on_step;
};

struct MnistSoftmaxResult {
  std::vector<float> losses;  // one per step
  float test_accuracy = 0;
};

// The order in which training examples are visited: a fresh shuffle of
// [0, n) each epoch, from `seed`, or 0, 1, ..., n-1, 0, 1, ... without
// shuffling. Exposed so tests can replay it.
std::vector<int64_t> BatchOrder(int64_t n, int64_t count, uint64_t seed, bool shuffle = true);

// Trains on `data` and, when export_dir is not empty, saves the model there
// (refusing an existing directory, as TensorFlow does).
StatusOr<MnistSoftmaxResult> TrainMnistSoftmax(const MnistData& data, const MnistSoftmaxOptions& options,
                                               const std::string& export_dir);

// The next free TF Serving version directory under `base` ("base/1", "base/2", ...).
StatusOr<std::string> NextVersionDir(Env* env, const std::string& base);

}  // namespace savedmodel::train
