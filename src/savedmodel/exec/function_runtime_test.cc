// The function runtime behind If/Case/While: values are checked against
// numbers worked out by hand here (TensorFlow-built graphs are compared in
// the reference suite), and hostile graphs fail with statuses naming the node.
#include "savedmodel/exec/function_runtime.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "savedmodel/exec/session.h"
#include "savedmodel/graph/graph.h"

namespace savedmodel {
namespace {

// cond(i, x) = i < 5; body(i, x) = (i + 1, x * 2); a While over them, and an
// If choosing between body-like branches.
constexpr char kLibrary[] = R"pb(
  library {
    function {
      signature { name: "cond"
        input_arg { name: "i" type: DT_INT32 } input_arg { name: "x" type: DT_FLOAT }
        output_arg { name: "out" type: DT_BOOL } }
      node_def { name: "five" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
                 attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 5 } } } }
      node_def { name: "less" op: "Less" input: "i" input: "five:output:0"
                 attr { key: "T" value { type: DT_INT32 } } }
      ret { key: "out" value: "less:z:0" }
    }
    function {
      signature { name: "body"
        input_arg { name: "i" type: DT_INT32 } input_arg { name: "x" type: DT_FLOAT }
        output_arg { name: "i_next" type: DT_INT32 } output_arg { name: "x_next" type: DT_FLOAT } }
      node_def { name: "one" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
                 attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 1 } } } }
      node_def { name: "inc" op: "AddV2" input: "i" input: "one:output:0"
                 attr { key: "T" value { type: DT_INT32 } } }
      node_def { name: "dbl" op: "AddV2" input: "x" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
      ret { key: "i_next" value: "inc:z:0" }
      ret { key: "x_next" value: "dbl:z:0" }
    }
    function {
      signature { name: "only_x"
        input_arg { name: "i" type: DT_INT32 } input_arg { name: "x" type: DT_FLOAT }
        output_arg { name: "x_out" type: DT_FLOAT } }
      ret { key: "x_out" value: "x" }
    }
    function {
      signature { name: "pass_through"
        input_arg { name: "i" type: DT_INT32 } input_arg { name: "x" type: DT_FLOAT }
        output_arg { name: "i_out" type: DT_INT32 } output_arg { name: "x_out" type: DT_FLOAT } }
      ret { key: "i_out" value: "i" }
      ret { key: "x_out" value: "x" }
    }
    function {
      signature { name: "loop_forever_deeper"
        input_arg { name: "i" type: DT_INT32 } input_arg { name: "x" type: DT_FLOAT }
        output_arg { name: "i_next" type: DT_INT32 } output_arg { name: "x_next" type: DT_FLOAT } }
      node_def { name: "w" op: "While" input: "i" input: "x"
                 attr { key: "T" value { list { type: DT_INT32 type: DT_FLOAT } } }
                 attr { key: "cond" value { func { name: "cond" } } }
                 attr { key: "body" value { func { name: "loop_forever_deeper" } } } }
      ret { key: "i_next" value: "w:output:0" }
      ret { key: "x_next" value: "w:output:1" }
    }
  }
)pb";

std::string Graph(const std::string& nodes) {
  return R"pb(
    node { name: "i" op: "Placeholder" attr { key: "dtype" value { type: DT_INT32 } } }
    node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
  )pb" + nodes + kLibrary;
}

std::string WhileNode(const std::string& cond, const std::string& body) {
  return R"pb(node { name: "w" op: "While" input: "i" input: "x"
    attr { key: "T" value { list { type: DT_INT32 type: DT_FLOAT } } }
    attr { key: "cond" value { func { name: ")pb" + cond + R"pb(" } } }
    attr { key: "body" value { func { name: ")pb" + body + R"pb(" } } } })pb";
}

StatusOr<std::vector<Tensor>> RunGraph(const std::string& text, const std::vector<std::string>& fetches,
                                       int32_t i = 0, float x = 1.5f) {
  tensorflow::GraphDef def;
  if (!google::protobuf::TextFormat::ParseFromString(text, &def)) return InvalidArgument("bad test graph");
  ASSIGN_OR_RETURN(auto graph, Graph::Import(def));
  ASSIGN_OR_RETURN(auto session, Session::Create(std::move(graph)));
  return session->Run({{"i:0", Tensor::Scalar<int32_t>(i)}, {"x:0", Tensor::Scalar<float>(x)}}, fetches);
}

TEST(FunctionRuntimeTest, WhileRunsBodyUntilCondFails) {
  auto out = RunGraph(Graph(WhileNode("cond", "body")), {"w:0", "w:1"}, 2, 1.5f);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].scalar<int32_t>(), 5);
  EXPECT_EQ((*out)[1].scalar<float>(), 1.5f * 8);  // three doublings: i = 2, 3, 4
}

TEST(FunctionRuntimeTest, WhileWithFalseCondReturnsInputs) {
  auto out = RunGraph(Graph(WhileNode("cond", "body")), {"w:0", "w:1"}, 9, 0.25f);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].scalar<int32_t>(), 9);
  EXPECT_EQ((*out)[1].scalar<float>(), 0.25f);
}

TEST(FunctionRuntimeTest, IfPicksBranchByPredicate) {
  const std::string nodes = R"pb(
    node { name: "if" op: "If" input: "i" input: "i" input: "x"
      attr { key: "Tcond" value { type: DT_INT32 } }
      attr { key: "Tin" value { list { type: DT_INT32 type: DT_FLOAT } } }
      attr { key: "Tout" value { list { type: DT_INT32 type: DT_FLOAT } } }
      attr { key: "then_branch" value { func { name: "body" } } }
      attr { key: "else_branch" value { func { name: "pass_through" } } } })pb";
  // A non-zero int32 scalar predicate is true: one step of `body`.
  auto out = RunGraph(Graph(nodes), {"if:0", "if:1"}, 7, 3.0f);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].scalar<int32_t>(), 8);
  EXPECT_EQ((*out)[1].scalar<float>(), 6.0f);
  // Zero is false: the inputs come back unchanged.
  out = RunGraph(Graph(nodes), {"if:0", "if:1"}, 0, 3.0f);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].scalar<int32_t>(), 0);
  EXPECT_EQ((*out)[1].scalar<float>(), 3.0f);
}

TEST(FunctionRuntimeTest, SelfCallingFunctionFailsAtDepthLimit) {
  auto out = RunGraph(Graph(WhileNode("cond", "loop_forever_deeper")), {"w:0"});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("nest more than"), std::string::npos) << out.status().ToString();
  EXPECT_NE(out.status().message().find("node 'w'"), std::string::npos) << out.status().ToString();
}

TEST(FunctionRuntimeTest, BodyWithWrongResultsIsRejected) {
  auto out = RunGraph(Graph(WhileNode("cond", "only_x")), {"w:0"});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("returns [float]"), std::string::npos) << out.status().ToString();
}

TEST(FunctionRuntimeTest, CondReturningTwoValuesIsRejected) {
  auto out = RunGraph(Graph(WhileNode("body", "body")), {"w:0"});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("must return one value"), std::string::npos) << out.status().ToString();
}

TEST(FunctionRuntimeTest, UnknownFunctionIsNotFound) {
  auto out = RunGraph(Graph(WhileNode("cond", "no_such_function")), {"w:0"});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("no_such_function"), std::string::npos) << out.status().ToString();
  EXPECT_NE(out.status().message().find("not in the graph's function library"), std::string::npos);
}

}  // namespace
}  // namespace savedmodel
