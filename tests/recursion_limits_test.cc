// Input that controls nesting depth gets an error, never a stack overflow:
// Python literals of the CLI's --input_exprs, binary SavedModel protos (whose
// AttrValue func attrs can nest without end), .npy headers.
#include <string>

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "py_literal.h"
#include "savedmodel/base/env.h"
#include "savedmodel/core/npy.h"
#include "savedmodel/format/saved_model/saved_model_reader.h"

namespace savedmodel {
namespace {

TEST(RecursionLimitsTest, PyLiteralNestedHundredThousandDeepIsAnError) {
  const int kDeep = 100000;
  auto deep = cli::ParsePyLiteral(std::string(kDeep, '[') + "1" + std::string(kDeep, ']'));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), StatusCode::kInvalidArgument) << deep.status();
  EXPECT_NE(deep.status().message().find("nesting too deep"), std::string::npos) << deep.status();
  // Unclosed, and through dicts and tuples: the same bound.
  EXPECT_FALSE(cli::ParsePyLiteral(std::string(kDeep, '[')).ok());
  std::string dicts;
  for (int i = 0; i < 1000; ++i) dicts += "{'a': (";
  EXPECT_FALSE(cli::ParsePyLiteral(dicts).ok());
  // Real feeds nest a few levels, well inside the bound.
  auto ok = cli::ParsePyLiteral(std::string(30, '[') + "1" + std::string(30, ']'));
  ASSERT_TRUE(ok.ok()) << ok.status();
}

// A SavedModel whose Const carries an attr nesting func { attr { func ... } }
// `depth` times.
std::string NestedAttrSavedModel(int depth) {
  tensorflow::SavedModel sm;
  auto* node = sm.add_meta_graphs()->mutable_graph_def()->add_node();
  node->set_name("n");
  node->set_op("NoOp");
  tensorflow::AttrValue* v = &(*node->mutable_attr())["deep"];
  for (int i = 0; i < depth; ++i) {
    auto* f = v->mutable_func();
    f->set_name("f");
    v = &(*f->mutable_attr())["x"];
  }
  v->set_i(1);
  std::string bytes;
  EXPECT_TRUE(sm.SerializeToString(&bytes));
  return bytes;
}

// Binary protos parse through protobuf's CodedInputStream, whose default
// recursion limit (100 nested messages) refuses deeper input.
TEST(RecursionLimitsTest, BinarySavedModelNestedPastProtobufsLimitIsDataLoss) {
  auto env = NewMemEnv();
  ASSERT_TRUE(env->CreateDirs("deep").ok());
  ASSERT_TRUE(env->WriteStringToFile("deep/saved_model.pb", NestedAttrSavedModel(5000)).ok());
  auto r = ReadSavedModelProto(env.get(), "deep", nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status();

  ASSERT_TRUE(env->CreateDirs("shallow").ok());
  ASSERT_TRUE(env->WriteStringToFile("shallow/saved_model.pb", NestedAttrSavedModel(10)).ok());
  auto ok = ReadSavedModelProto(env.get(), "shallow", nullptr);
  EXPECT_TRUE(ok.ok()) << ok.status();
}

// Text-format SavedModels nest the same way; TextFormat::Parser has no
// recursion limit unless one is set, so the reader sets the binary default.
TEST(RecursionLimitsTest, TextSavedModelNestedDeepIsAnError) {
  const int kDeep = 100000;
  std::string text = "meta_graphs { graph_def { node { name: 'n' op: 'NoOp' attr { key: 'deep' value { ";
  for (int i = 0; i < kDeep; ++i) text += "func { name: 'f' attr { key: 'x' value { ";
  text += "i: 1 ";
  for (int i = 0; i < kDeep; ++i) text += "} } } ";
  text += "} } } } }";
  auto env = NewMemEnv();
  ASSERT_TRUE(env->CreateDirs("deep").ok());
  ASSERT_TRUE(env->WriteStringToFile("deep/saved_model.pbtxt", text).ok());
  auto r = ReadSavedModelProto(env.get(), "deep", nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status();
}

TEST(RecursionLimitsTest, NpyShapeTupleNestingIsAnError) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + std::string(100000, '(') + "}";
  std::string npy = "\x93NUMPY\x02";
  npy.push_back(0);
  for (int i = 0; i < 4; ++i) npy.push_back(static_cast<char>((dict.size() >> (8 * i)) & 0xff));
  auto r = ReadNpy(npy + dict, "deep.npy");
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace savedmodel
