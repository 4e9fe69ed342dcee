// A parser for the Python literals saved_model_cli's flags take
// (--input_exprs 'x=[[1.0],[2.0]]', --input_examples 'inputs=[{"x":[1.0]}]'):
// numbers, strings, True/False/None, lists, tuples and dicts. No evaluation.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"

namespace savedmodel::cli {

struct PyValue {
  enum Kind { kNone, kBool, kInt, kFloat, kString, kList, kDict } kind = kNone;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<PyValue> items;                          // kList (lists and tuples)
  std::vector<std::pair<std::string, PyValue>> fields;  // kDict, keys must be strings
};

StatusOr<PyValue> ParsePyLiteral(std::string_view text);

// A nested list of scalars as a tensor of `dtype` (rectangular, like np.array).
StatusOr<Tensor> PyValueToTensor(const PyValue& v, DataType dtype);

// A list of {feature: [values]} dicts as serialized tf.Examples: floats become
// float_list, ints int64_list, strings bytes_list.
StatusOr<Tensor> PyValueToExamples(const PyValue& v);

}  // namespace savedmodel::cli
