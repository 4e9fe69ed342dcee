#include "savedmodel/format/saved_model/saved_model_reader.h"

#include <algorithm>
#include <limits>
#include <set>
#include <unordered_set>

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include "savedmodel/core/types.h"
#include "savedmodel/format/tensor_proto.h"

namespace savedmodel {
namespace {

using tensorflow::AttrValue;
using tensorflow::MetaGraphDef;
using tensorflow::NodeDef;

// Collects text-format parse errors as "line L, column C: message".
class TextErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!errors_.empty()) errors_ += "; ";
    errors_ += "line " + std::to_string(line + 1) + ", column " + std::to_string(column + 1) +
               ": " + message;
  }
  const std::string& errors() const { return errors_; }

 private:
  std::string errors_;
};

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string AvailableTagSets(const tensorflow::SavedModel& saved_model) {
  std::vector<std::string> sets;
  for (const auto& tags : GetTagSets(saved_model)) sets.push_back("{" + TagSetToString(tags) + "}");
  return Join(sets, ", ");
}

Status CheckShapeProto(const tensorflow::TensorShapeProto& shape) {
  if (shape.unknown_rank() && shape.dim_size() > 0) {
    return InvalidArgument("shape has unknown_rank set but also " +
                           std::to_string(shape.dim_size()) + " dimensions");
  }
  if (shape.dim_size() > kMaxTensorRank) {
    return InvalidArgument("shape has rank " + std::to_string(shape.dim_size()) +
                           ", more than the maximum " + std::to_string(kMaxTensorRank));
  }
  for (int i = 0; i < shape.dim_size(); ++i) {
    if (shape.dim(i).size() < -1) {
      return InvalidArgument("shape dimension " + std::to_string(i) + " is " +
                             std::to_string(shape.dim(i).size()) +
                             "; dimensions must be >= -1 (-1 means unknown)");
    }
  }
  return Status::OK();
}

Status CheckDataTypeValue(int dt) {
  if (!IsKnownDataType(dt)) {
    return InvalidArgument("unknown data type enum value " + std::to_string(dt));
  }
  return Status::OK();
}

Status CheckTensorValue(const tensorflow::TensorProto& proto) {
  // Variant and resource constants carry opaque payloads this layer cannot decode.
  if (proto.dtype() == tensorflow::DT_VARIANT || proto.dtype() == tensorflow::DT_RESOURCE) {
    return Status::OK();
  }
  RETURN_IF_ERROR(CheckDataTypeValue(proto.dtype()));
  RETURN_IF_ERROR(CheckShapeProto(proto.tensor_shape()));
  return TensorFromProto(proto).status();
}

Status CheckAttrValue(const AttrValue& value) {
  switch (value.value_case()) {
    case AttrValue::kType:
      return CheckDataTypeValue(value.type());
    case AttrValue::kShape:
      return CheckShapeProto(value.shape());
    case AttrValue::kTensor:
      return CheckTensorValue(value.tensor());
    case AttrValue::kFunc:
      if (value.func().name().empty()) return InvalidArgument("function attr without a name");
      for (const auto& [name, attr] : value.func().attr()) {
        RETURN_IF_ERROR(CheckAttrValue(attr).WithContext("function attr '" + name + "'"));
      }
      return Status::OK();
    case AttrValue::kList: {
      const auto& list = value.list();
      for (int t : list.type()) RETURN_IF_ERROR(CheckDataTypeValue(t));
      for (const auto& s : list.shape()) RETURN_IF_ERROR(CheckShapeProto(s));
      for (const auto& t : list.tensor()) RETURN_IF_ERROR(CheckTensorValue(t));
      return Status::OK();
    }
    case AttrValue::kPlaceholder:
      if (value.placeholder().empty()) return InvalidArgument("empty placeholder attr");
      return Status::OK();
    default:
      return Status::OK();
  }
}

Status CheckNode(const NodeDef& node) {
  if (node.name().empty()) return InvalidArgument("a node has no name (op '" + node.op() + "')");
  if (node.op().empty()) return InvalidArgument("node '" + node.name() + "' has no op");
  if (node.op() == "Const") {
    auto value = node.attr().find("value");
    if (value != node.attr().end() && value->second.has_tensor()) {
      for (const auto& d : value->second.tensor().tensor_shape().dim()) {
        if (d.size() < 0) {
          return InvalidArgument("Const node '" + node.name() + "' initializes from a tensor with " +
                                 std::to_string(d.size()) + " elements in a dimension");
        }
      }
    }
    auto dtype = node.attr().find("dtype");
    if (value == node.attr().end() || !value->second.has_tensor()) {
      return InvalidArgument("Const node '" + node.name() + "' has no 'value' tensor attr");
    }
    if (dtype == node.attr().end() || dtype->second.value_case() != AttrValue::kType) {
      return InvalidArgument("Const node '" + node.name() + "' has no 'dtype' attr");
    }
    if (value->second.tensor().dtype() != dtype->second.type()) {
      return InvalidArgument(
          "Const node '" + node.name() + "': value has type " +
          DataTypeString(static_cast<DataType>(value->second.tensor().dtype())) +
          " but dtype attr is " + DataTypeString(static_cast<DataType>(dtype->second.type())));
    }
  }
  for (const auto& [name, attr] : node.attr()) {
    Status s = CheckAttrValue(attr);
    if (!s.ok()) {
      return InvalidArgument("node '" + node.name() + "' (op " + node.op() + "): attr '" + name +
                             "': " + s.message());
    }
  }
  return Status::OK();
}

// "name", "name:3" or "^name" -> "name".
std::string_view InputNodeName(std::string_view input) {
  if (!input.empty() && input[0] == '^') input.remove_prefix(1);
  size_t colon = input.find(':');
  return colon == std::string_view::npos ? input : input.substr(0, colon);
}

}  // namespace

std::string SavedModelData::VariablesPrefix() const {
  return JoinPath(export_dir, kVariablesDirectory, kVariablesFilename);
}

bool SavedModelData::HasVariables(Env* env) const {
  return env->FileExists(VariablesPrefix() + ".index");
}

StatusOr<tensorflow::SavedModel> ReadSavedModelProto(Env* env, const std::string& export_dir,
                                                     bool* from_text_format) {
  const std::string pb_path = JoinPath(export_dir, kSavedModelFilenamePb);
  const std::string txt_path = JoinPath(export_dir, kSavedModelFilenamePbTxt);
  tensorflow::SavedModel saved_model;
  if (env->FileExists(pb_path)) {
    ASSIGN_OR_RETURN(auto region, env->MapFile(pb_path));
    std::string_view bytes = region->data();
    if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
      return InvalidArgument(pb_path + ": file is " + std::to_string(bytes.size()) +
                             " bytes, over protobuf's 2 GiB limit");
    }
    if (!saved_model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return DataLoss(pb_path + ": not a valid SavedModel proto (truncated or corrupt, " +
                      std::to_string(bytes.size()) + " bytes)");
    }
    if (from_text_format) *from_text_format = false;
    return saved_model;
  }
  if (env->FileExists(txt_path)) {
    ASSIGN_OR_RETURN(std::string text, env->ReadFileToString(txt_path));
    google::protobuf::TextFormat::Parser parser;
    TextErrorCollector errors;
    parser.RecordErrorsTo(&errors);
    // The text parser recurses once per nested message and, unlike the
    // binary one, has no depth limit of its own: use the binary default.
    parser.SetRecursionLimit(100);
    if (!parser.ParseFromString(text, &saved_model)) {
      return DataLoss(txt_path + ": text-format SavedModel does not parse: " + errors.errors());
    }
    if (from_text_format) *from_text_format = true;
    return saved_model;
  }
  if (!env->IsDirectory(export_dir)) {
    return NotFound("SavedModel directory " + export_dir + " does not exist");
  }
  return NotFound("no SavedModel in " + export_dir + ": neither " + kSavedModelFilenamePb +
                  " nor " + kSavedModelFilenamePbTxt + " exists");
}

StatusOr<SavedModelData> ReadSavedModel(Env* env, const std::string& export_dir) {
  SavedModelData data;
  data.export_dir = export_dir;
  ASSIGN_OR_RETURN(data.saved_model,
                   ReadSavedModelProto(env, export_dir, &data.from_text_format));
  const std::string file = JoinPath(
      export_dir, data.from_text_format ? kSavedModelFilenamePbTxt : kSavedModelFilenamePb);
  if (data.saved_model.meta_graphs_size() == 0) {
    return InvalidArgument(file + ": SavedModel has no MetaGraphDef");
  }
  for (int i = 0; i < data.saved_model.meta_graphs_size(); ++i) {
    const MetaGraphDef& mg = data.saved_model.meta_graphs(i);
    Status s = ValidateMetaGraphDef(mg);
    if (!s.ok()) {
      return InvalidArgument(file + ": MetaGraphDef " + std::to_string(i) + " (tags {" +
                             TagSetToString({mg.meta_info_def().tags().begin(),
                                             mg.meta_info_def().tags().end()}) +
                             "}): " + s.message());
    }
  }

  const std::string fp_path = JoinPath(export_dir, kFingerprintFilename);
  if (env->FileExists(fp_path)) {
    ASSIGN_OR_RETURN(std::string bytes, env->ReadFileToString(fp_path));
    tensorflow::FingerprintDef fp;
    if (!fp.ParseFromString(bytes)) {
      return DataLoss(fp_path + ": not a valid FingerprintDef proto");
    }
    data.fingerprint = std::move(fp);
  }

  const std::string extra = JoinPath(export_dir, kExtraAssetsDirectory);
  if (env->IsDirectory(extra)) {
    // Breadth-first walk; depth is bounded to keep a hostile symlink loop finite.
    std::vector<std::pair<std::string, int>> pending = {{"", 0}};
    while (!pending.empty()) {
      auto [rel, depth] = pending.back();
      pending.pop_back();
      ASSIGN_OR_RETURN(auto children, env->GetChildren(JoinPath(extra, rel)));
      for (const std::string& child : children) {
        std::string child_rel = JoinPath(rel, child);
        if (env->IsDirectory(JoinPath(extra, child_rel))) {
          if (depth < 16) pending.push_back({child_rel, depth + 1});
        } else {
          data.extra_assets.push_back(child_rel);
        }
      }
    }
    std::sort(data.extra_assets.begin(), data.extra_assets.end());
  }
  return data;
}

std::vector<std::vector<std::string>> GetTagSets(const tensorflow::SavedModel& saved_model) {
  std::vector<std::vector<std::string>> out;
  for (const auto& mg : saved_model.meta_graphs()) {
    out.emplace_back(mg.meta_info_def().tags().begin(), mg.meta_info_def().tags().end());
  }
  return out;
}

std::string TagSetToString(const std::vector<std::string>& tags) {
  std::vector<std::string> sorted = tags;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return Join(sorted, ", ");
}

std::vector<std::string> ParseTagSet(const std::string& comma_separated) {
  std::vector<std::string> tags;
  size_t start = 0;
  while (start <= comma_separated.size()) {
    size_t end = comma_separated.find(',', start);
    if (end == std::string::npos) end = comma_separated.size();
    std::string tag = comma_separated.substr(start, end - start);
    // saved_model_cli strips nothing, but a stray space after a comma is a common typo.
    tag.erase(0, tag.find_first_not_of(' '));
    tag.erase(tag.find_last_not_of(' ') + 1);
    if (!tag.empty()) tags.push_back(tag);
    start = end + 1;
  }
  return tags;
}

StatusOr<const MetaGraphDef*> FindMetaGraphDef(const tensorflow::SavedModel& saved_model,
                                               const std::vector<std::string>& tags) {
  std::set<std::string> want(tags.begin(), tags.end());
  for (const auto& mg : saved_model.meta_graphs()) {
    std::set<std::string> have(mg.meta_info_def().tags().begin(),
                               mg.meta_info_def().tags().end());
    if (have == want) return &mg;
  }
  return NotFound("MetaGraphDef associated with tags {" + TagSetToString(tags) +
                  "} could not be found in SavedModel; available tag sets: " +
                  AvailableTagSets(saved_model));
}

StatusOr<const tensorflow::SignatureDef*> FindSignatureDef(const MetaGraphDef& meta_graph,
                                                           const std::string& key) {
  auto it = meta_graph.signature_def().find(key);
  if (it != meta_graph.signature_def().end()) return &it->second;
  std::vector<std::string> keys;
  for (const auto& [k, _] : meta_graph.signature_def()) keys.push_back("'" + k + "'");
  std::sort(keys.begin(), keys.end());
  return NotFound("signature '" + key + "' not found in MetaGraphDef; available signatures: " +
                  (keys.empty() ? std::string("(none)") : Join(keys, ", ")));
}

Status ValidateMetaGraphDef(const MetaGraphDef& meta_graph) {
  const auto& graph = meta_graph.graph_def();
  std::unordered_set<std::string_view> names;
  names.reserve(graph.node_size());
  for (const NodeDef& node : graph.node()) {
    RETURN_IF_ERROR(CheckNode(node));
    if (!names.insert(node.name()).second) {
      return InvalidArgument("graph has two nodes named '" + node.name() + "'");
    }
  }
  for (const NodeDef& node : graph.node()) {
    for (const std::string& input : node.input()) {
      if (!names.count(InputNodeName(input))) {
        return InvalidArgument("node '" + node.name() + "' has input '" + input +
                               "' from a node that is not in the graph");
      }
    }
  }
  for (const auto& fn : graph.library().function()) {
    const std::string& fname = fn.signature().name();
    if (fname.empty()) return InvalidArgument("graph library has a function without a name");
    for (const NodeDef& node : fn.node_def()) {
      Status s = CheckNode(node);
      if (!s.ok()) return InvalidArgument("function '" + fname + "': " + s.message());
    }
  }
  for (const auto& [key, sig] : meta_graph.signature_def()) {
    for (const auto* map : {&sig.inputs(), &sig.outputs()}) {
      for (const auto& [name, info] : *map) {
        // DT_INVALID is legal here: the init-op signature's output is an op, not a tensor.
        Status s = info.dtype() == 0 ? Status::OK() : CheckDataTypeValue(info.dtype());
        if (s.ok() && info.has_tensor_shape()) s = CheckShapeProto(info.tensor_shape());
        if (!s.ok()) {
          return InvalidArgument("signature '" + key + "' tensor '" + name + "': " + s.message());
        }
      }
    }
  }
  return Status::OK();
}

StatusOr<std::vector<AssetFile>> GetAssetFiles(const MetaGraphDef& meta_graph) {
  std::vector<AssetFile> assets;
  for (const auto& def : meta_graph.asset_file_def()) {
    assets.push_back({def.tensor_info().name(), def.filename()});
  }
  if (!assets.empty()) return assets;
  // TF < 1.? stored AssetFileDefs packed as Any in this collection instead.
  auto it = meta_graph.collection_def().find("saved_model_assets");
  if (it == meta_graph.collection_def().end()) return assets;
  for (const auto& any : it->second.any_list().value()) {
    tensorflow::AssetFileDef def;
    if (!any.UnpackTo(&def)) {
      return DataLoss("collection 'saved_model_assets' holds an entry that is not an AssetFileDef (" +
                      any.type_url() + ")");
    }
    assets.push_back({def.tensor_info().name(), def.filename()});
  }
  return assets;
}

}  // namespace savedmodel
