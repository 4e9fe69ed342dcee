#include "savedmodel/exec/saved_model_bundle.h"

#include <fstream>

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "savedmodel/graph/op_registry.h"
#include "savedmodel/kernels/kernel.h"
#include "test_util.h"

namespace savedmodel {
namespace {

using ::savedmodel::testing::RunCli;
using ::savedmodel::testing::TempDir;

// A TensorFlow op (graphs must use registered ops to import) that this build
// has no kernel for, taking one string and giving one tensor with no attrs to
// set, such as ReadFile. Chosen at run time so adding kernels later does not
// silently turn these tests into no-ops.
struct NoKernelOp {
  std::string name;
  DataType output = DT_INVALID;
};

NoKernelOp FindNoKernelOp() {
  const OpRegistry& ops = OpRegistry::Global();
  for (const std::string& name : ops.OpNames()) {
    const tensorflow::OpDef* def = ops.Find(name);
    if (KernelRegistry::Global().Has(name) || def->is_stateful() || def->input_arg_size() != 1 ||
        def->output_arg_size() != 1 || def->attr_size() != 0 ||
        def->input_arg(0).type() != tensorflow::DT_STRING || def->input_arg(0).is_ref() ||
        def->output_arg(0).type() == tensorflow::DT_INVALID || def->output_arg(0).is_ref()) {
      continue;
    }
    return {name, static_cast<DataType>(def->output_arg(0).type())};
  }
  return {};
}

std::string TypeName(DataType t) {
  return tensorflow::DataType_Name(static_cast<tensorflow::DataType>(t));
}

// x (float) -> y = Identity(x); s (string) -> missing = <op without a kernel>(s).
// Signatures: "ok" (x -> y), "needs_missing" (s -> missing),
// "classify_missing" (inputs=s -> scores=missing) and `extra` as given.
void WriteModel(const std::filesystem::path& dir, const NoKernelOp& op,
                const std::string& extra_signatures = "") {
  const std::string text = std::string(R"pb(
    saved_model_schema_version: 1
    meta_graphs {
      meta_info_def { tags: "serve" }
      graph_def {
        node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
        node { name: "s" op: "Placeholder" attr { key: "dtype" value { type: DT_STRING } } }
        node { name: "y" op: "Identity" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
        node { name: "missing" op: ")pb") + op.name + R"pb(" input: "s" }
      }
      signature_def {
        key: "ok"
        value {
          inputs { key: "x" value { name: "x:0" dtype: DT_FLOAT } }
          outputs { key: "y" value { name: "y:0" dtype: DT_FLOAT } }
          method_name: "tensorflow/serving/predict"
        }
      }
      signature_def {
        key: "needs_missing"
        value {
          inputs { key: "s" value { name: "s:0" dtype: DT_STRING } }
          outputs { key: "out" value { name: "missing:0" dtype: )pb" + TypeName(op.output) + R"pb( } }
          method_name: "tensorflow/serving/predict"
        }
      }
      signature_def {
        key: "classify_missing"
        value {
          inputs { key: "inputs" value { name: "s:0" dtype: DT_STRING } }
          outputs { key: "scores" value { name: "missing:0" dtype: )pb" + TypeName(op.output) + R"pb( } }
          method_name: "tensorflow/serving/classify"
        }
      }
  )pb" + extra_signatures + "}";
  tensorflow::SavedModel sm;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &sm));
  std::ofstream out(dir / "saved_model.pb", std::ios::binary);
  ASSERT_TRUE(sm.SerializeToOstream(&out));
}

#define REQUIRE_NO_KERNEL_OP(var)                                         \
  const NoKernelOp var = FindNoKernelOp();                                \
  if (var.name.empty()) GTEST_SKIP() << "every string -> tensor op has a kernel"

TEST(SavedModelBundleTest, SignatureWithoutKernelLoadsAndFailsWhenUsed) {
  REQUIRE_NO_KERNEL_OP(op);
  TempDir tmp;
  ASSERT_NO_FATAL_FAILURE(WriteModel(tmp.path(), op));
  auto bundle = LoadSavedModel(tmp.path().string(), {"serve"});
  ASSERT_TRUE(bundle.ok()) << bundle.status();

  // Other signatures are unaffected.
  EXPECT_TRUE((*bundle)->SignatureStatus("ok").ok());
  Tensor x(DT_FLOAT, TensorShape{2});
  x.flat<float>()[0] = 1.5f;
  x.flat<float>()[1] = -2.0f;
  auto ok = (*bundle)->Predict("ok", {{"x", x}});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)["y"].flat<float>()[1], -2.0f);

  Status kept = (*bundle)->SignatureStatus("needs_missing");
  EXPECT_EQ(kept.code(), StatusCode::kUnimplemented);
  for (const Status& s : {(*bundle)->Predict("needs_missing", {{"s", Tensor::Scalar<std::string>("a")}}).status(),
                          // Inputs are not looked at before the missing kernel is reported.
                          (*bundle)->Predict("needs_missing", {}).status()}) {
    EXPECT_EQ(s.code(), StatusCode::kUnimplemented) << s;
    EXPECT_NE(s.message().find("no kernel for op '" + op.name + "'"), std::string::npos) << s;
    EXPECT_NE(s.message().find("node 'missing'"), std::string::npos) << s;
    EXPECT_NE(s.message().find("needs_missing"), std::string::npos) << s;
  }

  auto classified = (*bundle)->Classify("classify_missing", {"example"});
  EXPECT_EQ(classified.status().code(), StatusCode::kUnimplemented) << classified.status();
  EXPECT_NE(classified.status().message().find("node 'missing'"), std::string::npos);
  auto regressed = (*bundle)->Regress("classify_missing", {"example"});
  EXPECT_EQ(regressed.status().code(), StatusCode::kUnimplemented) << regressed.status();

  // Unknown keys still give their own error.
  EXPECT_TRUE((*bundle)->SignatureStatus("no_such_signature").ok());
  EXPECT_EQ((*bundle)->Predict("no_such_signature", {}).status().code(), StatusCode::kNotFound);
}

TEST(SavedModelBundleTest, OtherPlanningErrorsStillFailTheLoad) {
  REQUIRE_NO_KERNEL_OP(op);
  TempDir tmp;
  ASSERT_NO_FATAL_FAILURE(WriteModel(tmp.path(), op, R"pb(
      signature_def {
        key: "bad_tensor"
        value {
          inputs { key: "x" value { name: "x:0" dtype: DT_FLOAT } }
          outputs { key: "out" value { name: "no_such_node:0" dtype: DT_FLOAT } }
          method_name: "tensorflow/serving/predict"
        }
      }
  )pb"));
  auto bundle = LoadSavedModel(tmp.path().string(), {"serve"});
  ASSERT_FALSE(bundle.ok());
  EXPECT_NE(bundle.status().code(), StatusCode::kUnimplemented) << bundle.status();
  EXPECT_NE(bundle.status().message().find("preparing signature 'bad_tensor'"), std::string::npos)
      << bundle.status();
}

TEST(SavedModelBundleTest, CliRunReportsTheMissingKernel) {
  REQUIRE_NO_KERNEL_OP(op);
  TempDir tmp;
  ASSERT_NO_FATAL_FAILURE(WriteModel(tmp.path(), op));
  const std::string dir = tmp.path().string();
  std::string out;
  EXPECT_EQ(RunCli("run " + dir + " --tag_set serve --signature_def ok --input_exprs 'x=3.0'", &out),
            0)
      << out;
  EXPECT_NE(out.find("3"), std::string::npos) << out;
  EXPECT_NE(RunCli("run " + dir +
                       " --tag_set serve --signature_def needs_missing --input_exprs 's=\"a\"'",
                   &out),
            0);
  EXPECT_NE(out.find("UNIMPLEMENTED"), std::string::npos) << out;
  EXPECT_NE(out.find("no kernel for op '" + op.name + "' (node 'missing')"),
            std::string::npos)
      << out;
  // show reads the signature without running it.
  EXPECT_EQ(RunCli("show " + dir + " --tag_set serve --signature_def needs_missing", &out), 0)
      << out;
  EXPECT_NE(out.find("missing:0"), std::string::npos) << out;
}

}  // namespace
}  // namespace savedmodel
