// The TF-written models that need this path (a Keras 3 export, a tf.Module
// with an uninitialized variable) are checked against TensorFlow's outputs in
// tests/corpus_expected_test.cc and the reference suite; here, object graphs
// that lie about their functions' captures.
#include "savedmodel/exec/object_graph_restore.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "savedmodel/graph/graph.h"

namespace savedmodel {
namespace {

constexpr char kMeta[] = R"pb(
  graph_def {
    node { name: "v" op: "VarHandleOp" attr { key: "dtype" value { type: DT_FLOAT } }
           attr { key: "shape" value { shape {} } } attr { key: "shared_name" value { s: "v" } } }
    node { name: "call" op: "StatefulPartitionedCall" input: "v"
           attr { key: "Tin" value { list { type: DT_RESOURCE } } }
           attr { key: "Tout" value { list {} } }
           attr { key: "f" value { func { name: "fn" } } } }
  }
  object_graph_def {
    nodes { user_object {} }
    nodes { variable { dtype: DT_FLOAT name: "v" } }
    concrete_functions { key: "fn" value { bound_inputs: BOUND } }
  }
)pb";

Status Restore(const std::string& bound) {
  std::string text = kMeta;
  text.replace(text.find("BOUND"), 5, bound);
  tensorflow::MetaGraphDef meta;
  if (!google::protobuf::TextFormat::ParseFromString(text, &meta)) return InvalidArgument("bad test proto");
  tensorflow::GraphDef plain;
  *plain.add_node() = meta.graph_def().node(0);
  ASSIGN_OR_RETURN(auto graph, Graph::Import(plain));
  ASSIGN_OR_RETURN(auto session, Session::Create(std::move(graph)));
  EXPECT_TRUE(HasObjectGraphVariables(meta));
  return RestoreFromObjectGraph(Env::Default(), meta, "/nonexistent/variables", session.get());
}

TEST(ObjectGraphRestoreTest, CaptureOfAnObjectTheGraphLacksIsAnError) {
  Status s = Restore("7");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("binds object 7"), std::string::npos) << s.ToString();
  s = Restore("-1");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
}

TEST(ObjectGraphRestoreTest, MoreCapturesThanInputsIsAnError) {
  Status s = Restore("1 bound_inputs: 1");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("binds 2 captures"), std::string::npos) << s.ToString();
}

TEST(ObjectGraphRestoreTest, AValidCaptureReachesTheCheckpoint) {
  // The mapping holds, so the missing checkpoint is what fails.
  Status s = Restore("1");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent/variables"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace savedmodel
