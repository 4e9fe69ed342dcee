// OpRegistry: TensorFlow's OpDefs (inputs, outputs, attrs, defaults, allowed
// types) for every op TensorFlow registers, whether or not a kernel exists
// here, so any graph TensorFlow accepts imports; a missing kernel is reported
// only when a run needs the node. Embedded at build time from op_defs.pbtxt
// (scripts/gen_op_defs regenerates it). Immutable after construction; thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/core/types.h"
#include "tensorflow/core/framework/node_def.pb.h"
#include "tensorflow/core/framework/op_def.pb.h"

namespace savedmodel {

class OpRegistry {
 public:
  // The embedded registry. Never null.
  static const OpRegistry& Global();

  // Builds a registry from a text-format tensorflow.OpList.
  static StatusOr<std::unique_ptr<OpRegistry>> FromText(std::string_view op_list_text);

  // nullptr when `op` is unknown.
  const tensorflow::OpDef* Find(std::string_view op) const;
  // NotFound "Op type not registered 'X'" (TensorFlow's wording) when unknown.
  StatusOr<const tensorflow::OpDef*> LookUp(std::string_view op) const;
  std::vector<std::string> OpNames() const;  // sorted

  // Adds every attr the OpDef gives a default for and `node` lacks.
  void AddDefaultAttrs(tensorflow::NodeDef* node) const;

  // The dtypes of each input and output of `node` (ref types included),
  // resolved from its attrs. First enforces every OpDef attr constraint as
  // TensorFlow's ValidateNodeDef does (InvalidArgument in TF's wording, naming
  // the node): required attrs exist with the right kind, int `minimum`, list
  // length `minimum`, `allowed_values` of type/string attrs and their lists,
  // no ref or invalid dtypes. `node` should have defaults added.
  Status ResolveTypes(const tensorflow::NodeDef& node, std::vector<DataType>* inputs,
                      std::vector<DataType>* outputs) const;

 private:
  // One op's OpDef, kept serialized until first looked up: parsing all of
  // TensorFlow's ~1500 OpDefs took most of a small model's load and of a cold
  // `savedmodel run`, while a graph uses a handful of them.
  struct Entry {
    std::string_view bytes;
    mutable std::once_flag parsed;
    mutable std::unique_ptr<tensorflow::OpDef> def;
  };
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };

  OpRegistry() = default;
  // Indexes a binary tensorflow.OpList by op name; false if it is malformed.
  bool Index(std::string_view op_list);

  std::string owned_;  // the serialized list when not the embedded one
  std::unordered_map<std::string, Entry, NameHash, std::equal_to<>> by_name_;
};

}  // namespace savedmodel
