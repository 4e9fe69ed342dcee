// Feeds arbitrary bytes to the table reader as a whole .index file: opening,
// iterating, seeking and point lookups must return statuses, never crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "savedmodel/format/table/table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using savedmodel::table::Table;
  auto t = Table::OpenBytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz.index");
  if (!t.ok()) return 0;
  auto it = (*t)->NewIterator();
  std::string last;
  int n = 0;
  for (it.SeekToFirst(); it.Valid() && n < 100000; it.Next(), ++n) last.assign(it.key());
  (void)it.status();
  for (const char* k : {"", "a", "zzzz"}) {
    it.Seek(k);
    (void)(*t)->Get(k).ok();
  }
  if (!last.empty()) (void)(*t)->Get(last).ok();
  return 0;
}
