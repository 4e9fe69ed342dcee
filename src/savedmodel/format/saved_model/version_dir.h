// TF Serving's layout of a model's versions: numbered subdirectories of a
// base path (base/123/saved_model.pb). Shared by the server's version polling,
// `savedmodel show`'s metadata and the trainer's choice of the next version.
#pragma once

#include <cstdint>
#include <string>

namespace savedmodel {

// The version number TF Serving gives a version directory ("00000123" -> 123),
// or -1 when `dirname` is not all digits (or too long to be an int64).
int64_t ParseVersionDirName(const std::string& dirname);

}  // namespace savedmodel
