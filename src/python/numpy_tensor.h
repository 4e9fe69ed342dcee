// NumPy arrays <-> runtime Tensors, sharing buffers where dtype and layout allow.
// All functions need the GIL.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "savedmodel/core/tensor.h"
#include "savedmodel/core/types.h"

namespace savedmodel::python {

// The DataType of a NumPy dtype (object, bytes and str arrays are DT_STRING);
// DT_INVALID when the runtime has no such type.
DataType DataTypeOfNumpy(const pybind11::dtype& dt);

// The NumPy dtype results of `dtype` come out as: bfloat16 as uint16 bits
// (NumPy has no bfloat16), strings as object. InvalidArgument for types that
// have no array form (resource, variant).
StatusOr<pybind11::dtype> NumpyDtypeOf(DataType dtype);

// A Tensor over `value`. Arrays that are C-contiguous, 16-byte aligned and of
// a native-endian supported dtype are adopted in place (the Tensor keeps a
// reference to the array); others are made contiguous first. A non-array
// value (list, scalar) is converted with np.asarray, to `want` when given.
// With `cast` (TF1's session), an array of another dtype is cast to `want`
// as np.asarray(value, dtype=want) does. Raises TypeError for values that are
// not array-like or hold what no tensor can (dicts, objects in a string
// array that are neither bytes nor str).
Tensor TensorFromPython(pybind11::handle value, DataType want = DT_INVALID, bool cast = false);

// An ndarray for `t`. When `t` holds the only reference to its buffer the array
// views it (a capsule keeps the tensor alive), else the values are copied so
// later writes by the runtime (a variable update) never show through.
pybind11::object TensorToPython(Tensor t);

}  // namespace savedmodel::python
