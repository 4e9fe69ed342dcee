#include "savedmodel/graph/graph.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "savedmodel/exec/session.h"

namespace savedmodel {
namespace {

constexpr char kFloatConst[] = R"pb(
  node {
    name: "c"
    op: "Const"
    attr { key: "dtype" value { type: DT_FLOAT } }
    attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 1 } } }
  }
)pb";

StatusOr<std::unique_ptr<Graph>> ImportGraphText(const std::string& text) {
  tensorflow::GraphDef g;
  if (!google::protobuf::TextFormat::ParseFromString(text, &g)) {
    return InvalidArgument("test graph does not parse");
  }
  return Graph::Import(std::move(g));
}

Status ImportText(const std::string& text) { return ImportGraphText(text).status(); }

void ExpectInvalid(const Status& s, const std::string& substr) {
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find(substr), std::string::npos) << s.ToString();
}

// A node whose N-counted inputs would be empty used to reach its kernel and crash.
TEST(GraphImportTest, IntAttrBelowMinimumIsRejected) {
  for (const char* op : {"Pack", "AddN"}) {
    ExpectInvalid(ImportText(std::string(R"pb(node { name: "p" op: ")pb") + op + R"pb("
                             attr { key: "N" value { i: 0 } }
                             attr { key: "T" value { type: DT_FLOAT } } })pb"),
                  "Value for attr 'N' of 0 must be at least minimum 1");
  }
  ExpectInvalid(ImportText(std::string(kFloatConst) + R"pb(node { name: "cc" op: "ConcatV2"
                           input: "c" input: "c"
                           attr { key: "N" value { i: 1 } }
                           attr { key: "T" value { type: DT_FLOAT } } })pb"),
                "Value for attr 'N' of 1 must be at least minimum 2");
}

TEST(GraphImportTest, ErrorNamesTheNode) {
  Status s = ImportText(R"pb(node { name: "p" op: "Pack"
                        attr { key: "N" value { i: -3 } }
                        attr { key: "T" value { type: DT_FLOAT } } })pb");
  ExpectInvalid(s, "node 'p' (op Pack)");
  ExpectInvalid(s, "of -3 must be at least minimum 1");
}

TEST(GraphImportTest, ListLengthBelowMinimumIsRejected) {
  ExpectInvalid(ImportText(std::string(kFloatConst) + R"pb(node { name: "i" op: "IdentityN"
                           attr { key: "T" value { list {} } } })pb"),
                "Length for attr 'T' of 0 must be at least minimum 1");
}

TEST(GraphImportTest, StringAttrOutsideAllowedValuesIsRejected) {
  ExpectInvalid(ImportText(std::string(kFloatConst) + R"pb(node { name: "conv" op: "Conv2D"
                           input: "c" input: "c"
                           attr { key: "T" value { type: DT_FLOAT } }
                           attr { key: "strides" value { list { i: [1, 1, 1, 1] } } }
                           attr { key: "padding" value { s: "FOO" } } })pb"),
                R"(Value for attr 'padding' of "FOO" is not in the list of allowed values: )"
                R"("SAME", "VALID", "EXPLICIT")");
}

TEST(GraphImportTest, TypeAttrOutsideAllowedValuesIsRejected) {
  ExpectInvalid(ImportText(R"pb(node { name: "s" op: "Placeholder"
                           attr { key: "dtype" value { type: DT_STRING } } }
                           node { name: "n" op: "Neg" input: "s"
                           attr { key: "T" value { type: DT_STRING } } })pb"),
                "Value for attr 'T' of string is not in the list of allowed values: bfloat16, "
                "half, float, double, int8, int16, int32, int64, complex64, complex128");
}

TEST(GraphImportTest, RefOrInvalidDtypeIsRejected) {
  // A dtype attr never holds a ref or an unknown dtype, whatever it allows.
  ExpectInvalid(ImportText(R"pb(node { name: "p" op: "Placeholder"
                           attr { key: "dtype" value { type: DT_FLOAT_REF } } })pb"),
                "AttrValue must not have reference type value of float_ref for attr 'dtype'");
  ExpectInvalid(ImportText(R"pb(node { name: "p" op: "Placeholder"
                           attr { key: "dtype" value { type: DT_INVALID } } })pb"),
                "is not a valid DataType");
}

TEST(GraphImportTest, ValidGraphStillImports) {
  EXPECT_TRUE(ImportText(std::string(kFloatConst) + R"pb(node { name: "p" op: "Pack"
                         input: "c" input: "c"
                         attr { key: "N" value { i: 2 } }
                         attr { key: "T" value { type: DT_FLOAT } } })pb")
                  .ok());
}

// A Const's bytes are held once: import decodes them into the node's
// Tensor and drops them from the NodeDef (which keeps dtype and shape), and
// the kernel outputs that same buffer on every run.
TEST(GraphImportTest, ConstValueIsDecodedOnceAndShared) {
  auto graph = ImportGraphText(R"pb(
    node {
      name: "c"
      op: "Const"
      attr { key: "dtype" value { type: DT_INT32 } }
      attr { key: "value" value { tensor {
        dtype: DT_INT32 tensor_shape { dim { size: 3 } } int_val: 7 int_val: -2 int_val: 5 } } }
    }
  )pb");
  ASSERT_TRUE(graph.ok()) << graph.status();
  const Node& c = (*graph)->node(0);
  ASSERT_TRUE(c.const_value.has_value());
  ASSERT_EQ(c.const_value->shape(), TensorShape({3}));
  EXPECT_EQ(c.const_value->flat<int32_t>()[0], 7);
  EXPECT_EQ(c.const_value->flat<int32_t>()[1], -2);
  EXPECT_EQ(c.const_value->flat<int32_t>()[2], 5);
  const tensorflow::TensorProto& left = c.def.attr().at("value").tensor();
  EXPECT_EQ(left.dtype(), tensorflow::DT_INT32);
  ASSERT_EQ(left.tensor_shape().dim_size(), 1);
  EXPECT_EQ(left.tensor_shape().dim(0).size(), 3);
  EXPECT_EQ(left.int_val_size(), 0);
  EXPECT_TRUE(left.tensor_content().empty());

  const void* held = c.const_value->raw_data();
  auto session = Session::Create(std::move(graph).value());
  ASSERT_TRUE(session.ok()) << session.status();
  for (int run = 0; run < 2; ++run) {
    auto out = (*session)->Run({}, {"c:0"});
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ((*out)[0].raw_data(), held) << "run " << run << " copied the constant";
    EXPECT_EQ((*out)[0].flat<int32_t>()[1], -2);
  }
}

// A value that does not decode is left in the def for the kernel, whose
// error names the node.
TEST(GraphImportTest, UndecodableConstValueIsReportedByItsKernel) {
  auto graph = ImportGraphText(R"pb(
    node {
      name: "bad"
      op: "Const"
      attr { key: "dtype" value { type: DT_FLOAT } }
      attr { key: "value" value { tensor {
        dtype: DT_FLOAT tensor_shape { dim { size: 2 } } tensor_content: "abc" } } }
    }
  )pb");
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_FALSE((*graph)->node(0).const_value.has_value());
  EXPECT_EQ((*graph)->node(0).def.attr().at("value").tensor().tensor_content(), "abc");
  auto session = Session::Create(std::move(graph).value());
  Status s = session.ok() ? (*session)->Run({}, {"bad:0"}).status() : session.status();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'bad'"), std::string::npos) << s;
}

}  // namespace
}  // namespace savedmodel
