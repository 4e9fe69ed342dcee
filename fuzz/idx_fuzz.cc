// Feeds arbitrary bytes to the IDX reader (raw and gzip) through a memory Env.
// The first byte picks the file name so the .gz path is reached directly.
#include <cstddef>
#include <cstdint>
#include <string>

#include "savedmodel/base/env.h"
#include "savedmodel/data/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace savedmodel;
  static Env* env = NewMemEnv().release();
  if (size == 0) return 0;
  const std::string path = (data[0] & 1) ? "f.idx.gz" : "f.idx";
  if (!env->WriteStringToFile(path, std::string(reinterpret_cast<const char*>(data) + 1, size - 1)).ok())
    return 0;
  auto t = ReadIdx(env, path);
  if (t.ok()) (void)t->DebugString(3);
  (void)env->DeleteFile(path);
  return 0;
}
