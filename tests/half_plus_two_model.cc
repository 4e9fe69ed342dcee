#include "half_plus_two_model.h"

#include "savedmodel/exec/session.h"
#include "savedmodel/graph/graph.h"
#include "savedmodel/train/ops.h"
#include "savedmodel/train/saved_model_builder.h"
#include "savedmodel/train/saver.h"

namespace savedmodel::testing {

Status WriteHalfPlusTwo(const std::string& export_dir) {
  using namespace train;
  GraphBuilder b;
  Output x = Placeholder(b, DT_FLOAT, {-1}, "x");
  VariableInfo a = train::Variable(b, Scalar<float>(b, 0.5f), "a");
  VariableInfo c = train::Variable(b, Scalar<float>(b, 2.0f), "b");
  Output y = Identity(b, Add(b, Mul(b, x, a.snapshot), c.snapshot), "y");
  const std::string init = GlobalVariablesInitializer(b);
  const tensorflow::SaverDef saver = AddSaver(b);
  RETURN_IF_ERROR(b.status());
  ASSIGN_OR_RETURN(auto graph, Graph::Import(b.graph_def()));
  ASSIGN_OR_RETURN(auto session, Session::Create(std::move(graph)));
  RETURN_IF_ERROR(session->Run({}, {}, {init}).status());
  SavedModelBuilder builder(export_dir);
  RETURN_IF_ERROR(builder.AddMetaGraphAndVariables(
      *session, MetaGraphFromBuilder(b, saver), {"serve"},
      {{"serving_default", PredictSignature({{"x", x}}, {{"y", y}})}}));
  return builder.Save();
}

}  // namespace savedmodel::testing
