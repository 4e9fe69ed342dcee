// Feeds arbitrary bytes to the .npy reader; whatever parses must also write
// back and re-read to the same dtype and shape (the writer's contract).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "savedmodel/core/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace savedmodel;
  auto t = ReadNpy(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.npy");
  if (!t.ok()) return 0;
  (void)t->DebugString(3);
  auto bytes = WriteNpy(*t);
  if (!bytes.ok()) return 0;  // bfloat16 has no numpy dtype
  auto back = ReadNpy(*bytes, "rewritten.npy");
  // A tensor we wrote must read back: anything else is a reader/writer mismatch.
  if (!back.ok() || back->dtype() != t->dtype() || back->shape() != t->shape()) std::abort();
  return 0;
}
