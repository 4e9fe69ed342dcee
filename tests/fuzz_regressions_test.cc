// Inputs the libFuzzer targets (fuzz/) found crashing, each replayed as the
// graph or bytes the target built from it, asserting the error status that
// now comes back instead.
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "savedmodel/base/env.h"
#include "savedmodel/data/idx.h"
#include "savedmodel/exec/session.h"
#include "savedmodel/graph/graph.h"

namespace savedmodel {
namespace {

tensorflow::NodeDef* AddNode(tensorflow::GraphDef* g, const std::string& name, const std::string& op) {
  tensorflow::NodeDef* n = g->add_node();
  n->set_name(name);
  n->set_op(op);
  return n;
}

tensorflow::NodeDef* AddStringPlaceholder(tensorflow::GraphDef* g, const std::string& name) {
  tensorflow::NodeDef* n = AddNode(g, name, "Placeholder");
  (*n->mutable_attr())["dtype"].set_type(tensorflow::DT_STRING);
  return n;
}

// kernel_fuzz: ParseExample whose Nsparse (which sizes its key inputs) is
// smaller than len(sparse_types) (which the kernel counted keys by) read key
// inputs past the end of its input list (heap-buffer-overflow).
TEST(FuzzRegressionsTest, ParseExampleCountsDisagreeWithTypeLists) {
  for (int case_index = 0; case_index < 2; ++case_index) {
    tensorflow::GraphDef g;
    AddStringPlaceholder(&g, "serialized");
    AddStringPlaceholder(&g, "names");
    tensorflow::NodeDef* p = AddNode(&g, "parse", "ParseExample");
    p->add_input("serialized");
    p->add_input("names");
    auto& attr = *p->mutable_attr();
    attr["Nsparse"].set_i(0);
    attr["Ndense"].set_i(0);
    attr["Tdense"].mutable_list();
    attr["dense_shapes"].mutable_list();
    attr["sparse_types"].mutable_list();
    if (case_index == 0) {
      attr["sparse_types"].mutable_list()->add_type(tensorflow::DT_FLOAT);  // one type, no key
    } else {
      attr["Ndense"].set_i(1);  // one dense key input, no Tdense entry
      AddStringPlaceholder(&g, "key");
      p->add_input("key");
    }
    auto graph = Graph::Import(g);
    ASSERT_TRUE(graph.ok()) << graph.status();
    SessionOptions opts;
    opts.intra_op_threads = 1;
    opts.inter_op_threads = 1;
    auto session = Session::Create(std::move(graph).value(), opts);
    ASSERT_TRUE(session.ok()) << session.status();
    std::vector<std::pair<std::string, Tensor>> feeds = {
        {"serialized:0", Tensor::FromVector<std::string>({""})},
        {"names:0", Tensor::FromVector<std::string>({})}};
    if (case_index == 1) feeds.push_back({"key:0", Tensor::Scalar<std::string>("k")});
    auto out = (*session)->Run(feeds, {}, {"parse"});
    ASSERT_FALSE(out.ok()) << "case " << case_index;
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << out.status();
    EXPECT_NE(out.status().message().find(case_index == 0 ? "len(sparse_keys) != len(sparse_types)"
                                                          : "len(dense_keys) != len(dense_types)"),
              std::string::npos)
        << out.status();
    EXPECT_NE(out.status().message().find("parse"), std::string::npos) << out.status();
  }
}

// kernel_fuzz: StridedSlice with ellipsis_mask = INT64_MIN overflowed the
// signed "mask - 1" of its one-ellipsis check (UBSan). TensorFlow reads the
// masks as int32, so that value is refused at construction; INT32_MIN (one
// bit, an ellipsis at position 31, past the one-entry spec) is ignored as
// TensorFlow ignores it, giving x[1:3].
TEST(FuzzRegressionsTest, StridedSliceWithExtremeEllipsisMask) {
  for (int64_t mask : {std::numeric_limits<int64_t>::min(), int64_t{std::numeric_limits<int32_t>::min()}}) {
    tensorflow::GraphDef g;
    tensorflow::NodeDef* x = AddNode(&g, "x", "Placeholder");
    (*x->mutable_attr())["dtype"].set_type(tensorflow::DT_FLOAT);
    for (const char* name : {"begin", "end", "strides"}) {
      tensorflow::NodeDef* p = AddNode(&g, name, "Placeholder");
      (*p->mutable_attr())["dtype"].set_type(tensorflow::DT_INT32);
    }
    tensorflow::NodeDef* s = AddNode(&g, "slice", "StridedSlice");
    for (const char* in : {"x", "begin", "end", "strides"}) s->add_input(in);
    (*s->mutable_attr())["T"].set_type(tensorflow::DT_FLOAT);
    (*s->mutable_attr())["Index"].set_type(tensorflow::DT_INT32);
    (*s->mutable_attr())["ellipsis_mask"].set_i(mask);
    auto graph = Graph::Import(g);
    ASSERT_TRUE(graph.ok()) << graph.status();
    auto session = Session::Create(std::move(graph).value());
    ASSERT_TRUE(session.ok()) << session.status();
    auto out = (*session)->Run({{"x:0", Tensor::FromVector<float>({1, 2, 3})},
                                {"begin:0", Tensor::FromVector<int32_t>({1})},
                                {"end:0", Tensor::FromVector<int32_t>({3})},
                                {"strides:0", Tensor::FromVector<int32_t>({1})}},
                               {"slice:0"});
    if (mask < std::numeric_limits<int32_t>::min()) {
      ASSERT_FALSE(out.ok());
      EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << out.status();
      EXPECT_NE(out.status().message().find("'ellipsis_mask' out of range"), std::string::npos) << out.status();
      EXPECT_NE(out.status().message().find("node 'slice'"), std::string::npos) << out.status();
    } else {
      ASSERT_TRUE(out.ok()) << out.status();
      EXPECT_TRUE((*out)[0].Equals(Tensor::FromVector<float>({2, 3}))) << (*out)[0].DebugString();
    }
  }
}

// idx_fuzz: an IDX file with a zero dim memcpy'd its (empty) data into the
// null buffer of an empty tensor (UBSan: null pointer to memcpy).
TEST(FuzzRegressionsTest, IdxWithZeroDimReadsAsEmptyTensor) {
  auto env = NewMemEnv();
  // uint8, rank 2, dims [0, 3], no data.
  const std::string bytes("\x00\x00\x08\x02\x00\x00\x00\x00\x00\x00\x00\x03", 12);
  ASSERT_TRUE(env->WriteStringToFile("empty.idx", bytes).ok());
  auto t = ReadIdx(env.get(), "empty.idx");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->dtype(), DT_UINT8);
  EXPECT_EQ(t->shape(), TensorShape({0, 3}));
}

// kernel_fuzz: ArgMax with output_type int16 or uint16 (allowed by its
// OpDef) wrote int64 indices into the 2-byte output (heap-buffer-overflow).
// ArgMin's OpDef allows only int32 and int64, so there the graph is refused.
StatusOr<Tensor> ArgOp(const char* op, tensorflow::DataType output_type) {
  tensorflow::GraphDef g;
  tensorflow::NodeDef* x = AddNode(&g, "x", "Placeholder");
  (*x->mutable_attr())["dtype"].set_type(tensorflow::DT_FLOAT);
  tensorflow::NodeDef* axis = AddNode(&g, "axis", "Placeholder");
  (*axis->mutable_attr())["dtype"].set_type(tensorflow::DT_INT32);
  tensorflow::NodeDef* a = AddNode(&g, "arg", op);
  a->add_input("x");
  a->add_input("axis");
  (*a->mutable_attr())["T"].set_type(tensorflow::DT_FLOAT);
  (*a->mutable_attr())["output_type"].set_type(output_type);
  ASSIGN_OR_RETURN(auto graph, Graph::Import(g));
  ASSIGN_OR_RETURN(auto session, Session::Create(std::move(graph)));
  ASSIGN_OR_RETURN(auto out, session->Run({{"x:0", Tensor::FromVector<float>({1, 5, 2, -4, 0})},
                                           {"axis:0", Tensor::Scalar<int32_t>(0)}},
                                          {"arg:0"}));
  return out[0];
}

TEST(FuzzRegressionsTest, ArgMaxWithInt16OutputType) {
  auto i16 = ArgOp("ArgMax", tensorflow::DT_INT16);
  ASSERT_TRUE(i16.ok()) << i16.status();
  ASSERT_EQ(i16->dtype(), DT_INT16);
  EXPECT_EQ(i16->scalar<int16_t>(), 1);
  auto u16 = ArgOp("ArgMax", tensorflow::DT_UINT16);
  ASSERT_TRUE(u16.ok()) << u16.status();
  ASSERT_EQ(u16->dtype(), DT_UINT16);
  EXPECT_EQ(u16->scalar<uint16_t>(), 1);
  auto min16 = ArgOp("ArgMin", tensorflow::DT_INT16);
  ASSERT_FALSE(min16.ok());
  EXPECT_NE(min16.status().message().find("not in the list of allowed values"), std::string::npos)
      << min16.status();
  auto min64 = ArgOp("ArgMin", tensorflow::DT_INT64);
  ASSERT_TRUE(min64.ok()) << min64.status();
  EXPECT_EQ(min64->scalar<int64_t>(), 3);
}

}  // namespace
}  // namespace savedmodel
