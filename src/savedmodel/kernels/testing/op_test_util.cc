#include "savedmodel/kernels/testing/op_test_util.h"

#include <memory>
#include <utility>

#include "savedmodel/exec/session.h"
#include "savedmodel/graph/graph.h"
#include "savedmodel/graph/op_registry.h"

namespace savedmodel::testing {
namespace {

tensorflow::DataType ToProto(DataType dt) { return static_cast<tensorflow::DataType>(dt); }

}  // namespace

OpTest::OpTest(std::string op) {
  node_.set_name("op");
  node_.set_op(std::move(op));
}

OpTest& OpTest::Input(Tensor t) {
  node_.add_input("in" + std::to_string(inputs_.size()));
  inputs_.push_back(std::move(t));
  return *this;
}

OpTest& OpTest::Attr(const std::string& name, int64_t v) {
  (*node_.mutable_attr())[name].set_i(v);
  return *this;
}
OpTest& OpTest::Attr(const std::string& name, float v) {
  (*node_.mutable_attr())[name].set_f(v);
  return *this;
}
OpTest& OpTest::Attr(const std::string& name, bool v) {
  (*node_.mutable_attr())[name].set_b(v);
  return *this;
}
OpTest& OpTest::Attr(const std::string& name, const std::string& v) {
  (*node_.mutable_attr())[name].set_s(v);
  return *this;
}
OpTest& OpTest::Attr(const std::string& name, DataType v) {
  (*node_.mutable_attr())[name].set_type(ToProto(v));
  return *this;
}
OpTest& OpTest::Attr(const std::string& name, const std::vector<int64_t>& v) {
  auto* list = (*node_.mutable_attr())[name].mutable_list();
  list->Clear();
  for (int64_t x : v) list->add_i(x);
  return *this;
}
OpTest& OpTest::Attr(const std::string& name, const tensorflow::AttrValue& v) {
  (*node_.mutable_attr())[name] = v;
  return *this;
}

StatusOr<std::vector<Tensor>> OpTest::Run() const {
  tensorflow::GraphDef graph_def;
  tensorflow::NodeDef node = node_;
  auto& attrs = *node.mutable_attr();
  // Fill type and length attrs from the inputs, walking the OpDef's input args.
  if (const tensorflow::OpDef* op_def = OpRegistry::Global().Find(node.op())) {
    const int num_args = op_def->input_arg_size();
    size_t next = 0;
    for (int a = 0; a < num_args && next < inputs_.size(); ++a) {
      const auto& arg = op_def->input_arg(a);
      size_t count = 1;
      if (!arg.number_attr().empty() || !arg.type_list_attr().empty()) {
        // A list takes everything but one input per later argument.
        size_t later = static_cast<size_t>(num_args - a - 1);
        count = inputs_.size() - next > later ? inputs_.size() - next - later : 0;
        if (!arg.number_attr().empty() && !attrs.contains(arg.number_attr())) {
          attrs[arg.number_attr()].set_i(static_cast<int64_t>(count));
        }
        if (!arg.type_list_attr().empty() && !attrs.contains(arg.type_list_attr())) {
          auto* list = attrs[arg.type_list_attr()].mutable_list();
          for (size_t k = 0; k < count; ++k) list->add_type(ToProto(inputs_[next + k].dtype()));
        }
      }
      if (!arg.type_attr().empty() && !attrs.contains(arg.type_attr()) && count > 0) {
        attrs[arg.type_attr()].set_type(ToProto(inputs_[next].dtype()));
      }
      next += count;
    }
  }
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (size_t i = 0; i < inputs_.size(); ++i) {
    tensorflow::NodeDef* ph = graph_def.add_node();
    ph->set_name("in" + std::to_string(i));
    ph->set_op("Placeholder");
    (*ph->mutable_attr())["dtype"].set_type(ToProto(inputs_[i].dtype()));
    feeds.emplace_back(ph->name() + ":0", inputs_[i]);
  }
  *graph_def.add_node() = node;

  ASSIGN_OR_RETURN(std::unique_ptr<Graph> graph, Graph::Import(graph_def));
  const Node* op_node = graph->FindNode("op");
  if (op_node == nullptr) return Internal("op node missing after import");
  std::vector<std::string> fetches;
  for (int i = 0; i < op_node->num_outputs(); ++i) fetches.push_back("op:" + std::to_string(i));
  SessionOptions options;
  options.intra_op_threads = intra_op_threads_;
  ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::Create(std::move(graph), options));
  // Ops without outputs (SaveV2, AssignVariableOp) run as targets.
  return session->Run(feeds, fetches, fetches.empty() ? std::vector<std::string>{"op"}
                                                      : std::vector<std::string>{});
}

StatusOr<Tensor> OpTest::Run1() const {
  ASSIGN_OR_RETURN(std::vector<Tensor> outs, Run());
  if (outs.empty()) return Internal("op has no outputs");
  return outs[0];
}

}  // namespace savedmodel::testing
