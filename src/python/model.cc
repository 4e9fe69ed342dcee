// Model: a loaded SavedModelBundle, run by tensor name or by signature.
#include <pybind11/stl.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bindings.h"
#include "gil.h"
#include "numpy_tensor.h"
#include "run.h"
#include "savedmodel/exec/saved_model_bundle.h"
#include "savedmodel/format/bundle/bundle_reader.h"
#include "status.h"

namespace py = pybind11;

namespace savedmodel::python {
namespace {

py::dict TensorInfoDict(const tensorflow::TensorInfo& info) {
  py::dict d;
  d["name"] = info.name();
  d["dtype"] = static_cast<int>(info.dtype());
  if (!info.has_tensor_shape() || info.tensor_shape().unknown_rank()) {
    d["shape"] = py::none();
  } else {
    py::list dims;
    for (const auto& dim : info.tensor_shape().dim()) dims.append(dim.size() < 0 ? -1 : dim.size());
    d["shape"] = dims;
  }
  return d;
}

class Model {
 public:
  static std::unique_ptr<Model> Load(const std::string& export_dir, const std::vector<std::string>& tags,
                                     int intra, int inter) {
    LoadOptions options;
    options.session.intra_op_threads = intra;
    options.session.inter_op_threads = inter;
    StatusOr<std::unique_ptr<SavedModelBundle>> bundle = WithoutGil([&] {
      return LoadSavedModel(export_dir, tags, options);
    });
    auto m = std::make_unique<Model>();
    m->bundle_ = ValueOrThrow(std::move(bundle));
    return m;
  }

  std::string export_dir() const { return bundle_->export_dir(); }

  std::vector<std::string> tags() const {
    const auto& t = bundle_->meta_graph_def().meta_info_def().tags();
    return {t.begin(), t.end()};
  }

  py::bytes meta_graph_def() const { return py::bytes(bundle_->meta_graph_def().SerializeAsString()); }

  std::vector<std::string> signature_keys() const {
    std::vector<std::string> keys;
    for (const auto& [k, v] : bundle_->meta_graph_def().signature_def()) {
      if (k != kInitOpSignatureKey) keys.push_back(k);
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  const tensorflow::SignatureDef& FindSignature(const std::string& key) const {
    const auto& sigs = bundle_->meta_graph_def().signature_def();
    auto it = sigs.find(key);
    if (it == sigs.end() || key == kInitOpSignatureKey) {
      std::string known;
      for (const auto& k : signature_keys()) known += (known.empty() ? "" : ", ") + k;
      ThrowStatus(NotFound("signature '" + key + "' not found in the SavedModel at " + export_dir() +
                           "; it has: " + (known.empty() ? "(none)" : known)));
    }
    return it->second;
  }

  py::dict signature(const std::string& key) const {
    const auto& sig = FindSignature(key);
    py::dict inputs, outputs;
    for (const auto& [k, v] : sig.inputs()) inputs[py::str(k)] = TensorInfoDict(v);
    for (const auto& [k, v] : sig.outputs()) outputs[py::str(k)] = TensorInfoDict(v);
    py::dict d;
    d["method_name"] = sig.method_name();
    d["inputs"] = inputs;
    d["outputs"] = outputs;
    return d;
  }

  py::list run(const py::dict& feeds, const std::vector<std::string>& fetches,
               const std::vector<std::string>& targets) {
    return RunSession(bundle_->session(), feeds, fetches, targets, /*cast=*/false);
  }

  py::dict predict(const std::string& key, const py::dict& inputs, const std::vector<std::string>& filter) {
    const auto& sig = FindSignature(key);
    std::map<std::string, Tensor> in;
    for (auto [k, value] : inputs) {
      std::string arg = KeyString(k, "signature input names");
      auto info = sig.inputs().find(arg);
      // An unknown arg is left for Predict to report with the others.
      DataType want = info == sig.inputs().end() ? DT_INVALID : static_cast<DataType>(info->second.dtype());
      in.emplace(arg, TensorFromPython(value, want, /*cast=*/false));
    }
    StatusOr<std::map<std::string, Tensor>> out = WithoutGil([&] {
      return bundle_->Predict(key, in, filter);
    });
    in.clear();
    ThrowIfError(out.status());
    py::dict results;
    for (auto& [k, t] : *out) results[py::str(k)] = TensorToPython(std::move(t));
    return results;
  }

  std::vector<std::tuple<std::string, int, std::vector<int64_t>>> variables() {
    std::vector<std::tuple<std::string, int, std::vector<int64_t>>> out;
    const bundle::BundleReader* reader = Reader();
    if (!reader) return out;
    for (const auto& key : reader->Keys()) {
      auto info = reader->Info(key);
      ThrowIfError(info.status());
      out.emplace_back(key, static_cast<int>(info->dtype), info->shape.dims());
    }
    return out;
  }

  py::object read_variable(const std::string& name) {
    const bundle::BundleReader* reader = Reader();
    if (!reader) ThrowStatus(NotFound("the SavedModel at " + export_dir() + " has no variables"));
    if (!reader->Contains(name)) {
      ThrowStatus(NotFound("variable '" + name + "' not found in " + bundle_->data().VariablesPrefix()));
    }
    StatusOr<Tensor> t = WithoutGil([&] {
      return reader->Read(name);
    });
    return TensorToPython(ValueOrThrow(std::move(t)));
  }

 private:
  // The checkpoint, opened on first use (most callers never look at it);
  // null when the model has no variables.
  const bundle::BundleReader* Reader() {
    std::lock_guard<std::mutex> l(reader_mu_);
    if (!reader_checked_) {
      if (bundle_->data().HasVariables(Env::Default())) {
        reader_ = ValueOrThrow(bundle::BundleReader::Open(Env::Default(), bundle_->data().VariablesPrefix()));
      }
      reader_checked_ = true;
    }
    return reader_.get();
  }

  std::unique_ptr<SavedModelBundle> bundle_;
  std::mutex reader_mu_;
  bool reader_checked_ = false;
  std::unique_ptr<bundle::BundleReader> reader_;
};

}  // namespace

void BindModel(py::module_& m) {
  py::class_<Model>(m, "Model", "A loaded SavedModel (SavedModelBundle).")
      .def_static("load", &Model::Load, py::arg("export_dir"),
                  py::arg("tags") = std::vector<std::string>{"serve"}, py::arg("intra_op_threads") = 0,
                  py::arg("inter_op_threads") = 0)
      .def_property_readonly("export_dir", &Model::export_dir)
      .def_property_readonly("tags", &Model::tags)
      .def("meta_graph_def", &Model::meta_graph_def)
      .def("signature_keys", &Model::signature_keys)
      .def("signature", &Model::signature, py::arg("key"))
      .def("run", &Model::run, py::arg("feeds"), py::arg("fetches"),
           py::arg("targets") = std::vector<std::string>{})
      .def("predict", &Model::predict, py::arg("signature_key"), py::arg("inputs"),
           py::arg("output_filter") = std::vector<std::string>{})
      .def("variables", &Model::variables)
      .def("read_variable", &Model::read_variable, py::arg("name"));
}

}  // namespace savedmodel::python
