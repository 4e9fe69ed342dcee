#include "session.h"

#include <pybind11/stl.h>

#include <stdexcept>
#include <utility>

#include "bindings.h"
#include "run.h"
#include "savedmodel/graph/function_inline.h"
#include "status.h"

namespace py = pybind11;

namespace savedmodel::python {

PySession::PySession(PyGraphBuilder* builder, int intra_op_threads, int inter_op_threads)
    : builder_(builder) {
  // One pair of pools for every graph version: making threads on each
  // rebuild would cost more than small graphs take to run.
  if (intra_op_threads != 1) intra_pool_ = std::make_shared<ThreadPool>(intra_op_threads);
  if (inter_op_threads != 1) inter_pool_ = std::make_shared<ThreadPool>(inter_op_threads);
  options_.intra_op_threads = intra_op_threads;
  options_.inter_op_threads = inter_op_threads;
  options_.intra_op_pool = intra_pool_.get();
  options_.inter_op_pool = inter_pool_.get();
  resources_ = std::make_shared<ResourceMgr>();
}

std::shared_ptr<PySession::Runtime> PySession::Current() {
  if (closed_) throw std::runtime_error("Attempted to use a closed Session.");
  const int nodes = builder_->graph_def().node_size();
  if (runtime_ && nodes == imported_nodes_) return runtime_;
  tensorflow::GraphDef def = builder_->graph_def();
  auto rt = std::make_shared<Runtime>();
  rt->intra_pool = intra_pool_;
  rt->inter_pool = inter_pool_;
  rt->resources = resources_;
  rt->bundle = bundle_;
  SessionOptions options = options_;
  options.shared_resources = bundle_ ? bundle_->session().resources() : resources_.get();
  StatusOr<std::unique_ptr<Session>> session = [&]() -> StatusOr<std::unique_ptr<Session>> {
    py::gil_scoped_release nogil;
    // TF2 graphs call functions; the runtime runs them inlined, as the loader does.
    RETURN_IF_ERROR(InlineFunctionCalls(&def));
    ASSIGN_OR_RETURN(std::unique_ptr<Graph> graph, Graph::Import(std::move(def)));
    return Session::Create(std::move(graph), options);
  }();
  rt->session = ValueOrThrow(std::move(session));
  runtime_ = std::move(rt);
  imported_nodes_ = nodes;
  return runtime_;
}

py::list PySession::Run(const py::dict& feeds, const std::vector<std::string>& fetches,
                        const std::vector<std::string>& targets) {
  std::shared_ptr<Runtime> rt = Current();
  return RunSession(*rt->session, feeds, fetches, targets, /*cast=*/true);
}

py::bytes PySession::LoadSavedModel(const std::string& export_dir, const std::vector<std::string>& tags) {
  if (closed_) throw std::runtime_error("Attempted to use a closed Session.");
  LoadOptions options;
  options.session = options_;
  StatusOr<std::unique_ptr<SavedModelBundle>> loaded = [&] {
    py::gil_scoped_release nogil;
    return savedmodel::LoadSavedModel(export_dir, tags, options);
  }();
  std::shared_ptr<SavedModelBundle> bundle = ValueOrThrow(std::move(loaded));
  const tensorflow::MetaGraphDef& meta = bundle->meta_graph_def();
  ThrowIfError(builder_->AddGraph(meta.graph_def()));
  // From now on runs see the loaded model's variables and tables (restored,
  // initialized by its init op); the bundle keeps them alive.
  bundle_ = std::move(bundle);
  imported_nodes_ = -1;
  return py::bytes(meta.SerializeAsString());
}

void PySession::Close() {
  runtime_.reset();
  bundle_.reset();
  resources_.reset();
  closed_ = true;
}

void BindSession(py::module_& m) {
  py::class_<PySession>(m, "Session", "A TF1 session over a GraphBuilder's growing graph.")
      .def(py::init([](PyGraphBuilder* b, int intra, int inter) { return std::make_unique<PySession>(b, intra, inter); }),
           py::arg("builder"), py::arg("intra_op_threads") = 0, py::arg("inter_op_threads") = 0,
           py::keep_alive<1, 2>())
      .def("run", &PySession::Run, py::arg("feeds"), py::arg("fetches"),
           py::arg("targets") = std::vector<std::string>{})
      .def("load_saved_model", &PySession::LoadSavedModel, py::arg("export_dir"), py::arg("tags"))
      .def("close", &PySession::Close);
}

}  // namespace savedmodel::python
