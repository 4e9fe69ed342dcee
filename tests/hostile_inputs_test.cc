// Hostile feeds and attrs get an error status naming the node, never a crash.
#include <cstdint>
#include <limits>

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "savedmodel/exec/session.h"
#include "savedmodel/format/tensor_proto.h"

namespace savedmodel {
namespace {

StatusOr<std::unique_ptr<Session>> SessionFromText(const std::string& text) {
  tensorflow::GraphDef g;
  if (!google::protobuf::TextFormat::ParseFromString(text, &g)) {
    return InvalidArgument("test graph does not parse");
  }
  ASSIGN_OR_RETURN(auto graph, Graph::Import(g));
  return Session::Create(std::move(graph), SessionOptions());
}

std::string Placeholder(const std::string& name, const std::string& dtype) {
  return "node { name: '" + name + "' op: 'Placeholder' attr { key: 'dtype' value { type: " +
         dtype + " } } }\n";
}

void ExpectStatus(const Status& s, StatusCode code, const std::string& substr) {
  EXPECT_EQ(s.code(), code) << s.ToString();
  EXPECT_NE(s.message().find(substr), std::string::npos) << s.ToString();
}

TEST(HostileInputsTest, MeanOfEmptyFeedWithHugeOutputIsResourceExhausted) {
  auto session = SessionFromText(Placeholder("x", "DT_FLOAT") + Placeholder("axis", "DT_INT32") + R"pb(
    node { name: "mean" op: "Mean" input: "x" input: "axis"
           attr { key: "T" value { type: DT_FLOAT } }
           attr { key: "Tidx" value { type: DT_INT32 } } })pb");
  ASSERT_TRUE(session.ok()) << session.status();
  // Zero elements in, 2^34 floats (64 GiB) out.
  Tensor x(DT_FLOAT, TensorShape{int64_t{1} << 34, 0});
  auto r = (*session)->Run({{"x", x}, {"axis", Tensor::Scalar<int32_t>(1)}}, {"mean"});
  ExpectStatus(r.status(), StatusCode::kResourceExhausted, "node 'mean' (op Mean)");
  ExpectStatus(r.status(), StatusCode::kResourceExhausted, "68719476736 bytes");
}

TEST(HostileInputsTest, FillWithHugeDimsIsResourceExhausted) {
  auto session = SessionFromText(Placeholder("dims", "DT_INT64") + Placeholder("v", "DT_FLOAT") + R"pb(
    node { name: "fill" op: "Fill" input: "dims" input: "v"
           attr { key: "T" value { type: DT_FLOAT } }
           attr { key: "index_type" value { type: DT_INT64 } } })pb");
  ASSERT_TRUE(session.ok()) << session.status();
  auto dims = Tensor::FromVector<int64_t>({int64_t{1} << 20, int64_t{1} << 20});
  auto r = (*session)->Run({{"dims", dims}, {"v", Tensor::Scalar<float>(1)}}, {"fill"});
  ExpectStatus(r.status(), StatusCode::kResourceExhausted, "node 'fill' (op Fill)");
}

TEST(HostileInputsTest, TileAndOneHotWithHugeSizesAreResourceExhausted) {
  auto session = SessionFromText(
      Placeholder("x", "DT_FLOAT") + Placeholder("m", "DT_INT32") + Placeholder("i", "DT_INT32") +
      Placeholder("depth", "DT_INT32") + Placeholder("on", "DT_FLOAT") +
      Placeholder("off", "DT_FLOAT") + R"pb(
    node { name: "tile" op: "Tile" input: "x" input: "m"
           attr { key: "T" value { type: DT_FLOAT } }
           attr { key: "Tmultiples" value { type: DT_INT32 } } }
    node { name: "onehot" op: "OneHot" input: "i" input: "depth" input: "on" input: "off"
           attr { key: "T" value { type: DT_FLOAT } }
           attr { key: "TI" value { type: DT_INT32 } } })pb");
  ASSERT_TRUE(session.ok()) << session.status();
  auto tile = (*session)->Run({{"x", Tensor::FromVector<float>({1, 2, 3, 4, 5, 6, 7, 8})},
                               {"m", Tensor::FromVector<int32_t>({1 << 30})}},
                              {"tile"});
  ExpectStatus(tile.status(), StatusCode::kResourceExhausted, "node 'tile' (op Tile)");
  auto onehot = (*session)->Run({{"i", Tensor::FromVector<int32_t>({0, 1, 2, 3})},
                                 {"depth", Tensor::Scalar<int32_t>(1 << 30)},
                                 {"on", Tensor::Scalar<float>(1)},
                                 {"off", Tensor::Scalar<float>(0)}},
                                {"onehot"});
  ExpectStatus(onehot.status(), StatusCode::kResourceExhausted, "node 'onehot' (op OneHot)");
}

TEST(HostileInputsTest, Int64RangeOverFullDomainIsInvalidArgument) {
  auto session = SessionFromText(Placeholder("s", "DT_INT64") + Placeholder("l", "DT_INT64") +
                                 Placeholder("d", "DT_INT64") + R"pb(
    node { name: "range" op: "Range" input: "s" input: "l" input: "d"
           attr { key: "Tidx" value { type: DT_INT64 } } })pb");
  ASSERT_TRUE(session.ok()) << session.status();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  auto run = [&](int64_t s, int64_t l, int64_t d) {
    return (*session)->Run({{"s", Tensor::Scalar(s)}, {"l", Tensor::Scalar(l)},
                            {"d", Tensor::Scalar(d)}},
                           {"range"});
  };
  ExpectStatus(run(kMin, kMax, 1).status(), StatusCode::kInvalidArgument, "node 'range'");
  ExpectStatus(run(kMax, kMin, -1).status(), StatusCode::kInvalidArgument, "node 'range'");
  // Near the ends of the domain: exact sizes, and no overflow past the last element.
  auto top = run(kMax - 2, kMax, 1);
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_TRUE((*top)[0].Equals(Tensor::FromVector<int64_t>({kMax - 2, kMax - 1})));
  auto wide = run(kMin, kMax, kMax);
  ASSERT_TRUE(wide.ok()) << wide.status();
  EXPECT_TRUE((*wide)[0].Equals(Tensor::FromVector<int64_t>({kMin, -1, kMax - 1})));
}

TEST(HostileInputsTest, TensorAllocateOverTheLimitIsResourceExhausted) {
  auto t = Tensor::Allocate(DT_DOUBLE, TensorShape{int64_t{1} << 38});
  ExpectStatus(t.status(), StatusCode::kResourceExhausted, "2199023255552 bytes");
  const size_t saved = MaxTensorBytes();
  SetMaxTensorBytes(1024);
  EXPECT_EQ(Tensor::Allocate(DT_FLOAT, TensorShape{257}).status().code(),
            StatusCode::kResourceExhausted);
  EXPECT_TRUE(Tensor::Allocate(DT_FLOAT, TensorShape{256}).ok());
  SetMaxTensorBytes(saved);
}

// Outside a kernel call (a loader sizing a tensor from checked file contents)
// the limit does not apply; inside one it does.
TEST(HostileInputsTest, ConstructorLimitOnlyInsideAScope) {
  const size_t saved = MaxTensorBytes();
  SetMaxTensorBytes(1024);
  EXPECT_EQ(Tensor(DT_FLOAT, TensorShape{1000}).num_elements(), 1000);
  {
    ScopedTensorByteLimit limit;
    EXPECT_THROW(Tensor(DT_FLOAT, TensorShape{1000}), TensorAllocationError);
  }
  EXPECT_EQ(Tensor(DT_FLOAT, TensorShape{1000}).num_elements(), 1000);
  SetMaxTensorBytes(saved);
}

tensorflow::TensorProto HugeProto(tensorflow::DataType dtype) {
  tensorflow::TensorProto p;
  p.set_dtype(dtype);
  p.mutable_tensor_shape()->add_dim()->set_size(int64_t{1} << 36);
  return p;
}

// A Const of a few bytes claiming a huge shape fails on its sizes, before its
// tensor is allocated.
TEST(HostileInputsTest, TensorProtoSizesAreCheckedBeforeAllocating) {
  auto content = HugeProto(tensorflow::DT_FLOAT);
  content.set_tensor_content(std::string(4, '\0'));
  ExpectStatus(TensorFromProto(content).status(), StatusCode::kInvalidArgument,
               "tensor_content has 4 bytes but shape [68719476736] of float needs 274877906944");
  auto strings = HugeProto(tensorflow::DT_STRING);
  strings.set_tensor_content(std::string(3, '\0'));
  ExpectStatus(TensorFromProto(strings).status(), StatusCode::kInvalidArgument,
               "too few for the 68719476736 elements");
  // One value repeated (or none: zeros) is valid TensorFlow, bounded by the limit.
  auto repeated = HugeProto(tensorflow::DT_FLOAT);
  repeated.add_float_val(1);
  ExpectStatus(TensorFromProto(repeated).status(), StatusCode::kResourceExhausted,
               "274877906944 bytes");
  ExpectStatus(TensorFromProto(HugeProto(tensorflow::DT_STRING)).status(),
               StatusCode::kResourceExhausted, "OOM when allocating");
  tensorflow::TensorProto too_many;
  too_many.set_dtype(tensorflow::DT_INT32);
  too_many.mutable_tensor_shape()->add_dim()->set_size(1);
  too_many.add_int_val(1);
  too_many.add_int_val(2);
  ExpectStatus(TensorFromProto(too_many).status(), StatusCode::kInvalidArgument,
               "TensorProto has 2 values in int_val but its shape holds only 1 elements");
}

TEST(HostileInputsTest, MatMulOfEmptyMatricesWithHugeProductIsInvalidArgument) {
  auto session = SessionFromText(Placeholder("a", "DT_FLOAT") + Placeholder("b", "DT_FLOAT") + R"pb(
    node { name: "mm" op: "MatMul" input: "a" input: "b"
           attr { key: "T" value { type: DT_FLOAT } } })pb");
  ASSERT_TRUE(session.ok()) << session.status();
  Tensor a(DT_FLOAT, TensorShape{int64_t{1} << 40, 0});
  Tensor b(DT_FLOAT, TensorShape{0, int64_t{1} << 40});
  auto r = (*session)->Run({{"a", a}, {"b", b}}, {"mm"});
  ExpectStatus(r.status(), StatusCode::kInvalidArgument, "node 'mm' (op MatMul)");
  ExpectStatus(r.status(), StatusCode::kInvalidArgument, "more than 2^40 elements");
}

TEST(HostileInputsTest, ConvWindowArithmeticOverflowIsInvalidArgument) {
  for (const std::string op : {"Conv2D", "DepthwiseConv2dNative"}) {
    const std::string conv = R"pb(
      node { name: "conv" op: ")pb" + op + R"pb(" input: "x" input: "f"
             attr { key: "T" value { type: DT_FLOAT } }
             attr { key: "strides" value { list { i: [1, 1, 1, 1] } } } )pb";
    const std::string dilated = conv + R"pb(
             attr { key: "padding" value { s: "VALID" } }
             attr { key: "dilations" value { list { i: [1, 9223372036854775807, 1, 1] } } } })pb";
    const std::string padded = conv + R"pb(
             attr { key: "padding" value { s: "EXPLICIT" } }
             attr { key: "explicit_paddings"
                    value { list { i: [0, 0, 9223372036854775807, 1, 0, 0, 0, 0] } } } })pb";
    for (const std::string& node : {dilated, padded}) {
      auto session = SessionFromText(Placeholder("x", "DT_FLOAT") + Placeholder("f", "DT_FLOAT") + node);
      ASSERT_TRUE(session.ok()) << session.status();
      auto r = (*session)->Run({{"x", Tensor(DT_FLOAT, TensorShape{1, 2, 2, 1})},
                                {"f", Tensor(DT_FLOAT, TensorShape{2, 2, 1, 1})}},
                               {"conv"});
      ExpectStatus(r.status(), StatusCode::kInvalidArgument, "node 'conv' (op " + op + ")");
      ExpectStatus(r.status(), StatusCode::kInvalidArgument, "overflow int64");
    }
  }
}

TEST(HostileInputsTest, EinsumTooLargeForItsLoopIsResourceExhausted) {
  // 2^20 x 2^20 outer product summed to a scalar: 2^40 steps from 8 MiB of inputs.
  auto session = SessionFromText(Placeholder("a", "DT_FLOAT") + Placeholder("b", "DT_FLOAT") + R"pb(
    node { name: "e" op: "Einsum" input: "a" input: "b"
           attr { key: "T" value { type: DT_FLOAT } } attr { key: "N" value { i: 2 } }
           attr { key: "equation" value { s: "a,b->" } } })pb");
  ASSERT_TRUE(session.ok()) << session.status();
  auto r = (*session)->Run({{"a", Tensor(DT_FLOAT, TensorShape{1 << 20})},
                            {"b", Tensor(DT_FLOAT, TensorShape{1 << 20})}},
                           {"e"});
  ExpectStatus(r.status(), StatusCode::kResourceExhausted, "node 'e'");
}

TEST(HostileInputsTest, TileWhoseOutputDimOverflowsIsInvalidArgument) {
  auto session = SessionFromText(Placeholder("x", "DT_FLOAT") + Placeholder("m", "DT_INT64") + R"pb(
    node { name: "tile" op: "Tile" input: "x" input: "m"
           attr { key: "T" value { type: DT_FLOAT } } attr { key: "Tmultiples" value { type: DT_INT64 } } })pb");
  ASSERT_TRUE(session.ok()) << session.status();
  auto r = (*session)->Run({{"x", Tensor(DT_FLOAT, TensorShape{3, 1})},
                            {"m", Tensor::FromVector<int64_t>({4611686018427387904, 1}, TensorShape{2})}},
                           {"tile"});
  ExpectStatus(r.status(), StatusCode::kInvalidArgument, "overflows int64");
}

}  // namespace
}  // namespace savedmodel
