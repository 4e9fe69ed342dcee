#include "mnist_softmax/mnist_softmax.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>

#include "savedmodel/exec/session.h"
#include "savedmodel/format/saved_model/version_dir.h"
#include "savedmodel/train/ops.h"
#include "savedmodel/train/optimizer.h"
#include "savedmodel/train/saved_model_builder.h"
#include "savedmodel/train/saver.h"

namespace savedmodel::train {
namespace {

constexpr int kClasses = 10;

// Scales the rows `order[begin, begin + n)` of images (uint8) into a float
// batch and sets their labels one-hot.
void FillBatch(const Tensor& images, const Tensor& labels, const std::vector<int64_t>& order, int64_t begin,
               Tensor* x, Tensor* y) {
  const int64_t n = x->dim(0), width = images.dim(1);
  const uint8_t* src = images.flat<uint8_t>().data();
  float* dst = x->flat<float>().data();
  float* onehot = y->flat<float>().data();
  std::fill(onehot, onehot + n * kClasses, 0.0f);
  for (int64_t i = 0; i < n; ++i) {
    int64_t row = order[begin + i];
    ScalePixels(src + row * width, width, dst + i * width);
    onehot[i * kClasses + labels.flat<int64_t>()[row]] = 1.0f;
  }
}

}  // namespace

std::vector<int64_t> BatchOrder(int64_t n, int64_t count, uint64_t seed, bool shuffle) {
  std::vector<int64_t> epoch(n), order;
  order.reserve(count);
  if (!shuffle) {
    for (int64_t i = 0; i < count; ++i) order.push_back(i % n);
    return order;
  }
  std::mt19937_64 gen(seed);
  while (static_cast<int64_t>(order.size()) < count) {
    for (int64_t i = 0; i < n; ++i) epoch[i] = i;
    std::shuffle(epoch.begin(), epoch.end(), gen);
    for (int64_t i = 0; i < n && static_cast<int64_t>(order.size()) < count; ++i) order.push_back(epoch[i]);
  }
  return order;
}

StatusOr<std::string> NextVersionDir(Env* env, const std::string& base) {
  int64_t next = 1;
  if (env->IsDirectory(base)) {
    ASSIGN_OR_RETURN(auto children, env->GetChildren(base));
    for (const auto& c : children) {
      int64_t v = ParseVersionDirName(c);
      if (v >= next) next = v + 1;
    }
  }
  return JoinPath(base, std::to_string(next));
}

StatusOr<MnistSoftmaxResult> TrainMnistSoftmax(const MnistData& data, const MnistSoftmaxOptions& opt,
                                               const std::string& export_dir) {
  if (opt.steps < 0 || opt.batch_size <= 0) return InvalidArgument("steps must be >= 0 and batch_size > 0");
  const int64_t n = data.train_images.dim(0), width = data.train_images.dim(1);
  if (n == 0) return InvalidArgument("no training examples");
  if (data.train_images.dtype() != DT_UINT8 || data.test_images.dtype() != DT_UINT8 ||
      data.test_images.dim(1) != width) {
    return InvalidArgument("images must be uint8 [N, " + std::to_string(width) + "] as LoadMnist gives them");
  }
  if (opt.batch_size > n) return InvalidArgument("batch_size is larger than the training set");
  if (!export_dir.empty() && Env::Default()->FileExists(export_dir)) {
    return AlreadyExists("Export directory already exists: " + export_dir + " (choose another --export)");
  }

  GraphBuilder b;
  Output x = Placeholder(b, DT_FLOAT, {-1, width}, "myInput");
  Output y_ = Placeholder(b, DT_FLOAT, {-1, kClasses}, "y_");
  VariableInfo W = Variable(b, Zeros(b, DT_FLOAT, {width, kClasses}), "W");
  VariableInfo bias = Variable(b, Zeros(b, DT_FLOAT, {kClasses}), "b");
  Output y = Softmax(b, Add(b, MatMul(b, x, W.snapshot), bias.snapshot));
  Output out = Identity(b, y, "myOutput");
  Output cross_entropy = ReduceMean(b, Neg(b, ReduceSum(b, Mul(b, y_, Log(b, y)), {1})));
  std::unique_ptr<Optimizer> optimizer;
  if (opt.optimizer == "gradient_descent") {
    optimizer = std::make_unique<GradientDescentOptimizer>(opt.learning_rate);
  } else if (opt.optimizer == "momentum") {
    optimizer = std::make_unique<MomentumOptimizer>(opt.learning_rate, opt.momentum);
  } else if (opt.optimizer == "adam") {
    optimizer = std::make_unique<AdamOptimizer>(opt.learning_rate, opt.beta1, opt.beta2, opt.epsilon);
  } else {
    return InvalidArgument("unknown optimizer '" + opt.optimizer + "' (gradient_descent, momentum or adam)");
  }
  std::string train_step = optimizer->Minimize(b, cross_entropy);
  Output correct = Equal(b, ArgMax(b, y, 1), ArgMax(b, y_, 1));
  Output accuracy = ReduceMean(b, Cast(b, correct, DT_FLOAT));
  std::string init = GlobalVariablesInitializer(b);
  tensorflow::SaverDef saver = AddSaver(b);
  RETURN_IF_ERROR(b.status());

  ASSIGN_OR_RETURN(auto graph, Graph::Import(b.graph_def()));
  ASSIGN_OR_RETURN(auto session, Session::Create(std::move(graph)));
  RETURN_IF_ERROR(session->Run({}, {}, {init}).status());

  MnistSoftmaxResult result;
  std::vector<int64_t> order =
      BatchOrder(n, static_cast<int64_t>(opt.steps) * opt.batch_size, opt.seed, opt.shuffle);
  Tensor bx(DT_FLOAT, TensorShape{opt.batch_size, width});
  Tensor by(DT_FLOAT, TensorShape{opt.batch_size, kClasses});
  const std::vector<std::string> fetches = {cross_entropy.name()}, targets = {train_step};
  for (int step = 0; step < opt.steps; ++step) {
    // Reusing the feed buffers is safe: a Run keeps no reference to its feeds
    // once it returns (Assign copies what it stores).
    FillBatch(data.train_images, data.train_labels, order, static_cast<int64_t>(step) * opt.batch_size, &bx, &by);
    ASSIGN_OR_RETURN(auto loss, session->Run({{x.name(), bx}, {y_.name(), by}}, fetches, targets));
    result.losses.push_back(loss[0].scalar<float>());
    if (opt.on_step && opt.log_every > 0 && (step % opt.log_every == 0 || step + 1 == opt.steps)) {
      opt.on_step(step, result.losses.back());
    }
  }

  const int64_t m = data.test_images.dim(0);
  if (m > 0) {
    Tensor ty(DT_FLOAT, TensorShape{m, kClasses});
    std::vector<int64_t> all(m);
    for (int64_t i = 0; i < m; ++i) all[i] = i;
    Tensor tx = Tensor::Uninitialized(DT_FLOAT, TensorShape{m, width});  // FillBatch writes every row
    FillBatch(data.test_images, data.test_labels, all, 0, &tx, &ty);
    ASSIGN_OR_RETURN(auto acc, session->Run({{x.name(), tx}, {y_.name(), ty}}, {accuracy.name()}));
    result.test_accuracy = acc[0].scalar<float>();
  }

  if (!export_dir.empty()) {
    SavedModelBuilder builder(export_dir);
    RETURN_IF_ERROR(builder.AddMetaGraphAndVariables(
        *session, MetaGraphFromBuilder(b, saver), {"serve"},
        {{"predict", PredictSignature({{"myInput", x}}, {{"myOutput", out}})}}));
    RETURN_IF_ERROR(builder.Save());
  }
  return result;
}

}  // namespace savedmodel::train
