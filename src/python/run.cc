#include "run.h"

#include <utility>

#include "gil.h"
#include "numpy_tensor.h"
#include "status.h"

namespace py = pybind11;

namespace savedmodel::python {

DataType TensorDtype(const Graph& graph, const std::string& name) {
  auto ref = graph.ParseTensorName(name);
  if (!ref.ok()) return DT_INVALID;
  const Node& node = graph.node(ref->node);
  if (ref->index < 0 || ref->index >= node.num_outputs()) return DT_INVALID;
  return node.output_types[ref->index];
}

std::string KeyString(py::handle key, const char* what) {
  if (!py::isinstance<py::str>(key)) {
    throw py::type_error(std::string(what) + " must be str, not " +
                         TypeName(key));
  }
  return key.cast<std::string>();
}

py::list RunSession(Session& session, const py::dict& feeds, const std::vector<std::string>& fetches,
                    const std::vector<std::string>& targets, bool cast) {
  std::vector<std::pair<std::string, Tensor>> in;
  in.reserve(feeds.size());
  for (auto [key, value] : feeds) {
    std::string name = KeyString(key, "feed keys (tensor names)");
    in.emplace_back(name, TensorFromPython(value, TensorDtype(session.graph(), name), cast));
  }
  StatusOr<std::vector<Tensor>> out = WithoutGil([&] {
    return session.Run(in, fetches, targets);
  });
  in.clear();
  ThrowIfError(out.status());
  py::list results;
  for (Tensor& t : *out) results.append(TensorToPython(std::move(t)));
  return results;
}

}  // namespace savedmodel::python
