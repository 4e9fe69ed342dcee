// sgemm side by side: ours (kernels::Sgemm: our small-m kernels or oneDNN,
// split across our pool), our small-m kernels forced at every m (to find
// where oneDNN starts to win),
// oneDNN called directly with its own OpenMP threads, OpenBLAS (when the build
// found it; its own threads) and Eigen (as the library compiles it, split over
// our pool; and compiled for AVX-512 with its own OpenMP threads), on 2048^3
// and the shapes of the MNIST MLP (batch 1, 8, 16, 32 and 64) and CNN.
//
//   build/bench/gemm_bench [--threads N] [--budget SECONDS_PER_CELL] [--rounds R]
//                          [--shape MxNxK]...
//
// Each cell is the best of as many runs as fit in the budget, over R rounds
// that each measure every library in turn (the machine is shared: the
// minimum is the number least disturbed by other work, and rounds spread each
// library over the same stretch of time); the median of the round with the
// best run is printed beside it. GFLOP/s counts 2*m*n*k per product.
#include <Eigen/Core>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gemm_bench_eigen.h"
#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/math/gemm.h"
#include "savedmodel/kernels/math/sgemm_small_f32.h"

#ifdef SAVEDMODEL_BENCH_OPENBLAS
#include <cblas.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

struct Shape {
  int64_t m, n, k;
  const char* what;
};

struct Timing {
  double best_us = 0, median_us = 0;
};

Timing Time(const std::function<void()>& fn, double budget_s) {
  fn();  // first call outside the timing: page faults, lazily generated code
  std::vector<double> us;
  const auto start = Clock::now();
  while (us.size() < 3 ||
         (std::chrono::duration<double>(Clock::now() - start).count() < budget_s &&
          us.size() < 10000)) {
    const auto t0 = Clock::now();
    fn();
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  return {us.front(), us[us.size() / 2]};
}

struct Impl {
  std::string name;
  std::function<void(const Shape&, const float*, const float*, float*)> run;
  int64_t max_m = INT64_MAX;  // larger shapes are not measured ("-")
};

int CountThreads() {
  int n = 0;
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f)) {
      if (std::strncmp(line, "Threads:", 8) == 0) n = std::atoi(line + 8);
    }
    std::fclose(f);
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2;
  double budget = 1.0;
  int rounds = 3;
  std::vector<Shape> shapes;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (arg == "--budget" && i + 1 < argc) {
      budget = std::atof(argv[++i]);
    } else if (arg == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--shape" && i + 1 < argc) {
      long long m, n, k;
      if (std::sscanf(argv[++i], "%lldx%lldx%lld", &m, &n, &k) != 3 || m <= 0 || n <= 0 || k <= 0) {
        std::fprintf(stderr, "gemm_bench: --shape wants MxNxK with positive sizes, got %s\n",
                     argv[i]);
        return 2;
      }
      shapes.push_back({m, n, k, "given"});
    } else {
      std::fprintf(stderr,
                   "usage: gemm_bench [--threads N] [--budget SECONDS_PER_CELL] [--rounds R] "
                   "[--shape MxNxK]...\n");
      return 2;
    }
  }
  if (threads < 1) threads = 1;
  if (shapes.empty()) {
    shapes = {{2048, 2048, 2048, "square"},
              {64, 512, 784, "MLP dense 1, batch 64"},
              {64, 512, 512, "MLP dense 2, batch 64"},
              {64, 10, 512, "MLP logits, batch 64"},
              {1, 512, 784, "MLP dense 1, batch 1"},
              {1, 512, 512, "MLP dense 2, batch 1"},
              {1, 10, 512, "MLP logits, batch 1"},
              {8, 512, 784, "MLP dense 1, batch 8"},
              {16, 512, 784, "MLP dense 1, batch 16"},
              {32, 512, 784, "MLP dense 1, batch 32"},
              {36864, 64, 288, "CNN conv 2 as im2col, batch 64"}};
  }

  // Cold start: the first products in the process. A small one runs on
  // precompiled code; the first larger one pays oneDNN's code generation.
  {
    std::vector<float> a(64 * 784, 0.5f), b(784 * 512, 0.5f), c(64 * 512);
    auto t0 = Clock::now();
    savedmodel::kernels::Sgemm(nullptr, false, false, 1, 512, 784, a.data(), 784, b.data(), 512,
                               0.0f, c.data(), 512);
    std::printf("first Sgemm in the process, 1x512x784 (no code generation): %.3f ms\n",
                std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    t0 = Clock::now();
    savedmodel::kernels::Sgemm(nullptr, false, false, 64, 512, 784, a.data(), 784, b.data(), 512,
                               0.0f, c.data(), 512);
    std::printf("first Sgemm, 64x512x784 (oneDNN code generation): %.1f ms\n",
                std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }

  // Our pool: `threads` threads in all, the caller being one of them, as a
  // session with intra_op_threads = `threads` has (ThreadPool(n) has n
  // workers besides the caller; ThreadPool(0) would be one per CPU).
  std::unique_ptr<savedmodel::ThreadPool> owned_pool;
  if (threads > 1) owned_pool = std::make_unique<savedmodel::ThreadPool>(threads - 1);
  savedmodel::ThreadPool* const pool = owned_pool.get();
  std::vector<Impl> impls;
  impls.push_back({"ours", [&](const Shape& s, const float* a, const float* b, float* c) {
                     savedmodel::kernels::Sgemm(pool, false, false, s.m, s.n, s.k, a, s.k, b,
                                                s.n, 0.0f, c, s.n);
                   }});
  // The small-m kernels at any m, split by columns across our pool as
  // Sgemm splits them (blocks of whole 16-float vectors).
  impls.push_back({"ours-small", [&](const Shape& s, const float* a, const float* b, float* c) {
                     const int64_t per = (s.n + threads - 1) / threads;
                     const int64_t cols = std::min<int64_t>(s.n, (per + 15) / 16 * 16);
                     savedmodel::ParallelFor(pool, (s.n + cols - 1) / cols, 1,
                                             [&](int64_t first, int64_t last) {
                       for (int64_t blk = first; blk < last; ++blk) {
                         const int64_t j0 = blk * cols, w = std::min(cols, s.n - j0);
                         savedmodel::kernels::SgemmSmall(false, false, s.m, w, s.k, a, s.k, b + j0,
                                                         s.n, 0.0f, c + j0, s.n);
                       }
                     });
                   },
                   /*max_m=*/64});
  impls.push_back({"onednn", [&](const Shape& s, const float* a, const float* b, float* c) {
                     // Its own OpenMP team on this thread, as a program calling it directly has.
                     omp_set_num_threads(threads);
                     dnnl_sgemm('N', 'N', s.m, s.n, s.k, 1.0f, a, s.k, b, s.n, 0.0f, c, s.n);
                   }});
#ifdef SAVEDMODEL_BENCH_OPENBLAS
  openblas_set_num_threads(threads);
  impls.push_back({"openblas", [&](const Shape& s, const float* a, const float* b, float* c) {
                     cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.m, s.n, s.k, 1.0f,
                                 a, s.k, b, s.n, 0.0f, c, s.n);
                   }});
#endif
  // Eigen as the library compiles it (generic x86-64: SSE2), split by rows
  // across our pool: what MatMul ran before Sgemm.
  impls.push_back({"eigen-sse2", [&](const Shape& s, const float* a, const float* b, float* c) {
                     using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
                     Eigen::Map<const Mat> A(a, s.m, s.k), B(b, s.k, s.n);
                     Eigen::Map<Mat> C(c, s.m, s.n);
                     const int64_t rows = std::max<int64_t>(1, (s.m + threads - 1) / threads);
                     savedmodel::ParallelFor(pool, (s.m + rows - 1) / rows, 1,
                                             [&](int64_t first, int64_t last) {
                       for (int64_t blk = first; blk < last; ++blk) {
                         const int64_t r0 = blk * rows, r = std::min(rows, s.m - r0);
                         C.middleRows(r0, r).noalias() = A.middleRows(r0, r) * B;
                       }
                     });
                   }});
  if (gemm_bench::EigenAvx512Supported()) {
    impls.push_back({"eigen-avx512", [&](const Shape& s, const float* a, const float* b, float* c) {
                       gemm_bench::EigenAvx512(threads, s.m, s.n, s.k, a, b, c);
                     }});
  }

  std::printf("threads: %d, budget per cell: %.2f s in %d rounds; GFLOP/s from the best run "
              "(median in us)\n\n",
              threads, budget, rounds);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<std::vector<float>> as, bs, cs;
  for (const Shape& s : shapes) {
    as.emplace_back(s.m * s.k);
    bs.emplace_back(s.k * s.n);
    cs.emplace_back(s.m * s.n);
    for (float& x : as.back()) x = d(rng);
    for (float& x : bs.back()) x = d(rng);
  }
  // One implementation at a time over every shape, with a pause between
  // them: a library's threads spin for a while after each call, and would
  // otherwise take cores from the next one measured.
  std::vector<std::vector<Timing>> timings(impls.size(), std::vector<Timing>(shapes.size()));
  for (int round = 0; round < rounds; ++round) {
    for (size_t i = 0; i < impls.size(); ++i) {
      for (size_t j = 0; j < shapes.size(); ++j) {
        if (shapes[j].m > impls[i].max_m) continue;
        const Timing t = Time(
            [&] { impls[i].run(shapes[j], as[j].data(), bs[j].data(), cs[j].data()); },
            budget / rounds);
        if (round == 0 || t.best_us < timings[i][j].best_us) timings[i][j] = t;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  std::printf("%-16s %-32s", "m x n x k", "shape");
  for (const Impl& impl : impls) std::printf(" %20s", impl.name.c_str());
  std::printf(" %14s\n", "ours/best peer");
  for (size_t j = 0; j < shapes.size(); ++j) {
    const Shape& s = shapes[j];
    const double flops = 2.0 * static_cast<double>(s.m) * s.n * s.k;
    char dims[64];
    std::snprintf(dims, sizeof dims, "%lldx%lldx%lld", static_cast<long long>(s.m),
                  static_cast<long long>(s.n), static_cast<long long>(s.k));
    std::printf("%-16s %-32s", dims, s.what);
    double ours = 0, best_peer = 0;
    for (size_t i = 0; i < impls.size(); ++i) {
      if (s.m > impls[i].max_m) {
        std::printf(" %20s", "-");
        continue;
      }
      const double gflops = flops / (timings[i][j].best_us * 1e3);
      char cell[64];
      std::snprintf(cell, sizeof cell, "%.1f (%.0f us)", gflops, timings[i][j].median_us);
      std::printf(" %20s", cell);
      if (impls[i].name == "ours") ours = gflops;
      else if (impls[i].name != "ours-small") best_peer = std::max(best_peer, gflops);
    }
    std::printf(" %14.2f\n", ours / best_peer);
  }
  std::printf("\nthreads in the process at the end: %d\n", CountThreads());
  return 0;
}
