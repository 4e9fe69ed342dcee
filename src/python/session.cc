#include "session.h"

#include <pybind11/stl.h>

#include <set>
#include <stdexcept>
#include <utility>

#include "bindings.h"
#include "gil.h"
#include "run.h"
#include "savedmodel/graph/function_inline.h"
#include "tensorflow/core/framework/variable.pb.h"
#include "status.h"

namespace py = pybind11;

namespace savedmodel::python {
namespace {

// The loaded graph's TF1 variables (its "variables" collection), recorded in
// the builder as if made there, so that what Python builds next (an
// optimizer, a saver for a new export) sees them as TF's loader.load lets
// tf.global_variables() see them. Resource variables (TF2) have no VariableV2
// ref to update and are left out.
void RecordVariables(PyGraphBuilder& b, const tensorflow::MetaGraphDef& meta) {
  auto collection = [&](const char* key) {
    std::vector<tensorflow::VariableDef> defs;
    auto it = meta.collection_def().find(key);
    if (it == meta.collection_def().end()) return defs;
    for (const std::string& bytes : it->second.bytes_list().value()) {
      tensorflow::VariableDef def;
      if (def.ParseFromString(bytes)) defs.push_back(std::move(def));
    }
    return defs;
  };
  std::set<std::string> trainable;
  for (const auto& def : collection("trainable_variables")) trainable.insert(def.variable_name());
  std::set<std::string> known;
  for (const auto& v : b.variables()) known.insert(v.variable.name());
  auto output = [&](const std::string& name) {
    auto o = b.FindOutput(name);
    return o.ok() ? *o : train::Output{};
  };
  for (const auto& def : collection("variables")) {
    train::VariableInfo v;
    v.variable = output(def.variable_name());
    if (!v.variable.valid() || !IsRefType(v.variable.dtype) || known.count(v.variable.name())) continue;
    v.initializer = def.initializer_name();
    v.snapshot = output(def.snapshot_name());
    v.initial_value = output(def.initial_value_name());
    // Exports before TF 1.14 leave VariableDef.trainable unset; the collection says it.
    v.trainable = def.trainable() || trainable.count(def.variable_name()) > 0;
    b.AddVariable(std::move(v));
  }
}

}  // namespace

PySession::PySession(PyGraphBuilder* builder, int intra_op_threads, int inter_op_threads)
    : builder_(builder) {
  // One pair of pools for every graph version: making threads on each
  // rebuild would cost more than small graphs take to run.
  if (const int workers = IntraOpWorkers(intra_op_threads); workers > 0) {
    intra_pool_ = std::make_shared<ThreadPool>(workers);
  }
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
  StatusOr<std::unique_ptr<Session>> session = WithoutGil([&]() -> StatusOr<std::unique_ptr<Session>> {
    // TF2 graphs call functions; the runtime runs them inlined, as the loader does.
    RETURN_IF_ERROR(InlineFunctionCalls(&def));
    ASSIGN_OR_RETURN(std::unique_ptr<Graph> graph, Graph::Import(std::move(def)));
    return Session::Create(std::move(graph), options);
  });
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
  StatusOr<std::unique_ptr<SavedModelBundle>> loaded = WithoutGil([&] {
    return savedmodel::LoadSavedModel(export_dir, tags, options);
  });
  std::shared_ptr<SavedModelBundle> bundle = ValueOrThrow(std::move(loaded));
  const tensorflow::MetaGraphDef& meta = bundle->meta_graph_def();
  ThrowIfError(builder_->AddGraph(meta.graph_def()));
  RecordVariables(*builder_, meta);
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
