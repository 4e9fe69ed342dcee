// C-level tests of libtensorflow.so through its public headers only: what the
// comparison with TensorFlow's library (tests/reference/test_c_api.py) cannot
// cover because TensorFlow aborts or leaks there (null arguments, indices past
// the rank), tensor ownership (deallocators), strings through TF_SessionRun,
// and concurrent runs. Expected values: TF Serving's half_plus_two (y = x/2 + 2).
#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tensorflow/c/c_api.h"
#include "tensorflow/c/eager/c_api.h"

namespace {

const std::string kHalfPlusTwo =
    std::string(SAVEDMODEL_SHARED_DIR) + "/testdata/tf_serving/saved_model_half_plus_two_cpu/00000123";

struct StatusDeleter {
  void operator()(TF_Status* s) const { TF_DeleteStatus(s); }
};
using StatusPtr = std::unique_ptr<TF_Status, StatusDeleter>;

void CountCalls(void*, size_t, void* arg) { ++*static_cast<int*>(arg); }

// Protocol-buffer wire format, enough to write a small GraphDef by hand: the
// test links only the C API (a second copy of the generated messages in one
// process would clash with the library's in protobuf's global registry).
std::string Varint(uint64_t v) {
  std::string out;
  for (; v >= 0x80; v >>= 7) out += static_cast<char>((v & 0x7f) | 0x80);
  return out + static_cast<char>(v);
}
std::string Bytes(int field, const std::string& payload) {
  return Varint(static_cast<uint64_t>(field) << 3 | 2) + Varint(payload.size()) + payload;
}
// NodeDef: name = 1, op = 2, input = 3, attr = 5 (map entry: key 1, value 2);
// AttrValue: type = 6 (varint).
std::string TypeAttr(const std::string& key, int dtype) {
  return Bytes(5, Bytes(1, key) + Bytes(2, Varint(6 << 3) + Varint(static_cast<uint64_t>(dtype))));
}

TEST(CApiTensor, NewTensorAdoptsAlignedBytesUntilTheLastUser) {
  alignas(64) float values[6] = {1, 2, 3, 4, 5, 6};
  int64_t dims[2] = {2, 3};
  int calls = 0;
  TF_Tensor* t = TF_NewTensor(TF_FLOAT, dims, 2, values, sizeof(values), CountCalls, &calls);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(TF_TensorData(t), static_cast<void*>(values));  // no copy
  EXPECT_EQ(calls, 0);
  // An eager handle shares the bytes, so the deallocator waits for it too.
  StatusPtr status(TF_NewStatus());
  TFE_TensorHandle* h = TFE_NewTensorHandle(t, status.get());
  ASSERT_EQ(TF_GetCode(status.get()), TF_OK) << TF_Message(status.get());
  TF_DeleteTensor(t);
  EXPECT_EQ(calls, 0);
  TFE_DeleteTensorHandle(h);
  EXPECT_EQ(calls, 1);
}

TEST(CApiTensor, NewTensorCopiesMisalignedBytesAndStringsStayTheCallers) {
  alignas(64) float storage[7] = {0, 1, 2, 3, 4, 5, 6};
  float* values = storage + 1;  // 4 bytes past a 64-byte boundary
  int64_t dims[2] = {2, 3};
  int calls = 0;
  TF_Tensor* t = TF_NewTensor(TF_FLOAT, dims, 2, values, 6 * sizeof(float), CountCalls, &calls);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(calls, 1);  // misaligned, so copied and the caller's buffer freed at once
  EXPECT_EQ(static_cast<float*>(TF_TensorData(t))[5], 6.0f);
  EXPECT_TRUE(TF_TensorIsAligned(t));
  TF_DeleteTensor(t);
  EXPECT_EQ(calls, 1);

  TF_TString strings[2];
  TF_StringInit(&strings[0]);
  TF_StringInit(&strings[1]);
  TF_StringCopy(&strings[1], "a string longer than the small form", 35);
  int64_t two = 2;
  calls = 0;
  t = TF_NewTensor(TF_STRING, &two, 1, strings, sizeof(strings), CountCalls, &calls);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(calls, 0);  // TF_STRING data stays the caller's until the tensor goes
  EXPECT_EQ(TF_TensorData(t), static_cast<void*>(strings));
  TF_DeleteTensor(t);
  EXPECT_EQ(calls, 1);
  TF_StringDealloc(&strings[1]);
}

TEST(CApiTensor, BadShapesAndSizesGiveNull) {
  int64_t negative[2] = {2, -3};
  EXPECT_EQ(TF_AllocateTensor(TF_FLOAT, negative, 2, 24), nullptr);
  int64_t dims[2] = {2, 3};
  EXPECT_EQ(TF_AllocateTensor(TF_FLOAT, dims, 2, 23), nullptr);
  EXPECT_EQ(TF_AllocateTensor(TF_RESOURCE, dims, 2, 24), nullptr);
  EXPECT_EQ(TF_AllocateTensor(TF_FLOAT, nullptr, 2, 24), nullptr);
  int64_t huge[2] = {int64_t{1} << 40, int64_t{1} << 40};
  EXPECT_EQ(TF_AllocateTensor(TF_FLOAT, huge, 2, 16), nullptr);
  float v = 0;
  EXPECT_EQ(TF_NewTensor(TF_FLOAT, dims, 2, &v, sizeof(v), nullptr, nullptr), nullptr);
}

TEST(CApiSession, NullArgumentsAreErrorsNotCrashes) {
  StatusPtr status(TF_NewStatus());
  TF_SessionRun(nullptr, nullptr, nullptr, nullptr, 0, nullptr, nullptr, 0, nullptr, 0, nullptr,
                status.get());
  EXPECT_EQ(TF_GetCode(status.get()), TF_INVALID_ARGUMENT);
  TF_Graph* graph = TF_NewGraph();
  const char* tag = "serve";
  EXPECT_EQ(TF_LoadSessionFromSavedModel(nullptr, nullptr, nullptr, &tag, 1, graph, nullptr,
                                         status.get()),
            nullptr);
  EXPECT_EQ(TF_GetCode(status.get()), TF_INVALID_ARGUMENT);
  EXPECT_EQ(TF_GraphOperationByName(nullptr, "x"), nullptr);
  EXPECT_EQ(TF_GraphOperationByName(graph, "x"), nullptr);
  size_t pos = 0;
  EXPECT_EQ(TF_GraphNextOperation(graph, &pos), nullptr);
  TF_GraphImportGraphDef(graph, nullptr, nullptr, status.get());
  EXPECT_EQ(TF_GetCode(status.get()), TF_INVALID_ARGUMENT);
  TF_DeleteGraph(graph);
}

TEST(CApiEager, IndicesPastTheRankAndMissingRoomAreErrors) {
  StatusPtr status(TF_NewStatus());
  TFE_ContextOptions* opts = TFE_NewContextOptions();
  TFE_Context* ctx = TFE_NewContext(opts, status.get());
  TFE_DeleteContextOptions(opts);
  float v = 2;
  TF_Tensor* t = TF_AllocateTensor(TF_FLOAT, nullptr, 0, sizeof(v));
  std::memcpy(TF_TensorData(t), &v, sizeof(v));
  TFE_TensorHandle* h = TFE_NewTensorHandle(t, status.get());
  TF_DeleteTensor(t);
  TFE_TensorHandleDim(h, 0, status.get());  // TensorFlow aborts here
  EXPECT_EQ(TF_GetCode(status.get()), TF_INVALID_ARGUMENT);

  TFE_Op* op = TFE_NewOp(ctx, "AddV2", status.get());
  TFE_OpAddInput(op, h, status.get());
  TFE_OpAddInput(op, nullptr, status.get());
  EXPECT_EQ(TF_GetCode(status.get()), TF_INVALID_ARGUMENT);
  TFE_OpAddInput(op, h, status.get());
  int room = 0;
  TFE_Execute(op, nullptr, &room, status.get());
  EXPECT_EQ(TF_GetCode(status.get()), TF_INVALID_ARGUMENT);
  TFE_TensorHandle* out = nullptr;
  room = 1;
  TFE_Execute(op, &out, &room, status.get());
  ASSERT_EQ(TF_GetCode(status.get()), TF_OK) << TF_Message(status.get());
  TF_Tensor* r = TFE_TensorHandleResolve(out, status.get());
  EXPECT_EQ(*static_cast<float*>(TF_TensorData(r)), 4.0f);
  TF_DeleteTensor(r);
  TFE_DeleteTensorHandle(out);
  TFE_DeleteOp(op);
  TFE_DeleteTensorHandle(h);
  TFE_DeleteContext(ctx);
}

// AttrValue.list (field 1): s = 2, f = 4 (packed), b = 5 (packed), shape = 7;
// TensorShapeProto: dim = 2 (size = 1), unknown_rank = 3.
std::string ListAttr(const std::string& key, const std::string& list) {
  return Bytes(5, Bytes(1, key) + Bytes(2, Bytes(1, list)));
}
std::string Dim(int64_t size) { return Bytes(2, Varint(1 << 3) + Varint(static_cast<uint64_t>(size))); }

TEST(CApiGraph, ListAttrsAreReadIntoTheCallersStorage) {
  std::string floats;
  for (float f : {0.5f, -2.0f}) floats.append(reinterpret_cast<const char*>(&f), sizeof(f));
  std::string node = Bytes(1, "p") + Bytes(2, "Placeholder") + TypeAttr("dtype", 1) +
                     ListAttr("_s", Bytes(2, "loc:@W") + Bytes(2, "b")) +
                     ListAttr("_f", Bytes(4, floats)) + ListAttr("_b", Bytes(5, std::string("\x01\x00\x01", 3))) +
                     ListAttr("_shapes", Bytes(7, Dim(-1) + Dim(3)) + Bytes(7, Varint(3 << 3) + Varint(1)) +
                                             Bytes(7, ""));
  std::string bytes = Bytes(1, node);
  StatusPtr status(TF_NewStatus());
  TF_Graph* graph = TF_NewGraph();
  TF_Buffer* buffer = TF_NewBufferFromString(bytes.data(), bytes.size());
  TF_GraphImportGraphDef(graph, buffer, nullptr, status.get());
  ASSERT_EQ(TF_GetCode(status.get()), TF_OK) << TF_Message(status.get());
  TF_Operation* p = TF_GraphOperationByName(graph, "p");

  TF_AttrMetadata m = TF_OperationGetAttrMetadata(p, "_s", status.get());
  EXPECT_EQ(m.is_list, 1);
  EXPECT_EQ(m.list_size, 2);
  EXPECT_EQ(m.total_size, 7);
  void* values[2];
  size_t lengths[2];
  char storage[7];
  TF_OperationGetAttrStringList(p, "_s", values, lengths, 2, storage, 6, status.get());
  EXPECT_EQ(TF_GetCode(status.get()), TF_INVALID_ARGUMENT);  // one byte short
  TF_OperationGetAttrStringList(p, "_s", values, lengths, 2, storage, sizeof(storage), status.get());
  ASSERT_EQ(TF_GetCode(status.get()), TF_OK);
  EXPECT_EQ(std::string(static_cast<char*>(values[0]), lengths[0]), "loc:@W");
  EXPECT_EQ(std::string(static_cast<char*>(values[1]), lengths[1]), "b");

  float f[2];
  TF_OperationGetAttrFloatList(p, "_f", f, 2, status.get());
  EXPECT_EQ(f[0], 0.5f);
  EXPECT_EQ(f[1], -2.0f);
  unsigned char b[3];
  TF_OperationGetAttrBoolList(p, "_b", b, 3, status.get());
  EXPECT_EQ(b[0] + 2 * b[1] + 4 * b[2], 5);

  int64_t* dims[3];
  int num_dims[3];
  int64_t dim_storage[2];
  TF_OperationGetAttrShapeList(p, "_shapes", dims, num_dims, 3, dim_storage, 2, status.get());
  ASSERT_EQ(TF_GetCode(status.get()), TF_OK) << TF_Message(status.get());
  EXPECT_EQ(num_dims[0], 2);
  EXPECT_EQ(dims[0][0], -1);
  EXPECT_EQ(dims[0][1], 3);
  EXPECT_EQ(num_dims[1], -1);
  EXPECT_EQ(num_dims[2], 0);
  TF_OperationGetAttrShapeList(p, "_shapes", dims, num_dims, 3, dim_storage, 1, status.get());
  EXPECT_EQ(TF_GetCode(status.get()), TF_INVALID_ARGUMENT);
  TF_OperationGetAttrFloatList(p, "dtype", f, 2, status.get());
  EXPECT_EQ(TF_GetCode(status.get()), TF_INVALID_ARGUMENT);

  TF_DeleteBuffer(buffer);
  TF_DeleteGraph(graph);
}

TEST(CApiSession, StringsGoThroughARunInTheTStringLayout) {
  const int kString = 7;  // DT_STRING
  std::string bytes = Bytes(1, Bytes(1, "s") + Bytes(2, "Placeholder") + TypeAttr("dtype", kString)) +
                      Bytes(1, Bytes(1, "out") + Bytes(2, "Identity") + Bytes(3, "s") + TypeAttr("T", kString));

  StatusPtr status(TF_NewStatus());
  TF_Graph* graph = TF_NewGraph();
  TF_Buffer* buffer = TF_NewBufferFromString(bytes.data(), bytes.size());
  TF_ImportGraphDefOptions* opts = TF_NewImportGraphDefOptions();
  TF_GraphImportGraphDef(graph, buffer, opts, status.get());
  ASSERT_EQ(TF_GetCode(status.get()), TF_OK) << TF_Message(status.get());
  TF_Session* session = TF_NewSession(graph, nullptr, status.get());

  const std::vector<std::string> in = {"", "short", std::string(100, 'x') + "\n\0tail"};
  int64_t n = static_cast<int64_t>(in.size());
  TF_Tensor* feed = TF_AllocateTensor(TF_STRING, &n, 1, in.size() * sizeof(TF_TString));
  auto* elems = static_cast<TF_TString*>(TF_TensorData(feed));
  for (size_t i = 0; i < in.size(); ++i) TF_StringCopy(&elems[i], in[i].data(), in[i].size());
  TF_Output input = {TF_GraphOperationByName(graph, "s"), 0};
  TF_Output output = {TF_GraphOperationByName(graph, "out"), 0};
  TF_Tensor* fetched = nullptr;
  TF_SessionRun(session, nullptr, &input, &feed, 1, &output, &fetched, 1, nullptr, 0, nullptr,
                status.get());
  ASSERT_EQ(TF_GetCode(status.get()), TF_OK) << TF_Message(status.get());
  ASSERT_EQ(TF_TensorType(fetched), TF_STRING);
  ASSERT_EQ(TF_TensorElementCount(fetched), n);
  EXPECT_EQ(TF_TensorByteSize(fetched), in.size() * 24);
  auto* got = static_cast<TF_TString*>(TF_TensorData(fetched));
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(std::string(TF_StringGetDataPointer(&got[i]), TF_StringGetSize(&got[i])), in[i]);
  }
  EXPECT_EQ(TF_StringGetType(&got[1]), TF_TSTR_SMALL);
  EXPECT_EQ(TF_StringGetType(&got[2]), TF_TSTR_LARGE);
  TF_DeleteTensor(fetched);
  TF_DeleteTensor(feed);
  TF_DeleteSession(session, status.get());
  TF_DeleteImportGraphDefOptions(opts);
  TF_DeleteBuffer(buffer);
  TF_DeleteGraph(graph);
}

TEST(CApiSession, ConcurrentRunsOfOneLoadedModel) {
  StatusPtr status(TF_NewStatus());
  TF_Graph* graph = TF_NewGraph();
  const char* tag = "serve";
  TF_Session* session = TF_LoadSessionFromSavedModel(nullptr, nullptr, kHalfPlusTwo.c_str(), &tag, 1,
                                                     graph, nullptr, status.get());
  if (TF_GetCode(status.get()) == TF_NOT_FOUND) GTEST_SKIP() << "no " << kHalfPlusTwo;
  ASSERT_EQ(TF_GetCode(status.get()), TF_OK) << TF_Message(status.get());
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < 8; ++k) {
    threads.emplace_back([&, k] {
      StatusPtr s(TF_NewStatus());
      for (int i = 0; i < 200; ++i) {
        float x[3] = {static_cast<float>(k), static_cast<float>(i), -1.0f};
        int64_t dims[2] = {3, 1};
        TF_Tensor* in = TF_AllocateTensor(TF_FLOAT, dims, 2, sizeof(x));
        std::memcpy(TF_TensorData(in), x, sizeof(x));
        TF_Output input = {TF_GraphOperationByName(graph, "x"), 0};
        TF_Output output = {TF_GraphOperationByName(graph, "y"), 0};
        TF_Tensor* out = nullptr;
        TF_SessionRun(session, nullptr, &input, &in, 1, &output, &out, 1, nullptr, 0, nullptr, s.get());
        if (TF_GetCode(s.get()) != TF_OK) {
          ++wrong;
        } else {
          const float* y = static_cast<const float*>(TF_TensorData(out));
          for (int j = 0; j < 3; ++j) {
            if (y[j] != x[j] / 2 + 2) ++wrong;
          }
          TF_DeleteTensor(out);
        }
        TF_DeleteTensor(in);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  TF_CloseSession(session, status.get());
  TF_Tensor* out = nullptr;
  TF_Output output = {TF_GraphOperationByName(graph, "y"), 0};
  TF_SessionRun(session, nullptr, nullptr, nullptr, 0, &output, &out, 1, nullptr, 0, nullptr,
                status.get());
  EXPECT_EQ(TF_GetCode(status.get()), TF_FAILED_PRECONDITION);
  TF_DeleteSession(session, status.get());
  // The graph keeps the model alive: its operations are still readable (x is
  // tf.identity of the parsed examples in TF Serving's half_plus_two).
  EXPECT_STREQ(TF_OperationOpType(TF_GraphOperationByName(graph, "x")), "Identity");
  TF_DeleteGraph(graph);
}

}  // namespace
