// savedmodel._core: the runtime as a Python extension. The contract is
// python/savedmodel/_core.pyi; savedmodel/__init__.py builds the public API on it.
#include <pybind11/pybind11.h>

#include "bindings.h"
#include "status.h"

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
  m.doc() = "The savedmodel C++ runtime (see savedmodel/_core.pyi)";
  m.attr("__version__") = SAVEDMODEL_VERSION;
  savedmodel::python::RegisterStatusTranslator();
  savedmodel::python::BindModel(m);
  savedmodel::python::BindGraph(m);
  savedmodel::python::BindSession(m);
  savedmodel::python::BindWriter(m);
  savedmodel::python::BindCheckpoint(m);
}
