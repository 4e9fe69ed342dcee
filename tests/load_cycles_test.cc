// 1,000 load / predict / unload cycles of one SavedModel. Under the ASan build
// LeakSanitizer checks at exit that nothing a load allocates outlives its
// bundle; in ordinary builds resident memory must stay flat: what it is after
// cycle 100 (allocator pools warmed up) it still is, within a small slack for
// allocator fragmentation, after cycle 1,000.
#include <unistd.h>

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "half_plus_two_model.h"
#include "savedmodel/exec/saved_model_bundle.h"
#include "test_util.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SAVEDMODEL_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SAVEDMODEL_SANITIZED 1
#endif
#endif

namespace savedmodel {
namespace {

// Resident set size from /proc/self/statm (Linux); -1 where unavailable.
long ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  long size = 0, resident = 0;
  const int n = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * sysconf(_SC_PAGESIZE) : -1;
}

TEST(LoadCyclesTest, ThousandLoadUnloadCyclesLeakNothing) {
  testing::TempDir tmp;
  const std::string dir = (tmp.path() / "half_plus_two").string();
  ASSERT_TRUE(testing::WriteHalfPlusTwo(dir).ok());

  constexpr int kCycles = 1000;
  long rss_at_100 = -1, rss_at_end = -1;
  for (int i = 1; i <= kCycles; ++i) {
    auto bundle = LoadSavedModel(dir, {"serve"});
    ASSERT_TRUE(bundle.ok()) << "cycle " << i << ": " << bundle.status();
    auto out = (*bundle)->Predict("serving_default", {{"x", Tensor::FromVector<float>({1, 2, 5})}});
    ASSERT_TRUE(out.ok()) << "cycle " << i << ": " << out.status();
    auto y = out->at("y").flat<float>();
    ASSERT_EQ(y.size(), 3u);
    ASSERT_EQ(y[0], 2.5f);
    ASSERT_EQ(y[2], 4.5f);
    bundle->reset();
    if (i == 100) rss_at_100 = ResidentBytes();
  }
  rss_at_end = ResidentBytes();
#ifdef SAVEDMODEL_SANITIZED
  // Quarantine and shadow memory make RSS meaningless here; LeakSanitizer
  // checks for leaks when the process exits.
  std::printf("sanitizer build: RSS not checked (%ld -> %ld bytes)\n", rss_at_100, rss_at_end);
#else
  if (rss_at_100 < 0 || rss_at_end < 0) GTEST_SKIP() << "no /proc/self/statm";
  // Each load allocates tens of KiB (graph, plan, kernels, variables): keeping
  // any of that bulk 900 times exceeds 4 MiB. Small leaks are LSan's to find.
  const long growth = rss_at_end - rss_at_100;
  EXPECT_LT(growth, 4L << 20) << "RSS after cycle 100: " << rss_at_100 << " bytes, after " << kCycles
                              << ": " << rss_at_end;
  std::printf("RSS after cycle 100: %ld bytes, after %d: %ld (growth %ld)\n", rss_at_100, kCycles,
              rss_at_end, growth);
#endif
}

}  // namespace
}  // namespace savedmodel
