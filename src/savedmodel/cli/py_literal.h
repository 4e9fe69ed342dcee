// A parser for the Python literals saved_model_cli's flags take
// (--input_exprs 'x=[[1.0],[2.0]]', --input_examples 'inputs=[{"x":[1.0]}]'):
// numbers (complex ones too, as ast.literal_eval reads them: 2j, -1.5j and one
// real +/- one imaginary literal, 1-2j), strings, True/False/None, lists,
// tuples and dicts. No evaluation.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"

namespace savedmodel::cli {

struct PyValue {
  enum Kind { kNone, kBool, kInt, kFloat, kComplex, kString, kBytes, kList, kDict, kSet } kind = kNone;
  bool b = false;
  int64_t i = 0;
  // An int beyond int64 (Python ints are unbounded): `f` holds its value, `s`
  // its digits; numpy keeps such a value as an object, convertible to float.
  bool big = false;
  double f = 0;     // kFloat; the real part of a kComplex
  double imag = 0;  // kComplex
  std::string s;  // kString, kBytes; the digits of a big int
  std::vector<PyValue> items;                          // kList (lists and tuples), kSet
  bool tuple = false;                                  // a kList written as (...)
  std::vector<std::pair<std::string, PyValue>> fields;  // kDict, keys must be strings

  // Defined out of line, where PyValue is complete: std::pair<.., PyValue>
  // needs that, and clang with libstdc++ otherwise instantiates it too early.
  PyValue();
  PyValue(const PyValue&);
  PyValue(PyValue&&) noexcept;
  PyValue& operator=(const PyValue&);
  PyValue& operator=(PyValue&&) noexcept;
  ~PyValue();
};

StatusOr<PyValue> ParsePyLiteral(std::string_view text);

// A nested list of scalars as a tensor of `dtype`, converted as
// saved_model_cli's feed is (np.asarray(v).astype(dtype) for numbers,
// np.asarray(v, dtype) otherwise): ragged lists, dicts, sets, strings that do
// not read as numbers and None for integers are errors. A complex value fed
// to a real type gives its real part, as numpy's cast does; strings fed to a
// complex type read as Python's complex('1+2j'). Unlike numpy, an
// integer outside `dtype`'s range (or a NaN/inf/out-of-range float fed to an
// integer type) is an error instead of a silently wrapped value.
StatusOr<Tensor> PyValueToTensor(const PyValue& v, DataType dtype);

// A list of {feature: [values]} dicts as serialized tf.Examples, built as
// saved_model_cli's _create_example_string does: the first value's type picks
// float_list (float), bytes_list (str or bytes) or int64_list (int, not bool),
// and every other value must fit that list; anything else is an error.
StatusOr<Tensor> PyValueToExamples(const PyValue& v);

// Python's type name of a value ("float", "dict", ...), for messages.
std::string PyTypeName(const PyValue& v);

}  // namespace savedmodel::cli
