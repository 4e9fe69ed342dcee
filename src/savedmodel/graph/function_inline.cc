#include "savedmodel/graph/function_inline.h"

#include <map>
#include <string_view>
#include <unordered_map>

#include "tensorflow/core/framework/function.pb.h"

namespace savedmodel {
namespace {

using tensorflow::AttrValue;
using tensorflow::FunctionDef;
using tensorflow::NodeDef;
using tensorflow::OpDef;

// Nesting deeper than this is taken as recursion; Keras models nest 3 or 4.
constexpr int kMaxDepth = 64;
// Inlining can multiply a graph (a function called from many places); past
// this many nodes the model is refused rather than exhausting memory.
constexpr int kMaxNodes = 4'000'000;

using AttrMap = google::protobuf::Map<std::string, AttrValue>;
using Library = std::unordered_map<std::string, const FunctionDef*>;

bool IsCall(const NodeDef& n, const Library& lib) {
  return n.op() == "PartitionedCall" || n.op() == "StatefulPartitionedCall" || lib.count(n.op()) > 0;
}

// Replaces `$name` placeholders by the caller's attr values.
Status Substitute(AttrValue* v, const AttrMap& caller, const std::string& where) {
  if (v->value_case() != AttrValue::kPlaceholder) return Status::OK();
  auto it = caller.find(v->placeholder());
  if (it == caller.end()) {
    return InvalidArgument(where + ": attr placeholder '$" + v->placeholder() + "' has no value in the call");
  }
  *v = it->second;
  return Status::OK();
}

// Number of tensors one output arg stands for.
StatusOr<int> ArgSize(const OpDef::ArgDef& arg, const NodeDef& node) {
  if (!arg.number_attr().empty()) {
    auto it = node.attr().find(arg.number_attr());
    if (it == node.attr().end() || it->second.value_case() != AttrValue::kI || it->second.i() < 0) {
      return InvalidArgument("node '" + node.name() + "' lacks a valid attr '" + arg.number_attr() + "'");
    }
    return static_cast<int>(it->second.i());
  }
  if (!arg.type_list_attr().empty()) {
    auto it = node.attr().find(arg.type_list_attr());
    if (it == node.attr().end()) {
      return InvalidArgument("node '" + node.name() + "' lacks attr '" + arg.type_list_attr() + "'");
    }
    return it->second.list().type_size();
  }
  return 1;
}

class Inliner {
 public:
  Inliner(const OpRegistry& registry, const Library& lib) : registry_(registry), lib_(lib) {}

  // Appends the inlined body of `call` and its replacement node to `out`.
  Status Inline(const NodeDef& call, tensorflow::GraphDef* out) {
    const FunctionDef* fn = nullptr;
    const AttrMap* attrs = &call.attr();
    if (lib_.count(call.op())) {
      fn = lib_.at(call.op());
    } else {
      auto f = call.attr().find("f");
      if (f == call.attr().end() || f->second.value_case() != AttrValue::kFunc) {
        return InvalidArgument("call node '" + call.name() + "' has no function attr 'f'");
      }
      auto it = lib_.find(f->second.func().name());
      if (it == lib_.end()) {
        return NotFound("call node '" + call.name() + "' calls function '" + f->second.func().name() +
                        "', which is not in the graph's library");
      }
      fn = it->second;
      attrs = &f->second.func().attr();
    }
    const auto& sig = fn->signature();
    const std::string where = "inlining function '" + sig.name() + "' at node '" + call.name() + "'";
    const std::string prefix = call.name() + "/";

    std::vector<std::string> data_inputs, control_inputs;
    for (const auto& in : call.input()) (in[0] == '^' ? control_inputs : data_inputs).push_back(in);
    if (static_cast<int>(data_inputs.size()) != sig.input_arg_size()) {
      return InvalidArgument(where + ": the call has " + std::to_string(data_inputs.size()) +
                             " inputs, the function takes " + std::to_string(sig.input_arg_size()));
    }
    std::map<std::string, std::string, std::less<>> args;
    for (int i = 0; i < sig.input_arg_size(); ++i) {
      const auto& a = sig.input_arg(i);
      if (!a.number_attr().empty() || !a.type_list_attr().empty()) {
        return Unimplemented(where + ": list-typed function argument '" + a.name() + "'");
      }
      args[a.name()] = data_inputs[i];
    }

    // Body nodes with attrs resolved, by their names inside the function.
    std::map<std::string, NodeDef, std::less<>> body;
    for (const auto& n : fn->node_def()) {
      NodeDef copy = n;
      for (auto& [name, value] : *copy.mutable_attr()) {
        RETURN_IF_ERROR(Substitute(&value, *attrs, where));
      }
      if (args.count(copy.name()) || !body.emplace(copy.name(), std::move(copy)).second) {
        return InvalidArgument(where + ": duplicate name '" + n.name() + "' in the body");
      }
    }

    auto resolve = [&](std::string_view ref) -> StatusOr<std::string> {
      const size_t c1 = ref.find(':');
      if (c1 == std::string_view::npos) {
        auto it = args.find(ref);
        if (it == args.end()) return InvalidArgument(where + ": unknown input '" + std::string(ref) + "'");
        return it->second;
      }
      const size_t c2 = ref.find(':', c1 + 1);
      if (c2 == std::string_view::npos) {
        return InvalidArgument(where + ": input '" + std::string(ref) + "' is not node:output:index");
      }
      std::string node(ref.substr(0, c1)), arg(ref.substr(c1 + 1, c2 - c1 - 1));
      int index = 0;
      for (char ch : ref.substr(c2 + 1)) {
        if (ch < '0' || ch > '9' || index > 1'000'000) {
          return InvalidArgument(where + ": bad output index in '" + std::string(ref) + "'");
        }
        index = index * 10 + (ch - '0');
      }
      auto it = body.find(node);
      if (it == body.end()) return InvalidArgument(where + ": input '" + std::string(ref) + "' names no node");
      ASSIGN_OR_RETURN(int flat, FlatIndex(it->second, arg, index));
      return prefix + node + (flat == 0 ? "" : ":" + std::to_string(flat));
    };
    auto resolve_control = [&](std::string_view name) -> std::string {
      auto it = args.find(name);
      if (it == args.end()) return "^" + prefix + std::string(name);
      std::string producer = it->second;
      return "^" + producer.substr(0, producer.find(':'));
    };

    for (const auto& fn_node : fn->node_def()) {
      const NodeDef& src = body.at(fn_node.name());
      NodeDef* n = out->add_node();
      *n = src;
      n->set_name(prefix + src.name());
      n->clear_input();
      for (const auto& in : src.input()) {
        if (in[0] == '^') {
          n->add_input(resolve_control(std::string_view(in).substr(1)));
        } else {
          ASSIGN_OR_RETURN(std::string r, resolve(in));
          n->add_input(r);
        }
      }
      for (const auto& c : control_inputs) n->add_input(c);
    }

    // The call node becomes the function's results (or a NoOp).
    NodeDef* result = out->add_node();
    result->set_name(call.name());
    AttrValue types;
    for (const auto& o : sig.output_arg()) {
      if (!o.number_attr().empty() || !o.type_list_attr().empty()) {
        return Unimplemented(where + ": list-typed function result '" + o.name() + "'");
      }
      auto r = fn->ret().find(o.name());
      if (r == fn->ret().end()) return InvalidArgument(where + ": no value for result '" + o.name() + "'");
      ASSIGN_OR_RETURN(std::string tensor, resolve(r->second));
      result->add_input(tensor);
      if (!o.type_attr().empty()) {
        auto t = attrs->find(o.type_attr());
        if (t == attrs->end()) return InvalidArgument(where + ": no type for result '" + o.name() + "'");
        types.mutable_list()->add_type(t->second.type());
      } else {
        types.mutable_list()->add_type(o.type());
      }
    }
    if (sig.output_arg_size() == 0) {
      result->set_op("NoOp");
    } else {
      result->set_op("IdentityN");
      (*result->mutable_attr())["T"] = types;
    }
    for (const auto& [name, node] : fn->control_ret()) result->add_input(resolve_control(node));
    for (const auto& c : control_inputs) result->add_input(c);
    return Status::OK();
  }

 private:
  // "node:arg:index" inside a body -> the flat output index of `node`.
  StatusOr<int> FlatIndex(const NodeDef& node, const std::string& arg, int index) {
    const google::protobuf::RepeatedPtrField<OpDef::ArgDef>* outs = nullptr;
    auto f = lib_.find(node.op());
    if (f != lib_.end()) {
      outs = &f->second->signature().output_arg();
    } else {
      ASSIGN_OR_RETURN(const OpDef* def, registry_.LookUp(node.op()));
      outs = &def->output_arg();
    }
    int base = 0;
    for (const auto& o : *outs) {
      ASSIGN_OR_RETURN(int size, ArgSize(o, node));
      if (o.name() == arg) {
        if (index >= size) {
          return InvalidArgument("node '" + node.name() + "' has no output " + arg + ":" + std::to_string(index));
        }
        return base + index;
      }
      base += size;
    }
    return InvalidArgument("node '" + node.name() + "' (op " + node.op() + ") has no output '" + arg + "'");
  }

  const OpRegistry& registry_;
  const Library& lib_;
};

}  // namespace

const std::vector<std::string>& InlinedCallOps() {
  static const std::vector<std::string> ops = {"PartitionedCall", "StatefulPartitionedCall"};
  return ops;
}

Status InlineFunctionCalls(tensorflow::GraphDef* graph, const OpRegistry& registry) {
  Library lib;
  for (const auto& f : graph->library().function()) lib[f.signature().name()] = &f;
  // `lib` points into graph->library(), which stays put until the end.
  bool any_call = false;
  for (const auto& n : graph->node()) any_call = any_call || IsCall(n, lib);
  if (!any_call) return Status::OK();  // most TF1 graphs: nothing to copy
  tensorflow::GraphDef current;
  *current.mutable_node() = graph->node();
  *current.mutable_versions() = graph->versions();
  for (int depth = 0;; ++depth) {
    bool any = false;
    for (const auto& n : current.node()) any = any || IsCall(n, lib);
    if (!any) break;
    if (depth == kMaxDepth) {
      return InvalidArgument("function calls nested more than " + std::to_string(kMaxDepth) +
                             " deep (a recursive function?)");
    }
    tensorflow::GraphDef next;
    *next.mutable_versions() = current.versions();
    Inliner inliner(registry, lib);
    for (const auto& n : current.node()) {
      if (IsCall(n, lib)) {
        RETURN_IF_ERROR(inliner.Inline(n, &next));
      } else {
        *next.add_node() = n;
      }
      if (next.node_size() > kMaxNodes) {
        return ResourceExhausted("inlining functions makes the graph larger than " +
                                 std::to_string(kMaxNodes) + " nodes");
      }
    }
    current.Swap(&next);
  }
  // Moved, not copied: nothing reads `lib` any more.
  current.mutable_library()->Swap(graph->mutable_library());
  graph->Swap(&current);
  return Status::OK();
}

}  // namespace savedmodel
