#include "status.h"

#include <new>

namespace py = pybind11;

namespace savedmodel::python {

py::str LenientStr(const std::string& s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
  if (!o) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

void SetPythonError(const Status& status) {
  try {
    py::object errors = py::module_::import("savedmodel.errors");
    py::object cls = errors.attr("exception_type_from_error_code")(static_cast<int>(status.code()));
    py::object exc = cls(py::none(), py::none(), LenientStr(status.message()));
    PyErr_SetObject(cls.ptr(), exc.ptr());
  } catch (py::error_already_set& e) {
    // savedmodel.errors itself failed (a broken install): keep the message
    // rather than lose it behind an ImportError.
    PyErr_SetString(PyExc_RuntimeError, status.ToString().c_str());
  }
}

void RegisterStatusTranslator() {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusError& e) {
      SetPythonError(e.status());
    } catch (const std::bad_alloc& e) {
      SetPythonError(ResourceExhausted(e.what()));
    } catch (const py::cast_error& e) {
      // A value of the wrong Python type met a .cast<>() inside a binding:
      // misuse from Python, which TypeError (not pybind11's RuntimeError) says.
      PyErr_SetString(PyExc_TypeError, e.what());
    }
  });
}

}  // namespace savedmodel::python
