// Writes TF Serving's half_plus_two as a TF1 SavedModel with our own builder:
// y = a * x + b with variables a = 0.5, b = 2, signature "serving_default"
// (x -> y). Loading it takes every step of a real load (variables restored
// through the SaverDef's restore op, signature planned), and no test depends
// on ../shared being present.
#pragma once

#include <string>

#include "savedmodel/base/status.h"

namespace savedmodel::testing {

// Writes the model into `export_dir`, which must not exist yet.
Status WriteHalfPlusTwo(const std::string& export_dir);

}  // namespace savedmodel::testing
