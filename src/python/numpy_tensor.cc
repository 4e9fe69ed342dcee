#include "numpy_tensor.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "status.h"

namespace py = pybind11;

namespace savedmodel::python {
namespace {

py::module_ Numpy() { return py::module_::import("numpy"); }

bool NativeByteOrder(const py::dtype& dt) {
  const char order = dt.byteorder();
  return order == '=' || order == '|' || (order == '<') == (PY_LITTLE_ENDIAN != 0);
}

// Drops the array reference a wrapped buffer holds. Runs on whatever thread
// lets go of the last tensor, so it takes the GIL; after the interpreter is
// gone (tensors freed by static destructors at exit) the reference is left.
void ReleaseArray(PyObject* array) {
  if (!Py_IsInitialized()) return;
#if PY_VERSION_HEX >= 0x030D0000
  if (Py_IsFinalizing()) return;
#else
  if (_Py_IsFinalizing()) return;
#endif
  PyGILState_STATE g = PyGILState_Ensure();
  Py_DECREF(array);
  PyGILState_Release(g);
}

Tensor StringTensor(const py::array& arr, const TensorShape& shape) {
  Tensor t = ValueOrThrow(Tensor::Allocate(DT_STRING, shape));
  auto out = t.flat<std::string>();
  // ravel in C order: the flat index of the tensor is the array's C index.
  py::list items = arr.attr("ravel")().attr("tolist")();
  if (static_cast<size_t>(py::len(items)) != out.size()) {
    throw py::value_error("string array changed size while being converted");
  }
  size_t i = 0;
  for (py::handle item : items) {
    if (PyBytes_Check(item.ptr())) {
      out[i++] = std::string(PyBytes_AS_STRING(item.ptr()), PyBytes_GET_SIZE(item.ptr()));
    } else if (PyUnicode_Check(item.ptr())) {
      Py_ssize_t n = 0;
      const char* s = PyUnicode_AsUTF8AndSize(item.ptr(), &n);
      if (!s) throw py::error_already_set();
      out[i++] = std::string(s, n);
    } else {
      throw py::type_error("a string tensor takes bytes or str elements, not " +
                           TypeName(item));
    }
  }
  return t;
}

}  // namespace

DataType DataTypeOfNumpy(const py::dtype& dt) {
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  switch (kind) {
    case 'b': return DT_BOOL;
    case 'i':
      return size == 1 ? DT_INT8 : size == 2 ? DT_INT16 : size == 4 ? DT_INT32 : size == 8 ? DT_INT64 : DT_INVALID;
    case 'u':
      return size == 1 ? DT_UINT8 : size == 2 ? DT_UINT16 : size == 4 ? DT_UINT32 : size == 8 ? DT_UINT64 : DT_INVALID;
    case 'f':
      return size == 2 ? DT_HALF : size == 4 ? DT_FLOAT : size == 8 ? DT_DOUBLE : DT_INVALID;
    case 'c': return size == 8 ? DT_COMPLEX64 : size == 16 ? DT_COMPLEX128 : DT_INVALID;
    case 'O':
    case 'S':
    case 'U': return DT_STRING;
    case 'V':
      // ml_dtypes' bfloat16, when the user has it.
      if (size == 2 && std::string(py::str(dt.attr("name"))) == "bfloat16") return DT_BFLOAT16;
      return DT_INVALID;
    default: return DT_INVALID;
  }
}

StatusOr<py::dtype> NumpyDtypeOf(DataType dtype) {
  const char* name = nullptr;
  switch (BaseType(dtype)) {
    case DT_FLOAT: name = "float32"; break;
    case DT_DOUBLE: name = "float64"; break;
    case DT_INT32: name = "int32"; break;
    case DT_UINT8: name = "uint8"; break;
    case DT_INT16: name = "int16"; break;
    case DT_INT8: name = "int8"; break;
    case DT_STRING: name = "object"; break;
    case DT_COMPLEX64: name = "complex64"; break;
    case DT_INT64: name = "int64"; break;
    case DT_BOOL: name = "bool"; break;
    case DT_BFLOAT16: name = "uint16"; break;
    case DT_UINT16: name = "uint16"; break;
    case DT_COMPLEX128: name = "complex128"; break;
    case DT_HALF: name = "float16"; break;
    case DT_UINT32: name = "uint32"; break;
    case DT_UINT64: name = "uint64"; break;
    default:
      return InvalidArgument("a tensor of type " + DataTypeString(dtype) + " has no NumPy form");
  }
  return py::dtype(name);
}

Tensor TensorFromPython(py::handle value, DataType want, bool cast) {
  want = BaseType(want);
  py::object np_dtype = py::none();
  if (want != DT_INVALID && want != DT_STRING) {
    if (auto d = NumpyDtypeOf(want); d.ok() && want != DT_BFLOAT16) np_dtype = *d;
  }
  py::array arr;
  if (py::isinstance<py::array>(value)) {
    arr = py::reinterpret_borrow<py::array>(value);
    if (cast && !np_dtype.is_none() && DataTypeOfNumpy(arr.dtype()) != want) {
      arr = Numpy().attr("asarray")(arr, np_dtype);
    }
  } else {
    if (PyDict_Check(value.ptr()) || value.is_none()) {
      throw py::type_error("cannot feed a " + TypeName(value) +
                           " as a tensor");
    }
    arr = Numpy().attr("asarray")(value, np_dtype);
  }
  const DataType dtype = DataTypeOfNumpy(arr.dtype());
  if (dtype == DT_INVALID) {
    throw py::type_error("arrays of dtype " + std::string(py::str(arr.dtype())) +
                         " cannot be fed to a tensor");
  }
  std::vector<int64_t> dims(arr.shape(), arr.shape() + arr.ndim());
  TensorShape shape = ValueOrThrow(TensorShape::FromDims(dims));
  if (dtype == DT_STRING) return StringTensor(arr, shape);
  if (!NativeByteOrder(arr.dtype())) {
    arr = arr.attr("astype")(arr.dtype().attr("newbyteorder")("="));
  }
  if (!(arr.flags() & py::array::c_style)) {
    arr = Numpy().attr("ascontiguousarray")(arr);
  }
  const size_t bytes = static_cast<size_t>(shape.num_elements()) * DataTypeSize(dtype);
  void* data = const_cast<void*>(arr.data());
  if (bytes > 0 && reinterpret_cast<uintptr_t>(data) % kExternalTensorAlignment == 0) {
    PyObject* owner = arr.ptr();
    Py_INCREF(owner);
    auto wrapped = Tensor::WrapExternal(dtype, shape, data, bytes, [owner] { ReleaseArray(owner); });
    if (!wrapped.ok()) {
      Py_DECREF(owner);
      ThrowStatus(wrapped.status());
    }
    return std::move(wrapped).value();
  }
  // Empty, or a misaligned buffer (a view at an odd offset): a copy of our own.
  Tensor t = ValueOrThrow(Tensor::Allocate(dtype, shape));
  if (bytes > 0) std::memcpy(t.raw_data(), data, bytes);
  return t;
}

py::object TensorToPython(Tensor t) {
  if (!t.IsInitialized()) ThrowStatus(Internal("the runtime returned an empty tensor"));
  const py::dtype dt = ValueOrThrow(NumpyDtypeOf(t.dtype()));
  std::vector<py::ssize_t> shape(t.shape().dims().begin(), t.shape().dims().end());
  if (BaseType(t.dtype()) == DT_STRING) {
    py::array out(dt, shape);
    auto in = t.flat<std::string>();
    auto** slots = static_cast<PyObject**>(out.mutable_data());
    for (size_t i = 0; i < in.size(); ++i) {
      PyObject* b = PyBytes_FromStringAndSize(in[i].data(), static_cast<Py_ssize_t>(in[i].size()));
      if (!b) throw py::error_already_set();
      Py_XDECREF(slots[i]);  // NumPy filled new object arrays with None
      slots[i] = b;
    }
    return std::move(out);
  }
  const size_t bytes = t.byte_size();
  if (bytes > 0 && t.RefCountIsOne()) {
    auto* owned = new Tensor(std::move(t));
    py::capsule keep(owned, [](void* p) { delete static_cast<Tensor*>(p); });
    return py::array(dt, shape, {}, owned->raw_data(), keep);
  }
  py::array out(dt, shape);
  if (bytes > 0) std::memcpy(out.mutable_data(), t.raw_data(), bytes);
  return std::move(out);
}

}  // namespace savedmodel::python
