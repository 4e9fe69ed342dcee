// Reads the strings out of a pickled numpy object array, as np.save writes one
// for an array of bytes or str (e.g. serialized tf.Examples). A restricted
// pickle machine: it builds plain values only, calls nothing, and treats
// GLOBAL/REDUCE/BUILD as opaque markers, so hostile input cannot run code.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "savedmodel/base/status.h"

namespace savedmodel {

// The array's elements in C order (bytes as is, str as UTF-8). Fails unless the
// pickle is an ndarray whose element list holds `expected_count` bytes/str items.
StatusOr<std::vector<std::string>> UnpickleObjectArrayStrings(std::string_view pickle,
                                                              int64_t expected_count);

}  // namespace savedmodel
