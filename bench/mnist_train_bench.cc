// The tutorial's training loop timed three ways on the same batches:
//   graph   - TrainMnistSoftmax (our graph runtime: gradients, optimizer ops)
//   eigen   - the same arithmetic hand-written with Eigen, no graph
// Prints seconds for 1000 steps of batch 100; bench/mnist_train_bench.sh adds
// PyTorch and NumPy and the ratios. Needs Debian's dataset-fashion-mnist.
#include <chrono>
#include <cstdio>

#include <Eigen/Core>

#include "mnist_softmax/mnist_softmax.h"

using namespace savedmodel;

namespace {

double EigenLoop(const MnistData& d, int steps, int batch, float lr, const std::vector<int64_t>& order) {
  using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const int64_t width = d.train_images.dim(1);
  Mat W = Mat::Zero(width, 10), x(batch, width), y(batch, 10);
  Eigen::RowVectorXf b = Eigen::RowVectorXf::Zero(10);
  const uint8_t* images = d.train_images.flat<uint8_t>().data();
  auto start = std::chrono::steady_clock::now();
  for (int s = 0; s < steps; ++s) {
    y.setZero();
    // The batch is scaled from the stored bytes as ours does (FillBatch).
    for (int i = 0; i < batch; ++i) {
      int64_t row = order[int64_t{s} * batch + i];
      ScalePixels(images + row * width, width, x.row(i).data());
      y(i, d.train_labels.flat<int64_t>()[row]) = 1;
    }
    Mat logits = (x * W).rowwise() + b;
    Eigen::VectorXf mx = logits.rowwise().maxCoeff();
    Mat p = (logits.colwise() - mx).array().exp();
    Eigen::VectorXf sum = p.rowwise().sum();
    p = p.array().colwise() / sum.array();
    Mat g = (p - y) / static_cast<float>(batch);
    W -= lr * (x.transpose() * g);
    b -= lr * g.colwise().sum();
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  auto data = LoadMnist(Env::Default(), argc > 1 ? argv[1] : kDefaultMnistDir);
  if (!data.ok()) {
    std::fprintf(stderr, "mnist_train_bench: %s\n", data.status().ToString().c_str());
    return 1;
  }
  train::MnistSoftmaxOptions opt;
  opt.seed = 1;
  opt.learning_rate = 0.5f;
  MnistData train_only = *data;
  train_only.test_images = Tensor(DT_UINT8, TensorShape{0, data->train_images.dim(1)});
  train_only.test_labels = Tensor(DT_INT64, TensorShape{0});
  double best_graph = 1e9, best_eigen = 1e9;
  auto order = train::BatchOrder(data->train_images.dim(0), int64_t{opt.steps} * opt.batch_size, opt.seed);
  for (int rep = 0; rep < 5; ++rep) {
    auto start = std::chrono::steady_clock::now();
    auto r = train::TrainMnistSoftmax(train_only, opt, "");
    double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!r.ok()) {
      std::fprintf(stderr, "mnist_train_bench: %s\n", r.status().ToString().c_str());
      return 1;
    }
    best_graph = std::min(best_graph, t);
    best_eigen = std::min(best_eigen, EigenLoop(*data, opt.steps, opt.batch_size, opt.learning_rate, order));
  }
  std::printf("savedmodel_graph_s %.4f\n", best_graph);
  std::printf("eigen_loop_s %.4f\n", best_eigen);
  std::printf("graph_vs_eigen %.2fx\n", best_graph / best_eigen);
  return 0;
}
