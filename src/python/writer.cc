// Writing SavedModels: SavedModelBuilder and simple_save over a Python
// Session and GraphBuilder.
#include <pybind11/stl.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bindings.h"
#include "gil.h"
#include "run.h"
#include "savedmodel/train/saved_model_builder.h"
#include "savedmodel/train/saver.h"
#include "session.h"
#include "status.h"

namespace py = pybind11;

namespace savedmodel::python {
namespace {

std::map<std::string, train::Output> Outputs(PyGraphBuilder& b, const py::handle& names, const char* what) {
  std::map<std::string, train::Output> out;
  if (!py::isinstance<py::dict>(names)) {
    throw py::type_error(std::string(what) + " must be a dict of key -> tensor name");
  }
  for (auto [k, v] : py::reinterpret_borrow<py::dict>(names)) {
    out[KeyString(k, what)] = ValueOrThrow(b.FindOutput(KeyString(v, what)));
  }
  return out;
}

std::map<std::string, tensorflow::SignatureDef> Signatures(PyGraphBuilder& b, const py::dict& specs) {
  std::map<std::string, tensorflow::SignatureDef> out;
  for (auto [key, spec] : specs) {
    std::string k = KeyString(key, "signature keys");
    if (!py::isinstance<py::dict>(spec)) throw py::type_error("signature '" + k + "' must be a dict");
    auto d = py::reinterpret_borrow<py::dict>(spec);
    py::object empty = py::dict();
    tensorflow::SignatureDef sig =
        train::PredictSignature(Outputs(b, d.contains("inputs") ? d["inputs"] : empty, "signature inputs"),
                                Outputs(b, d.contains("outputs") ? d["outputs"] : empty, "signature outputs"));
    if (d.contains("method_name")) sig.set_method_name(KeyString(d["method_name"], "method_name"));
    out[k] = std::move(sig);
  }
  return out;
}

std::vector<train::AssetSource> Assets(const std::vector<std::pair<std::string, std::string>>& assets) {
  std::vector<train::AssetSource> out;
  for (const auto& [tensor, path] : assets) out.push_back({tensor, path});
  return out;
}

tensorflow::SaverDef SaverFor(PyGraphBuilder& b, const std::optional<py::bytes>& saver_def) {
  tensorflow::SaverDef saver;
  if (saver_def) {
    if (!saver.ParseFromString(std::string(*saver_def))) {
      ThrowStatus(InvalidArgument("saver_def is not a serialized SaverDef"));
    }
    return saver;
  }
  // TF's builder makes a Saver over every variable when given none, allowing
  // an empty one: a graph without variables saves no checkpoint at all.
  if (b.variables().empty()) return saver;
  saver = train::AddSaver(b);
  Status s = b.status();
  b.ClearStatus();
  ThrowIfError(s);
  return saver;
}

class PySavedModelBuilder {
 public:
  explicit PySavedModelBuilder(const std::string& export_dir) : export_dir_(export_dir) {
    while (export_dir_.size() > 1 && export_dir_.back() == '/') export_dir_.pop_back();
    // Refused here, as TF's Builder refuses in its constructor, not at save().
    ThrowIfError(train::CheckExportDirIsNew(Env::Default(), export_dir));
    builder_ = std::make_unique<train::SavedModelBuilder>(export_dir);
  }

  void AddMetaGraphAndVariables(PySession& session, PyGraphBuilder& b, const std::vector<std::string>& tags,
                                const py::dict& signature_def_map, const std::string& main_op,
                                const std::optional<py::bytes>& saver_def,
                                const std::vector<std::pair<std::string, std::string>>& assets) {
    auto sigs = Signatures(b, signature_def_map);
    tensorflow::SaverDef saver = SaverFor(b, saver_def);
    tensorflow::MetaGraphDef mg = train::MetaGraphFromBuilder(b, saver);
    if (saver.restore_op_name().empty()) mg.clear_saver_def();  // as TF writes a variable-less graph
    // The save op runs in the session, which must see the saver just added.
    auto rt = session.Current();
    auto asset_list = Assets(assets);
    ThrowIfError(WithoutGil(
        [&] { return builder_->AddMetaGraphAndVariables(*rt->session, std::move(mg), tags, sigs, asset_list, main_op); }));
  }

  void AddMetaGraph(PyGraphBuilder& b, const std::vector<std::string>& tags, const py::dict& signature_def_map,
                    const std::string& main_op, const std::optional<py::bytes>& saver_def,
                    const std::vector<std::pair<std::string, std::string>>& assets) {
    auto sigs = Signatures(b, signature_def_map);
    tensorflow::SaverDef saver = SaverFor(b, saver_def);
    ThrowIfError(builder_->AddMetaGraph(train::MetaGraphFromBuilder(b, saver), tags, sigs, Assets(assets), main_op));
  }

  std::string Save(bool as_text) {
    if (saved_path_) ThrowStatus(FailedPrecondition("save() was already called"));
    ThrowIfError(WithoutGil([&] { return builder_->Save(as_text); }));
    saved_path_ = export_dir_path(as_text);
    return *saved_path_;
  }

 private:
  std::string export_dir_path(bool as_text) const {
    return export_dir_ + (as_text ? "/saved_model.pbtxt" : "/saved_model.pb");
  }

  std::string export_dir_;
  std::unique_ptr<train::SavedModelBuilder> builder_;
  std::optional<std::string> saved_path_;
};

}  // namespace

void BindWriter(py::module_& m) {
  using Assets = std::vector<std::pair<std::string, std::string>>;
  py::class_<PySavedModelBuilder>(m, "SavedModelBuilder", "tf.compat.v1.saved_model.Builder")
      .def(py::init<const std::string&>(), py::arg("export_dir"))
      .def("add_meta_graph_and_variables", &PySavedModelBuilder::AddMetaGraphAndVariables, py::arg("session"),
           py::arg("builder"), py::arg("tags"), py::arg("signature_def_map"), py::arg("main_op") = "",
           py::arg("saver_def") = py::none(), py::arg("assets") = Assets{})
      .def("add_meta_graph", &PySavedModelBuilder::AddMetaGraph, py::arg("builder"), py::arg("tags"),
           py::arg("signature_def_map"), py::arg("main_op") = "", py::arg("saver_def") = py::none(),
           py::arg("assets") = Assets{})
      .def("save", &PySavedModelBuilder::Save, py::arg("as_text") = false);

  m.def(
      "simple_save",
      [](PySession& session, PyGraphBuilder& b, const std::string& export_dir, const py::dict& inputs,
         const py::dict& outputs) {
        // Before the saver goes into the graph, as TF's simple_save fails first.
        ThrowIfError(train::CheckExportDirIsNew(Env::Default(), export_dir));
        auto in = Outputs(b, inputs, "inputs");
        auto out = Outputs(b, outputs, "outputs");
        tensorflow::SaverDef saver = SaverFor(b, std::nullopt);
        auto rt = session.Current();
        ThrowIfError(WithoutGil([&] { return train::SimpleSave(*rt->session, b, saver, export_dir, in, out); }));
      },
      py::arg("session"), py::arg("builder"), py::arg("export_dir"), py::arg("inputs"), py::arg("outputs"));
}

}  // namespace savedmodel::python
