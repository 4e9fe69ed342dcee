#include "savedmodel/exec/object_graph_restore.h"

#include <map>
#include <set>

#include "savedmodel/format/bundle/bundle_reader.h"
#include "savedmodel/kernels/state/resource_variable.h"
#include "tensorflow/core/protobuf/trackable_object_graph.pb.h"

namespace savedmodel {
namespace {

constexpr char kObjectGraphKey[] = "_CHECKPOINTABLE_OBJECT_GRAPH";
constexpr char kVariableValue[] = "VARIABLE_VALUE";

std::string NodeOf(const std::string& input) { return input.substr(0, input.find(':')); }

// VarHandleOp node name -> object id, from the graph's calls of concrete
// functions and their bound inputs.
StatusOr<std::map<std::string, int>> CapturedHandles(const tensorflow::MetaGraphDef& meta) {
  const auto& objects = meta.object_graph_def();
  std::map<std::string, const tensorflow::NodeDef*> by_name;
  for (const auto& n : meta.graph_def().node()) by_name[n.name()] = &n;
  std::map<std::string, int> handles;
  for (const auto& n : meta.graph_def().node()) {
    auto f = n.attr().find("f");
    if (f == n.attr().end() || !f->second.has_func()) continue;
    auto fn = objects.concrete_functions().find(f->second.func().name());
    if (fn == objects.concrete_functions().end()) continue;
    std::vector<std::string> data_inputs;
    for (const auto& in : n.input()) {
      if (in.empty() || in[0] != '^') data_inputs.push_back(in);
    }
    const auto& bound = fn->second.bound_inputs();
    if (bound.size() > static_cast<int>(data_inputs.size())) {
      return InvalidArgument("node '" + n.name() + "' calls '" + fn->first + "' with " +
                             std::to_string(data_inputs.size()) + " inputs, but the object graph binds " +
                             std::to_string(bound.size()) + " captures");
    }
    const size_t first = data_inputs.size() - bound.size();
    for (int k = 0; k < bound.size(); ++k) {
      const int id = bound[k];
      if (id < 0 || id >= objects.nodes_size()) {
        return InvalidArgument("concrete function '" + fn->first + "' binds object " + std::to_string(id) +
                               ", which the object graph lacks");
      }
      if (objects.nodes(id).kind_case() != tensorflow::SavedObject::kVariable) continue;
      auto producer = by_name.find(NodeOf(data_inputs[first + k]));
      if (producer == by_name.end() || producer->second->op() != "VarHandleOp") continue;
      handles.emplace(producer->first, id);
    }
  }
  return handles;
}

}  // namespace

bool HasObjectGraphVariables(const tensorflow::MetaGraphDef& meta) {
  for (const auto& node : meta.object_graph_def().nodes()) {
    if (node.kind_case() == tensorflow::SavedObject::kVariable) return true;
  }
  return false;
}

Status RestoreFromObjectGraph(Env* env, const tensorflow::MetaGraphDef& meta, const std::string& prefix,
                              Session* session) {
  ASSIGN_OR_RETURN(auto handles, CapturedHandles(meta));
  if (handles.empty()) return Status::OK();
  ASSIGN_OR_RETURN(auto reader, bundle::BundleReader::Open(env, prefix));
  if (!reader->Contains(kObjectGraphKey)) return Status::OK();  // a TF1-style checkpoint
  ASSIGN_OR_RETURN(Tensor graph_tensor, reader->Read(kObjectGraphKey));
  if (graph_tensor.dtype() != DT_STRING || graph_tensor.num_elements() != 1) {
    return DataLoss(std::string(kObjectGraphKey) + " in " + prefix + " is not a string scalar");
  }
  tensorflow::TrackableObjectGraph checkpointed;
  if (!checkpointed.ParseFromString(graph_tensor.flat<std::string>()[0])) {
    return DataLoss(std::string(kObjectGraphKey) + " in " + prefix + " does not parse");
  }

  for (const auto& [handle_node, id] : handles) {
    if (id >= checkpointed.nodes_size()) continue;  // saved after the checkpoint was written
    std::string key;
    for (const auto& attr : checkpointed.nodes(id).attributes()) {
      if (attr.name() == kVariableValue) key = attr.checkpoint_key();
    }
    if (key.empty() || !reader->Contains(key)) continue;
    ASSIGN_OR_RETURN(auto fetched, session->RunValues({}, {handle_node + ":0"}));
    auto variable = std::dynamic_pointer_cast<ResourceVariable>(fetched[0].resource);
    if (!variable) return Internal("node '" + handle_node + "' did not yield a resource variable");
    if (variable->var().initialized()) continue;  // the restore function already set it
    ASSIGN_OR_RETURN(Tensor value, reader->Read(key));
    if (value.dtype() != variable->dtype()) {
      return InvalidArgument("checkpoint value '" + key + "' has type " + DataTypeString(value.dtype()) +
                             " but variable '" + variable->name() + "' holds " +
                             DataTypeString(variable->dtype()));
    }
    variable->var().set_value(std::move(value));
  }
  return Status::OK();
}

}  // namespace savedmodel
