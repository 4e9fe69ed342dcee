// Tensors as text: TensorFlow's DebugString for messages, numpy's str() for
// the CLI (so `savedmodel run` prints what saved_model_cli prints).
#pragma once

#include <cstdint>
#include <string>

#include "savedmodel/core/tensor.h"

namespace savedmodel {

// "Tensor<type: float shape: [2] values: 1 2>", at most `max_entries` values,
// flat, each printed as TensorFlow's DebugString does ("%g" that reads back).
std::string TensorDebugString(const Tensor& t, int max_entries = 10);

// The values only, as numpy's str() prints them: "[[1. 2.]\n [3. 4.]]",
// "[[2.5]\n [3. ]]" (shared column width), "[]" when empty, "1.0" for a
// scalar. Above `max_entries` elements (numpy's threshold) each axis shows
// its first and last 3 entries around "...". Lines wrap at 75 columns.
std::string TensorValuesString(const Tensor& t, int64_t max_entries = 1000);

// TensorFlow's Tensor::SummarizeValue(max_entries, print_v2 = true), the text
// tf.print and the StringFormat op show: "[[1 2 3]\n [4 5 6]]", each axis cut
// to its first and last `max_entries` entries around "..." (all when
// negative), strings in double quotes with C escapes.
std::string TensorSummarizeV2(const Tensor& t, int64_t max_entries);

}  // namespace savedmodel
