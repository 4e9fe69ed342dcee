// `savedmodel train mnist-softmax`: the TensorFlow tutorial's softmax
// regression, trained, saved as a SavedModel, reloaded and queried.
#include <cstdio>
#include <random>
#include <system_error>
#include <thread>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "mnist_softmax/mnist_softmax.h"
#include "savedmodel/core/npy.h"
#include "savedmodel/exec/saved_model_bundle.h"
#include "savedmodel/kernels/math/gemm.h"

namespace savedmodel::cli {
namespace {

int Fail(const Status& s) {
  std::fprintf(stderr, "savedmodel train: %s\n", s.ToString().c_str());
  return 1;
}

int64_t ArgMax(const Tensor& t, int64_t row) {
  const int64_t k = t.dim(1);
  auto v = t.flat<float>();
  int64_t best = 0;
  for (int64_t j = 1; j < k; ++j) {
    if (v[row * k + j] > v[row * k + best]) best = j;
  }
  return best;
}

}  // namespace

int TrainMain(int argc, char** argv) {
  CLI::App app{"Train a model and save it as a SavedModel.", "savedmodel train"};
  app.require_subcommand(1);
  auto* mnist = app.add_subcommand("mnist-softmax", "The TensorFlow tutorial: softmax regression on MNIST-format data");
  std::string data_dir = kDefaultMnistDir, export_dir, export_base;
  train::MnistSoftmaxOptions opt;
  int64_t seed = -1;
  mnist->add_option("--data", data_dir, "directory with the four MNIST IDX files (.gz or raw)")->capture_default_str();
  mnist->add_option("--steps", opt.steps, "training steps")->capture_default_str();
  mnist->add_option("--batch_size", opt.batch_size, "examples per step")->capture_default_str();
  mnist->add_option("--learning_rate", opt.learning_rate,
                    "learning rate (0.5 reproduces the tutorial on MNIST digits; 0.1 suits Fashion-MNIST; "
                    "--optimizer adam defaults to 0.001)")
      ->capture_default_str();
  mnist->add_option("--optimizer", opt.optimizer,
                    "gradient_descent, momentum (momentum 0.9) or adam (beta1 0.9, beta2 0.999, epsilon 1e-8; "
                    "learning rate 0.001 unless --learning_rate is given)")
      ->check(CLI::IsMember({"gradient_descent", "momentum", "adam"}))
      ->capture_default_str();
  mnist->add_option("--momentum", opt.momentum, "momentum of --optimizer momentum")->capture_default_str();
  bool no_shuffle = false;
  mnist->add_flag("--no_shuffle", no_shuffle,
                  "visit examples in file order: step i trains on examples (i*batch_size + j) mod n, as the "
                  "tutorial's next_batch(batch_size, shuffle=False) does");
  std::string losses_out;
  mnist->add_option("--losses_out", losses_out, "write every step's loss here as a float32 .npy vector");
  mnist->add_option("--seed", seed, "fixes the batch order (default: random, printed)");
  mnist->add_option("--export", export_dir, "save the SavedModel here (must not exist)");
  mnist->add_option("--export_base", export_base,
                    "save under the next free version directory here (TF Serving layout: BASE/1, BASE/2, ...)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (!export_dir.empty() && !export_base.empty()) {
    std::fprintf(stderr, "savedmodel train: give --export or --export_base, not both\n");
    return 2;
  }
  if (!export_base.empty()) {
    auto next = train::NextVersionDir(Env::Default(), export_base);
    if (!next.ok()) return Fail(next.status());
    export_dir = *next;
  }
  opt.seed = seed >= 0 ? static_cast<uint64_t>(seed) : std::random_device{}();
  opt.shuffle = !no_shuffle;
  if (opt.optimizer == "adam" && mnist->count("--learning_rate") == 0) opt.learning_rate = 0.001f;
  std::printf("data: %s\nseed: %llu%s, optimizer: %s, learning rate: %g, steps: %d, batch size: %d\n",
              data_dir.c_str(), static_cast<unsigned long long>(opt.seed), opt.shuffle ? "" : " (no shuffle)",
              opt.optimizer.c_str(), opt.learning_rate, opt.steps, opt.batch_size);

  StatusOr<MnistData> data = Internal("not loaded");
  {
    // The matrix backend generates its code once (40-55 ms) before the first
    // product; done beside reading the data, on the core the test split
    // leaves idle, it does not delay the first step. Joined before training
    // (and before any return: no thread may outlive the backend's statics).
    std::thread warm_up;
    try {
      warm_up = std::thread(kernels::GenerateGemmCode);
    } catch (const std::system_error&) {
      // No thread to be had: the first product generates it instead.
    }
    data = LoadMnist(Env::Default(), data_dir);
    if (warm_up.joinable()) warm_up.join();
  }
  if (!data.ok()) return Fail(data.status());
  opt.on_step = [](int step, float loss) {
    std::printf("step %d, loss %.6f\n", step, loss);
    std::fflush(stdout);
  };
  auto result = train::TrainMnistSoftmax(*data, opt, export_dir);
  if (!result.ok()) return Fail(result.status());
  if (!losses_out.empty()) {
    Status s = WriteNpyFile(Env::Default(), losses_out, Tensor::FromVector<float>(result->losses));
    if (!s.ok()) return Fail(s);
  }
  std::printf("test accuracy: %.4f\n", result->test_accuracy);
  if (export_dir.empty()) return 0;
  std::printf("saved SavedModel to %s (tag serve, signature predict: myInput -> myOutput)\n", export_dir.c_str());

  // As the tutorial does: load it in a fresh session by tag and classify a test image.
  auto bundle = LoadSavedModel(export_dir, {"serve"});
  if (!bundle.ok()) return Fail(bundle.status());
  const int64_t width = data->test_images.dim(1);
  Tensor image(DT_FLOAT, TensorShape{1, width});
  ScalePixels(data->test_images.flat<uint8_t>().data(), width, image.flat<float>().data());
  auto out = (*bundle)->session().Run({{"myInput:0", image}}, {"myOutput:0"});
  if (!out.ok()) return Fail(out.status());
  std::printf("predict: %lld, actual: %lld\n", static_cast<long long>(ArgMax((*out)[0], 0)),
              static_cast<long long>(data->test_labels.flat<int64_t>()[0]));
  return 0;
}

}  // namespace savedmodel::cli
