// Input = index length (fixed32 LE) + index file + data shard. Both go into a
// memory Env and every tensor is listed and read; errors are fine, crashes,
// sanitizer reports and huge allocations are not.
#include <cstddef>
#include <cstdint>
#include <string>

#include "savedmodel/base/coding.h"
#include "savedmodel/base/env.h"
#include "savedmodel/format/bundle/bundle_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace savedmodel;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  uint32_t index_len = 0;
  if (!GetFixed32(&in, &index_len) || index_len > in.size()) return 0;
  auto env = NewMemEnv();
  if (!env->WriteStringToFile("b.index", in.substr(0, index_len)).ok()) return 0;
  if (!env->WriteStringToFile("b.data-00000-of-00001", in.substr(index_len)).ok()) return 0;
  auto r = bundle::BundleReader::Open(env.get(), "b");
  if (!r.ok()) return 0;
  for (const auto& key : (*r)->Keys()) {
    (void)(*r)->Info(key).ok();
    auto t = (*r)->Read(key);
    if (t.ok()) (void)t->DebugString(3);
  }
  for (const auto& [key, entry] : (*r)->entries()) (void)(*r)->EntryBytes(key).ok();
  return 0;
}
