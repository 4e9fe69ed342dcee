#include "savedmodel/train/freeze.h"

#include <map>
#include <set>

#include "savedmodel/format/tensor_proto.h"
#include "savedmodel/train/saved_model_builder.h"

namespace savedmodel::train {
namespace {

std::string NodeOf(const std::string& input) {
  std::string n = !input.empty() && input[0] == '^' ? input.substr(1) : input;
  size_t colon = n.rfind(':');
  return colon == std::string::npos ? n : n.substr(0, colon);
}

}  // namespace

StatusOr<tensorflow::GraphDef> FreezeSignature(SavedModelBundle& bundle, const std::string& signature_key) {
  ASSIGN_OR_RETURN(const tensorflow::SignatureDef* sig, FindSignatureDef(bundle.meta_graph_def(), signature_key));
  const tensorflow::GraphDef& graph = bundle.meta_graph_def().graph_def();
  std::map<std::string, const tensorflow::NodeDef*> by_name;
  for (const auto& n : graph.node()) by_name[n.name()] = &n;

  std::set<std::string> inputs;
  for (const auto& [_, info] : sig->inputs()) inputs.insert(NodeOf(info.name()));
  // Nodes whose value becomes a constant: TF1 variables and resource reads.
  auto is_variable = [](const tensorflow::NodeDef& n) {
    return n.op() == "VariableV2" || n.op() == "Variable" || n.op() == "ReadVariableOp";
  };

  std::set<std::string> needed;
  std::vector<std::string> stack;
  for (const auto& [_, info] : sig->outputs()) stack.push_back(NodeOf(info.name()));
  while (!stack.empty()) {
    std::string name = stack.back();
    stack.pop_back();
    if (!needed.insert(name).second) continue;
    auto it = by_name.find(name);
    if (it == by_name.end()) return NotFound("freeze: node '" + name + "' is not in the graph");
    if (inputs.count(name) || is_variable(*it->second)) continue;
    for (const auto& in : it->second->input()) stack.push_back(NodeOf(in));
  }

  tensorflow::GraphDef frozen;
  *frozen.mutable_versions() = graph.versions();
  *frozen.mutable_library() = graph.library();
  // A signature input computed inside the graph (half_plus_two's x is an
  // Identity of parsed examples) becomes a Placeholder, as strip_unused does.
  std::map<std::string, const tensorflow::TensorInfo*> input_info;
  for (const auto& [_, info] : sig->inputs()) input_info[NodeOf(info.name())] = &info;
  for (const auto& n : graph.node()) {
    if (!needed.count(n.name())) continue;
    auto in = input_info.find(n.name());
    if (in != input_info.end() && n.op() != "Placeholder") {
      auto* p = frozen.add_node();
      p->set_name(n.name());
      p->set_op("Placeholder");
      (*p->mutable_attr())["dtype"].set_type(in->second->dtype());
      *(*p->mutable_attr())["shape"].mutable_shape() = in->second->tensor_shape();
      continue;
    }
    if (!is_variable(n)) {
      auto* copy = frozen.add_node();
      *copy = n;
      copy->clear_device();
      continue;
    }
    ASSIGN_OR_RETURN(auto value, bundle.session().Run({}, {n.name() + ":0"}));
    auto* c = frozen.add_node();
    c->set_name(n.name());
    c->set_op("Const");
    (*c->mutable_attr())["dtype"].set_type(static_cast<tensorflow::DataType>(value[0].dtype()));
    TensorToProto(value[0], (*c->mutable_attr())["value"].mutable_tensor(), value[0].dtype() != DT_STRING);
  }
  return frozen;
}

Status ResaveBundle(SavedModelBundle& bundle, const std::string& export_dir, const std::vector<std::string>& tags) {
  tensorflow::MetaGraphDef mg = bundle.meta_graph_def();
  std::map<std::string, tensorflow::SignatureDef> sigs(mg.signature_def().begin(), mg.signature_def().end());
  std::vector<AssetSource> assets;
  for (const auto& a : mg.asset_file_def()) {
    assets.push_back({a.tensor_info().name(), JoinPath(bundle.export_dir(), "assets", a.filename())});
  }
  mg.clear_asset_file_def();
  mg.mutable_collection_def()->erase("saved_model_assets");
  SavedModelBuilder builder(export_dir);
  RETURN_IF_ERROR(builder.AddMetaGraphAndVariables(bundle.session(), std::move(mg), tags, sigs, assets));
  return builder.Save();
}

}  // namespace savedmodel::train
