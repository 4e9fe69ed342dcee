// TF1 control flow on graphs written here; TensorFlow-built tf.cond and
// tf.while_loop graphs (nested, in untaken branches) are compared with
// TensorFlow in the reference suite.
#include "savedmodel/exec/frame_executor.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "savedmodel/exec/session.h"

namespace savedmodel {
namespace {

StatusOr<std::vector<Tensor>> RunGraph(const std::string& text, const std::vector<std::string>& fetches) {
  tensorflow::GraphDef def;
  if (!google::protobuf::TextFormat::ParseFromString(text, &def)) return InvalidArgument("bad test graph");
  ASSIGN_OR_RETURN(auto graph, Graph::Import(def));
  ASSIGN_OR_RETURN(auto session, Session::Create(std::move(graph)));
  return session->Run({{"x:0", Tensor::Scalar<float>(2.5f)}, {"p:0", Tensor::Scalar<bool>(false)}}, fetches);
}

constexpr char kInputs[] = R"pb(
  node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
  node { name: "p" op: "Placeholder" attr { key: "dtype" value { type: DT_BOOL } } }
)pb";

TEST(FrameExecutorTest, MergeOfAFedInputFiresAtOnce) {
  // Input 0 is fed; input 1 comes from the Switch's untaken (dead) side.
  auto out = RunGraph(std::string(kInputs) + R"pb(
    node { name: "sw" op: "Switch" input: "x" input: "p" attr { key: "T" value { type: DT_FLOAT } } }
    node { name: "m" op: "Merge" input: "x" input: "sw:1"
           attr { key: "T" value { type: DT_FLOAT } } attr { key: "N" value { i: 2 } } }
  )pb", {"m:0", "m:1"});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].scalar<float>(), 2.5f);
  EXPECT_EQ((*out)[1].scalar<int32_t>(), 0);
}

TEST(FrameExecutorTest, FetchOfADeadBranchHasNoValue) {
  auto out = RunGraph(std::string(kInputs) + R"pb(
    node { name: "sw" op: "Switch" input: "x" input: "p" attr { key: "T" value { type: DT_FLOAT } } }
    node { name: "taken" op: "Identity" input: "sw:0" attr { key: "T" value { type: DT_FLOAT } } }
    node { name: "dead" op: "Identity" input: "sw:1" attr { key: "T" value { type: DT_FLOAT } } }
  )pb", {"taken:0", "dead:0"});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(out.status().message().find("'dead:0'"), std::string::npos) << out.status();
}

TEST(FrameExecutorTest, EnterWithoutFrameNameIsRejected) {
  auto out = RunGraph(std::string(kInputs) + R"pb(
    node { name: "e" op: "Enter" input: "x" attr { key: "T" value { type: DT_FLOAT } }
           attr { key: "frame_name" value { s: "" } } }
    node { name: "ex" op: "Exit" input: "e" attr { key: "T" value { type: DT_FLOAT } } }
  )pb", {"ex:0"});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("has no frame_name"), std::string::npos) << out.status();
}

TEST(FrameExecutorTest, LoopWhoseMergeNeverGetsAValueEndsWithoutOne) {
  // A hostile loop: Merge's only inputs are its own NextIteration, so nothing
  // ever enters the frame. The Run must end (no hang), fetching nothing.
  auto out = RunGraph(std::string(kInputs) + R"pb(
    node { name: "m" op: "Merge" input: "n"
           attr { key: "T" value { type: DT_FLOAT } } attr { key: "N" value { i: 1 } } }
    node { name: "n" op: "NextIteration" input: "m" attr { key: "T" value { type: DT_FLOAT } } }
  )pb", {"m:0"});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kFailedPrecondition) << out.status();
}

}  // namespace
}  // namespace savedmodel
