#include "savedmodel/exec/function_runtime.h"

#include "savedmodel/exec/session.h"
#include "savedmodel/graph/function_inline.h"
#include "savedmodel/graph/graph.h"

namespace savedmodel {
namespace {

// The caller's graph: one placeholder per argument feeding a call of the
// function, which InlineFunctionCalls then replaces by the body (keeping
// "call:i" as the i-th result). Reusing the inliner keeps one implementation
// of argument binding, `$attr` substitution and output naming.
constexpr char kCallNode[] = "call";

std::string ArgName(size_t i) { return "arg" + std::to_string(i); }

class SessionFunctionHandle : public FunctionHandle {
 public:
  SessionFunctionHandle(std::unique_ptr<Session> session, size_t num_args,
                        std::vector<DataType> result_types)
      : session_(std::move(session)), result_types_(std::move(result_types)) {
    for (size_t i = 0; i < num_args; ++i) feed_names_.push_back(ArgName(i) + ":0");
    for (size_t i = 0; i < result_types_.size(); ++i) {
      fetches_.push_back(std::string(kCallNode) + ":" + std::to_string(i));
    }
  }

  const std::vector<DataType>& result_types() const override { return result_types_; }

  Status Prepare() const { return session_->Prepare(feed_names_, fetches_, {kCallNode}); }

  StatusOr<std::vector<Value>> Call(const std::vector<Value>& args) const override {
    if (args.size() != feed_names_.size()) {
      return InvalidArgument("function called with " + std::to_string(args.size()) +
                             " arguments, expects " + std::to_string(feed_names_.size()));
    }
    std::vector<std::pair<std::string, Value>> feeds(args.size());
    for (size_t i = 0; i < args.size(); ++i) feeds[i] = {feed_names_[i], args[i]};
    return session_->RunValues(feeds, fetches_, {kCallNode});
  }

 private:
  std::unique_ptr<Session> session_;
  std::vector<DataType> result_types_;
  std::vector<std::string> feed_names_;
  std::vector<std::string> fetches_;
};

void SetTypeList(const std::vector<DataType>& types, tensorflow::AttrValue* attr) {
  auto* list = attr->mutable_list();
  for (DataType t : types) list->add_type(static_cast<tensorflow::DataType>(t));
}

}  // namespace

SessionFunctionRuntime::SessionFunctionRuntime(const tensorflow::FunctionDefLibrary* library,
                                               Env* env, ResourceMgr* resources, int depth)
    : library_(library), env_(env), resources_(resources), depth_(depth) {}

StatusOr<std::shared_ptr<const FunctionHandle>> SessionFunctionRuntime::Instantiate(
    const tensorflow::NameAttrList& fn, const std::vector<DataType>& arg_types) {
  const std::string where = "function '" + fn.name() + "': ";
  if (depth_ >= kMaxDepth) {
    return InvalidArgument(where + "calls nest more than " + std::to_string(kMaxDepth) +
                           " deep (does the function call itself?)");
  }
  bool found = false;
  for (const auto& f : library_->function()) found = found || f.signature().name() == fn.name();
  if (!found) return NotFound(where + "not in the graph's function library");

  tensorflow::GraphDef caller;
  *caller.mutable_library() = *library_;
  tensorflow::NodeDef* call = nullptr;
  for (size_t i = 0; i < arg_types.size(); ++i) {
    tensorflow::NodeDef* arg = caller.add_node();
    arg->set_name(ArgName(i));
    arg->set_op("Placeholder");
    (*arg->mutable_attr())["dtype"].set_type(static_cast<tensorflow::DataType>(arg_types[i]));
  }
  call = caller.add_node();
  call->set_name(kCallNode);
  call->set_op("PartitionedCall");
  for (size_t i = 0; i < arg_types.size(); ++i) call->add_input(ArgName(i));
  SetTypeList(arg_types, &(*call->mutable_attr())["Tin"]);
  // Tout is what the inliner reads from the signature; the call node's
  // output types after import are the function's result types.
  (*call->mutable_attr())["Tout"].mutable_list();
  *(*call->mutable_attr())["f"].mutable_func() = fn;

  Status s = InlineFunctionCalls(&caller);
  if (!s.ok()) return Status(s.code(), where + s.message());
  auto graph = Graph::Import(caller);
  if (!graph.ok()) return Status(graph.status().code(), where + graph.status().message());

  const Node* call_node = (*graph)->FindNode(kCallNode);
  if (call_node == nullptr) return Internal(where + "the inlined call node is missing");
  std::vector<DataType> result_types = call_node->output_types;

  SessionOptions options;
  options.env = env_;
  options.intra_op_threads = 1;
  options.inter_op_threads = 1;
  options.shared_resources = resources_;
  options.function_call_depth = depth_ + 1;
  ASSIGN_OR_RETURN(auto session, Session::Create(std::move(graph).value(), options));
  auto handle = std::make_shared<SessionFunctionHandle>(std::move(session), arg_types.size(),
                                                        std::move(result_types));
  s = handle->Prepare();
  if (!s.ok()) return Status(s.code(), where + s.message());
  return std::shared_ptr<const FunctionHandle>(std::move(handle));
}

}  // namespace savedmodel
