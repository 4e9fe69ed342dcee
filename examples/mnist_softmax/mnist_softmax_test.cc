// The tutorial on the real Fashion-MNIST data (Debian's dataset-fashion-mnist,
// installed by scripts/setup): first losses against a double-precision
// reference, final accuracy, and the export rules.
#include "mnist_softmax/mnist_softmax.h"

#include <cmath>
#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "savedmodel/core/npy.h"
#include "savedmodel/exec/saved_model_bundle.h"
#include "test_util.h"

namespace savedmodel::train {
namespace {

const MnistData* Data() {
  static const MnistData* data = [] {
    auto d = LoadMnist(Env::Default(), kDefaultMnistDir);
    return d.ok() ? new MnistData(std::move(d).value()) : nullptr;
  }();
  return data;
}

#define REQUIRE_MNIST()                                                                  \
  if (Data() == nullptr)                                                                 \
  GTEST_SKIP() << "Fashion-MNIST not found at " << kDefaultMnistDir                      \
               << " (scripts/setup installs dataset-fashion-mnist)"

// Plain double-precision softmax regression with the same batches.
std::vector<double> ReferenceLosses(const MnistData& d, int steps, int batch, double lr, uint64_t seed) {
  const int64_t width = d.train_images.dim(1), n = d.train_images.dim(0);
  std::vector<double> W(width * 10, 0.0), b(10, 0.0), losses;
  std::vector<int64_t> order = BatchOrder(n, int64_t{steps} * batch, seed);
  const uint8_t* x = d.train_images.flat<uint8_t>().data();
  for (int s = 0; s < steps; ++s) {
    std::vector<double> dW(width * 10, 0.0), db(10, 0.0);
    double loss = 0;
    for (int i = 0; i < batch; ++i) {
      int64_t row = order[int64_t{s} * batch + i];
      std::vector<double> xi(width);
      for (int64_t j = 0; j < width; ++j) xi[j] = static_cast<float>(x[row * width + j]) / 255.0f;
      int64_t label = d.train_labels.flat<int64_t>()[row];
      double logits[10], mx = -1e300, sum = 0;
      for (int k = 0; k < 10; ++k) {
        logits[k] = b[k];
        for (int64_t j = 0; j < width; ++j) logits[k] += xi[j] * W[j * 10 + k];
        mx = std::max(mx, logits[k]);
      }
      for (int k = 0; k < 10; ++k) sum += std::exp(logits[k] - mx);
      for (int k = 0; k < 10; ++k) {
        double p = std::exp(logits[k] - mx) / sum;
        if (k == label) loss -= std::log(p);
        double g = (p - (k == label ? 1.0 : 0.0)) / batch;
        db[k] += g;
        for (int64_t j = 0; j < width; ++j) dW[j * 10 + k] += xi[j] * g;
      }
    }
    losses.push_back(loss / batch);
    for (size_t i = 0; i < W.size(); ++i) W[i] -= lr * dW[i];
    for (int k = 0; k < 10; ++k) b[k] -= lr * db[k];
  }
  return losses;
}

TEST(MnistSoftmaxTest, FirstTenLossesMatchDoublePrecisionReference) {
  REQUIRE_MNIST();
  for (float lr : {0.1f, 0.5f}) {
    MnistSoftmaxOptions opt;
    opt.steps = 10;
    opt.learning_rate = lr;
    opt.seed = 7;
    auto got = TrainMnistSoftmax(*Data(), opt, "");
    ASSERT_TRUE(got.ok()) << got.status();
    std::vector<double> want = ReferenceLosses(*Data(), 10, 100, lr, 7);
    ASSERT_EQ(got->losses.size(), 10u);
    EXPECT_NEAR(got->losses[0], std::log(10.0), 1e-5);
    for (int i = 0; i < 10; ++i) EXPECT_NEAR(got->losses[i], want[i], 2e-4 * want[i]) << "lr " << lr << " step " << i;
  }
}

TEST(MnistSoftmaxTest, DefaultRateReachesTutorialAccuracyAndExports) {
  REQUIRE_MNIST();
  MnistSoftmaxOptions opt;
  opt.seed = 1;
  testing::TempDir tmp;
  auto dir = NextVersionDir(Env::Default(), (tmp.path() / "model").string());
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(*dir, (tmp.path() / "model" / "1").string());
  auto r = TrainMnistSoftmax(*Data(), opt, *dir);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GE(r->test_accuracy, 0.80f);
  EXPECT_LT(r->losses.back(), r->losses.front());
  auto next = NextVersionDir(Env::Default(), (tmp.path() / "model").string());
  EXPECT_EQ(*next, (tmp.path() / "model" / "2").string());

  // The export reloads by tag and its accuracy on the test set is the same.
  auto bundle = LoadSavedModel(*dir, {"serve"});
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  auto test_images = ScaleImages(Data()->test_images);
  ASSERT_TRUE(test_images.ok()) << test_images.status();
  auto out = (*bundle)->Predict("predict", {{"myInput", *test_images}});
  ASSERT_TRUE(out.ok()) << out.status();
  const Tensor& p = out->at("myOutput");
  int64_t correct = 0, m = p.dim(0);
  for (int64_t i = 0; i < m; ++i) {
    int64_t best = 0;
    for (int k = 1; k < 10; ++k) {
      if (p.flat<float>()[i * 10 + k] > p.flat<float>()[i * 10 + best]) best = k;
    }
    correct += best == Data()->test_labels.flat<int64_t>()[i];
  }
  EXPECT_NEAR(static_cast<double>(correct) / m, r->test_accuracy, 1e-4);

  // An existing export directory is refused and left as it was.
  auto again = TrainMnistSoftmax(*Data(), opt, *dir);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(LoadSavedModel(*dir, {"serve"}).ok());
}

TEST(MnistSoftmaxTest, CliTrainThenRunInAnotherProcess) {
  REQUIRE_MNIST();
  testing::TempDir tmp;
  const std::string dir = (tmp.path() / "m").string();
  std::string out;
  ASSERT_EQ(testing::RunCli("train mnist-softmax --steps 50 --seed 2 --export '" + dir + "'", &out), 0) << out;
  EXPECT_NE(out.find("test accuracy: 0."), std::string::npos) << out;
  EXPECT_NE(out.find("predict: "), std::string::npos) << out;
  std::string zeros = "0";
  for (int i = 1; i < 784; ++i) zeros += ",0";
  ASSERT_EQ(testing::RunCli("run '" + dir + "' --tag_set serve --signature_def predict --input_exprs 'myInput=[[" +
                                zeros + "]]'",
                            &out),
            0)
      << out;
  // saved_model_cli's form: the key, then numpy's text of a [1, 10] array.
  const std::string key = "Result for output key myOutput:\n[[";
  const size_t at = out.find(key);
  ASSERT_NE(at, std::string::npos) << out;
  const size_t end = out.find("]]", at);
  ASSERT_NE(end, std::string::npos) << out;
  std::istringstream values(out.substr(at + key.size(), end - at - key.size()));
  int count = 0;
  for (double v; values >> v;) ++count;
  EXPECT_TRUE(values.eof()) << "not one row of numbers: " << out;
  EXPECT_EQ(count, 10) << out;
  // Existing directory: refused with a clear error, left untouched.
  auto before = std::filesystem::last_write_time(dir + "/saved_model.pb");
  EXPECT_EQ(testing::RunCli("train mnist-softmax --steps 5 --export '" + dir + "'", &out), 1);
  EXPECT_NE(out.find("already exists"), std::string::npos) << out;
  EXPECT_EQ(std::filesystem::last_write_time(dir + "/saved_model.pb"), before);
}

// Without shuffling, batches run through the file in order and wrap around,
// an epoch's tail joined with the next one's head (next_batch(shuffle=False)).
TEST(MnistSoftmaxTest, NoShuffleOrderWrapsAround) {
  EXPECT_EQ(BatchOrder(5, 12, 99, /*shuffle=*/false),
            (std::vector<int64_t>{0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1}));
  std::vector<int64_t> shuffled = BatchOrder(5, 5, 3);
  std::sort(shuffled.begin(), shuffled.end());
  EXPECT_EQ(shuffled, (std::vector<int64_t>{0, 1, 2, 3, 4}));
}

TEST(MnistSoftmaxTest, OptimizersSaveSlotsUnderTensorFlowsNames) {
  REQUIRE_MNIST();
  const std::map<std::string, std::string> want = {
      {"momentum", "W (float) [784,10]\nW/Momentum (float) [784,10]\nb (float) [10]\nb/Momentum (float) [10]\n"},
      {"adam",
       "W (float) [784,10]\nW/Adam (float) [784,10]\nW/Adam_1 (float) [784,10]\nb (float) [10]\n"
       "b/Adam (float) [10]\nb/Adam_1 (float) [10]\nbeta1_power (float) []\nbeta2_power (float) []\n"},
      {"gradient_descent", "W (float) [784,10]\nb (float) [10]\n"},
  };
  testing::TempDir tmp;
  for (const auto& [name, vars] : want) {
    MnistSoftmaxOptions opt;
    opt.steps = 20;
    opt.optimizer = name;
    opt.learning_rate = name == "adam" ? 0.001f : 0.01f;
    opt.shuffle = false;
    const std::string dir = (tmp.path() / name).string();
    auto r = TrainMnistSoftmax(*Data(), opt, dir);
    ASSERT_TRUE(r.ok()) << name << ": " << r.status();
    EXPECT_LT(r->losses.back(), r->losses.front()) << name;
    std::string out;
    ASSERT_EQ(testing::RunCli("variables '" + dir + "'", &out), 0) << out;
    EXPECT_EQ(out, vars) << name;
  }
  MnistSoftmaxOptions bad;
  bad.optimizer = "rmsprop";
  auto r = TrainMnistSoftmax(*Data(), bad, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("rmsprop"), std::string::npos);
}

TEST(MnistSoftmaxTest, CliWritesEveryLossAsNpy) {
  REQUIRE_MNIST();
  testing::TempDir tmp;
  const std::string npy = (tmp.path() / "losses.npy").string();
  std::string out;
  ASSERT_EQ(testing::RunCli("train mnist-softmax --steps 7 --no_shuffle --optimizer adam --losses_out '" + npy + "'",
                            &out),
            0)
      << out;
  EXPECT_NE(out.find("optimizer: adam, learning rate: 0.001"), std::string::npos) << out;
  auto losses = ReadNpyFile(Env::Default(), npy);
  ASSERT_TRUE(losses.ok()) << losses.status();
  ASSERT_EQ(losses->dtype(), DT_FLOAT);
  ASSERT_EQ(losses->shape(), TensorShape{7});
  EXPECT_NEAR(losses->flat<float>()[0], std::log(10.0), 1e-5);
  EXPECT_EQ(testing::RunCli("train mnist-softmax --steps 1 --optimizer sgd", &out), 2) << out;
}

}  // namespace
}  // namespace savedmodel::train
