// read_checkpoint: every tensor of a TensorBundle checkpoint as NumPy.
#include <pybind11/stl.h>

#include <memory>
#include <string>

#include "bindings.h"
#include "gil.h"
#include "numpy_tensor.h"
#include "savedmodel/format/bundle/bundle_reader.h"
#include "status.h"

namespace py = pybind11;

namespace savedmodel::python {

void BindCheckpoint(py::module_& m) {
  m.def(
      "read_checkpoint",
      [](const std::string& prefix) {
        StatusOr<std::unique_ptr<bundle::BundleReader>> opened = WithoutGil([&] {
          return bundle::BundleReader::Open(Env::Default(), prefix);
        });
        std::unique_ptr<bundle::BundleReader> reader = ValueOrThrow(std::move(opened));
        py::dict out;
        for (const std::string& key : reader->Keys()) {
          StatusOr<Tensor> t = WithoutGil([&] {
            return reader->Read(key);
          });
          out[py::str(key)] = TensorToPython(ValueOrThrow(std::move(t)));
        }
        return out;
      },
      py::arg("prefix"), "Every tensor of a TensorBundle checkpoint (\"dir/variables/variables\").");
}

}  // namespace savedmodel::python
