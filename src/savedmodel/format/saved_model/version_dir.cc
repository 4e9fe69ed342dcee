#include "savedmodel/format/saved_model/version_dir.h"

namespace savedmodel {

int64_t ParseVersionDirName(const std::string& dirname) {
  // 18 digits always fit an int64, so the sum below cannot overflow.
  if (dirname.empty() || dirname.size() > 18) return -1;
  int64_t v = 0;
  for (char c : dirname) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace savedmodel
