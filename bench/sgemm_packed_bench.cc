// SgemmPacked (kernels/math/sgemm_packed_f32.h) against oneDNN's sgemm, both
// split over our pool the same way Sgemm splits oneDNN (one OpenMP thread per
// caller, blocks of columns when m < n, else rows), and against Sgemm itself
// (whatever gemm.cc dispatches to). Plain timers rather than Google Benchmark:
// the three run alternately, repetition after repetition, so load from other
// work on the machine falls on all of them alike; medians and bests are
// reported in GFLOP/s, with the load average.
//
//   sgemm_packed_bench [reps=7] [threads...=1 2]
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <vector>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/math/gemm.h"
#include "savedmodel/kernels/math/sgemm_packed_f32.h"

extern "C" {
int omp_get_max_threads(void);
void omp_set_num_threads(int num_threads);
}

namespace {

using savedmodel::ThreadPool;

struct Shape {
  const char* name;
  bool ta, tb;
  int64_t m, n, k;
};

// oneDNN over the pool: blocks of columns (m < n) or rows, one per thread,
// each on an OpenMP team of one.
void DnnlSgemm(ThreadPool* pool, const Shape& s, const float* a, int64_t lda, const float* b,
               int64_t ldb, float* c, int64_t ldc) {
  const int64_t threads = pool == nullptr ? 1 : pool->num_threads() + 1;
  const bool by_cols = s.m < s.n;
  const int64_t dim = by_cols ? s.n : s.m, align = by_cols ? 16 : 8;
  const int64_t size = std::min(dim, (dim / threads + align) / align * align);
  const int64_t blocks = (dim + size - 1) / size;
  savedmodel::ParallelFor(pool, blocks, 1, [&](int64_t begin, int64_t end) {
    if (omp_get_max_threads() != 1) omp_set_num_threads(1);
    for (int64_t blk = begin; blk < end; ++blk) {
      const int64_t x0 = blk * size, len = std::min(size, dim - x0);
      if (by_cols) {
        dnnl_sgemm(s.ta ? 'T' : 'N', s.tb ? 'T' : 'N', s.m, len, s.k, 1.0f, a, lda,
                   s.tb ? b + x0 * ldb : b + x0, ldb, 0.0f, c + x0, ldc);
      } else {
        dnnl_sgemm(s.ta ? 'T' : 'N', s.tb ? 'T' : 'N', len, s.n, s.k, 1.0f,
                   s.ta ? a + x0 : a + x0 * lda, lda, b, ldb, 0.0f, c + x0 * ldc, ldc);
      }
    }
  });
}

double Seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Seconds per call, timing enough calls to fill about 50 ms.
double Time(const std::function<void()>& fn, int64_t calls) {
  const double t0 = Seconds();
  for (int64_t i = 0; i < calls; ++i) fn();
  return (Seconds() - t0) / static_cast<double>(calls);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 7;
  std::vector<int> thread_counts;
  for (int i = 2; i < argc; ++i) thread_counts.push_back(std::atoi(argv[i]));
  if (thread_counts.empty()) thread_counts = {1, 2};
  if (!savedmodel::kernels::SgemmPackedAvailable()) {
    std::printf("no AVX-512F: SgemmPacked is not available here\n");
    return 0;
  }
  const Shape shapes[] = {
      {"2048^3", false, false, 2048, 2048, 2048},
      {"2048^3 TN", true, false, 2048, 2048, 2048},
      {"2048^3 NT", false, true, 2048, 2048, 2048},
      {"512^3", false, false, 512, 512, 512},
      {"mlp 64x512x784", false, false, 64, 512, 784},
      {"mlp 64x512x512", false, false, 64, 512, 512},
      {"mlp dW 784x512x64 TN", true, false, 784, 512, 64},
      {"mlp dX 64x784x512 NT", false, true, 64, 784, 512},
      {"cnn dense 64x128x9216", false, false, 64, 128, 9216},
      {"conv 36864x64x288", false, false, 36864, 64, 288},
      {"conv 576x64x288", false, false, 576, 64, 288},
      // Narrow outputs: the classifier heads (10 classes).
      {"softmax 64x10x784", false, false, 64, 10, 784},
      {"mlp head 64x10x512", false, false, 64, 10, 512},
      {"cnn head 64x10x128", false, false, 64, 10, 128},
      {"64x20x784", false, false, 64, 20, 784},
      {"64x33x784", false, false, 64, 33, 784},
      {"64x48x784", false, false, 64, 48, 784},
      {"16x10x784", false, false, 16, 10, 784},
  };
  double load[3] = {0, 0, 0};
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = -1;
    std::fclose(f);
  }
  std::printf("load average at start: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  std::printf("%-24s %3s  %17s  %17s  %17s  %6s\n", "shape", "thr", "packed med/best",
              "oneDNN med/best", "Sgemm med/best", "p/dnnl");
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  for (int threads : thread_counts) {
    ThreadPool pool(threads - 1);
    ThreadPool* p = threads > 1 ? &pool : nullptr;
    for (const Shape& s : shapes) {
      const int64_t lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n, ldc = s.n;
      std::vector<float> a(s.m * s.k), b(s.k * s.n), c(s.m * s.n);
      for (float& x : a) x = d(rng);
      for (float& x : b) x = d(rng);
      const std::function<void()> fns[3] = {
          [&] {
            savedmodel::kernels::SgemmPacked(p, s.ta, s.tb, s.m, s.n, s.k, a.data(), lda, b.data(),
                                             ldb, 0.0f, c.data(), ldc,
                                             savedmodel::kernels::GemmBlockFn());
          },
          [&] { DnnlSgemm(p, s, a.data(), lda, b.data(), ldb, c.data(), ldc); },
          [&] {
            savedmodel::kernels::Sgemm(p, s.ta, s.tb, s.m, s.n, s.k, a.data(), lda, b.data(), ldb,
                                       0.0f, c.data(), ldc);
          }};
      const double flop = 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) *
                          static_cast<double>(s.k);
      // Warm up (oneDNN's code generation, our packing buffers) and size the
      // timed batches to about 50 ms at 100 GFLOP/s.
      for (const auto& fn : fns) fn();
      const int64_t calls = std::max<int64_t>(1, static_cast<int64_t>(5e9 / flop));
      std::vector<double> t[3];
      for (int r = 0; r < reps; ++r) {
        for (int i = 0; i < 3; ++i) t[i].push_back(Time(fns[i], calls));
      }
      double med[3], best[3];
      for (int i = 0; i < 3; ++i) {
        med[i] = flop / Median(t[i]) * 1e-9;
        best[i] = flop / *std::min_element(t[i].begin(), t[i].end()) * 1e-9;
      }
      std::printf("%-24s %3d  %8.1f/%8.1f  %8.1f/%8.1f  %8.1f/%8.1f  %6.2f\n", s.name, threads,
                  med[0], best[0], med[1], best[1], med[2], best[2], med[0] / med[1]);
      std::fflush(stdout);
    }
  }
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = -1;
    std::fclose(f);
  }
  std::printf("load average at end: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  return 0;
}
