#include "savedmodel/graph/function_inline.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "savedmodel/exec/session.h"
#include "savedmodel/graph/graph.h"

namespace savedmodel {
namespace {

// A library in TensorFlow's FunctionDef form: `scale(x, w) = x * w` calls
// `mul(a, b)` (typed by a $T placeholder) through a nested PartitionedCall,
// and has a control output. The graph calls it with StatefulPartitionedCall.
constexpr char kGraph[] = R"pb(
  node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
  node { name: "w" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 3 } } } }
  node { name: "call" op: "StatefulPartitionedCall" input: "x" input: "w"
         attr { key: "Tin" value { list { type: DT_FLOAT type: DT_FLOAT } } }
         attr { key: "Tout" value { list { type: DT_FLOAT } } }
         attr { key: "f" value { func { name: "scale" } } } }
  node { name: "y" op: "Identity" input: "call" attr { key: "T" value { type: DT_FLOAT } } }
  library {
    function {
      signature { name: "mul"
        input_arg { name: "a" type_attr: "T" } input_arg { name: "b" type_attr: "T" }
        output_arg { name: "out" type_attr: "T" }
        attr { name: "T" type: "type" } }
      node_def { name: "m" op: "Mul" input: "a" input: "b" attr { key: "T" value { placeholder: "T" } } }
      ret { key: "out" value: "m:z:0" }
    }
    function {
      signature { name: "scale"
        input_arg { name: "x" type: DT_FLOAT } input_arg { name: "w" type: DT_FLOAT }
        output_arg { name: "identity" type: DT_FLOAT } }
      node_def { name: "inner" op: "PartitionedCall" input: "x" input: "w"
                 attr { key: "Tin" value { list { type: DT_FLOAT type: DT_FLOAT } } }
                 attr { key: "Tout" value { list { type: DT_FLOAT } } }
                 attr { key: "f" value { func { name: "mul" attr { key: "T" value { type: DT_FLOAT } } } } } }
      node_def { name: "Identity" op: "Identity" input: "inner:output:0" input: "^NoOp"
                 attr { key: "T" value { type: DT_FLOAT } } }
      node_def { name: "NoOp" op: "NoOp" input: "^x" }
      ret { key: "identity" value: "Identity:output:0" }
      control_ret { key: "NoOp" value: "NoOp" }
    }
  }
)pb";

tensorflow::GraphDef Parse(const char* text) {
  tensorflow::GraphDef g;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &g));
  return g;
}

TEST(FunctionInlineTest, NestedCallsBecomePlainOpsWithTheCallersNames) {
  tensorflow::GraphDef g = Parse(kGraph);
  ASSERT_TRUE(InlineFunctionCalls(&g).ok());
  for (const auto& n : g.node()) {
    EXPECT_NE(n.op(), "StatefulPartitionedCall") << n.name();
    EXPECT_NE(n.op(), "PartitionedCall") << n.name();
  }
  auto graph = Graph::Import(g);
  ASSERT_TRUE(graph.ok()) << graph.status();
  const Node* call = (*graph)->FindNode("call");
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->op(), "IdentityN");
  ASSERT_NE((*graph)->FindNode("call/inner/m"), nullptr);
  auto session = Session::Create(std::move(graph).value());
  ASSERT_TRUE(session.ok());
  auto out = (*session)->Run({{"x:0", Tensor::FromVector<float>({1, -2}, TensorShape{2})}}, {"y:0", "call:0"});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].flat<float>()[0], 3.0f);
  EXPECT_EQ((*out)[0].flat<float>()[1], -6.0f);
  EXPECT_EQ((*out)[1].flat<float>()[1], -6.0f);
}

TEST(FunctionInlineTest, ControlOutputsRunWithTheCall) {
  tensorflow::GraphDef g = Parse(kGraph);
  ASSERT_TRUE(InlineFunctionCalls(&g).ok());
  bool found = false;
  for (const auto& n : g.node()) {
    if (n.name() != "call") continue;
    for (const auto& in : n.input()) found = found || in == "^call/NoOp";
  }
  EXPECT_TRUE(found);
}

TEST(FunctionInlineTest, RecursionIsAnErrorNotALoop) {
  tensorflow::GraphDef g = Parse(R"pb(
    node { name: "c" op: "PartitionedCall" attr { key: "Tin" value { list {} } }
           attr { key: "Tout" value { list {} } } attr { key: "f" value { func { name: "r" } } } }
    library { function {
      signature { name: "r" }
      node_def { name: "again" op: "PartitionedCall" attr { key: "Tin" value { list {} } }
                 attr { key: "Tout" value { list {} } } attr { key: "f" value { func { name: "r" } } } }
    } }
  )pb");
  Status s = InlineFunctionCalls(&g);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("recursive"), std::string::npos) << s;
}

TEST(FunctionInlineTest, BadCallsNameTheNodeAndFunction) {
  tensorflow::GraphDef missing = Parse(R"pb(
    node { name: "c" op: "PartitionedCall" attr { key: "f" value { func { name: "nope" } } } }
  )pb");
  Status s = InlineFunctionCalls(&missing);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("'nope'"), std::string::npos) << s;

  tensorflow::GraphDef g = Parse(kGraph);
  g.mutable_node(2)->clear_input();  // the call now passes no arguments
  s = InlineFunctionCalls(&g);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'call'"), std::string::npos) << s;

  tensorflow::GraphDef bad_ref = Parse(kGraph);
  bad_ref.mutable_library()->mutable_function(1)->mutable_node_def(1)->set_input(0, "inner:nothing:0");
  s = InlineFunctionCalls(&bad_ref);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("no output 'nothing'"), std::string::npos) << s;
}

}  // namespace
}  // namespace savedmodel
