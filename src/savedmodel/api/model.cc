// The public Model over the runtime's loader (LoadSavedModel) and its
// SavedModelBundle: Predict and Session::Run with the tensors unwrapped.
#include "savedmodel/model.h"

#include <algorithm>
#include <utility>

#include "savedmodel/api/tensor_access.h"
#include "savedmodel/exec/saved_model_bundle.h"

namespace savedmodel::api {

using api_internal::FromInternal;
using api_internal::TensorAccess;

struct Model::Rep {
  std::unique_ptr<SavedModelBundle> bundle;
};

namespace {

TensorInfo ToPublic(const tensorflow::TensorInfo& info) {
  TensorInfo out;
  out.name = info.name();
  out.dtype = static_cast<DType>(static_cast<int>(info.dtype()));
  out.unknown_rank = info.tensor_shape().unknown_rank();
  for (const auto& dim : info.tensor_shape().dim()) out.shape.push_back(dim.size());
  return out;
}

}  // namespace

Model::Model(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

StatusOr<Model> Model::Load(const std::string& export_dir, const std::vector<std::string>& tags,
                            const LoadOptions& options) {
  savedmodel::LoadOptions internal;
  internal.session.intra_op_threads = options.intra_op_threads;
  internal.session.inter_op_threads = options.inter_op_threads;
  internal.confine_file_access = options.confine_file_access;
  internal.allowed_read_paths = options.allowed_read_paths;
  internal.allowed_write_paths = options.allowed_write_paths;
  auto bundle = LoadSavedModel(export_dir, tags, internal);
  if (!bundle.ok()) return FromInternal(bundle.status());
  return Model(std::make_unique<Rep>(Rep{std::move(*bundle)}));
}

const std::string& Model::export_dir() const { return rep_->bundle->export_dir(); }

std::vector<std::string> Model::SignatureKeys() const {
  std::vector<std::string> keys;
  for (const auto& [key, sig] : rep_->bundle->meta_graph_def().signature_def()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());  // the proto map's order is unspecified
  return keys;
}

StatusOr<Signature> Model::GetSignature(const std::string& signature_key) const {
  auto def = FindSignatureDef(rep_->bundle->meta_graph_def(), signature_key);
  if (!def.ok()) return FromInternal(def.status());
  Signature sig;
  sig.method_name = (*def)->method_name();
  for (const auto& [key, info] : (*def)->inputs()) sig.inputs.emplace(key, ToPublic(info));
  for (const auto& [key, info] : (*def)->outputs()) sig.outputs.emplace(key, ToPublic(info));
  return sig;
}

StatusOr<std::map<std::string, Tensor>> Model::Predict(
    const std::string& signature_key, const std::map<std::string, Tensor>& inputs,
    const std::vector<std::string>& output_filter) const {
  std::map<std::string, savedmodel::Tensor> feeds;
  for (const auto& [key, tensor] : inputs) feeds.emplace(key, TensorAccess::Unwrap(tensor));
  auto outputs = rep_->bundle->Predict(signature_key, feeds, output_filter);
  if (!outputs.ok()) return FromInternal(outputs.status());
  std::map<std::string, Tensor> result;
  for (auto& [key, tensor] : *outputs) result.emplace(key, TensorAccess::Wrap(std::move(tensor)));
  return result;
}

StatusOr<std::vector<Tensor>> Model::Run(const std::vector<std::pair<std::string, Tensor>>& feeds,
                                         const std::vector<std::string>& fetches,
                                         const std::vector<std::string>& targets) const {
  std::vector<std::pair<std::string, savedmodel::Tensor>> internal_feeds;
  internal_feeds.reserve(feeds.size());
  for (const auto& [name, tensor] : feeds) internal_feeds.emplace_back(name, TensorAccess::Unwrap(tensor));
  auto outputs = rep_->bundle->session().Run(internal_feeds, fetches, targets);
  if (!outputs.ok()) return FromInternal(outputs.status());
  std::vector<Tensor> result;
  result.reserve(outputs->size());
  for (auto& tensor : *outputs) result.push_back(TensorAccess::Wrap(std::move(tensor)));
  return result;
}

}  // namespace savedmodel::api
