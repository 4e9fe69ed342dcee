/* A plain C client in the style of TensorFlow's C API documentation: load the
   tutorial's export by tag, feed myInput:0, fetch myOutput:0, print the result;
   then the error codes of a missing tag set, a feed of the wrong dtype and an
   unknown op. Built with `cc $(pkg-config --cflags --libs tensorflow)` against
   savedmodel's library and TensorFlow's, and the two outputs compared. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tensorflow/c/c_api.h>
#include <tensorflow/c/eager/c_api.h>

static void NoOpDeallocator(void* data, size_t len, void* arg) {
  (void)data;
  (void)len;
  (void)arg;
}

static const char* CodeName(TF_Code code) {
  switch (code) {
    case TF_OK: return "OK";
    case TF_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case TF_NOT_FOUND: return "NOT_FOUND";
    case TF_FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case TF_UNIMPLEMENTED: return "UNIMPLEMENTED";
    default: return "OTHER";
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s EXPORT_DIR\n", argv[0]);
    return 2;
  }
  printf("TF_Version: %s\n", TF_Version());
  TF_Status* status = TF_NewStatus();
  TF_Graph* graph = TF_NewGraph();
  TF_SessionOptions* options = TF_NewSessionOptions();
  TF_Buffer* meta_graph = TF_NewBuffer();
  const char* tags[] = {"serve"};
  TF_Session* session = TF_LoadSessionFromSavedModel(options, NULL, argv[1], tags, 1, graph,
                                                     meta_graph, status);
  printf("load: %s\n", CodeName(TF_GetCode(status)));
  if (TF_GetCode(status) != TF_OK) {
    printf("%s\n", TF_Message(status));
    return 1;
  }
  printf("meta graph written: %s\n", meta_graph->length > 0 ? "yes" : "no");

  TF_Output input = {TF_GraphOperationByName(graph, "myInput"), 0};
  TF_Output output = {TF_GraphOperationByName(graph, "myOutput"), 0};
  if (input.oper == NULL || output.oper == NULL) {
    printf("myInput or myOutput missing\n");
    return 1;
  }
  printf("myInput: %s, %d output(s) of type %d\n", TF_OperationOpType(input.oper),
         TF_OperationNumOutputs(input.oper), (int)TF_OperationOutputType(input));
  printf("unknown operation: %s\n", TF_GraphOperationByName(graph, "no_such_op") ? "found" : "NULL");

  /* Two images whose pixels are (i * 7 % 256) / 255 and its mirror. */
  enum { kBatch = 2, kPixels = 784 };
  static float pixels[kBatch * kPixels];
  for (int i = 0; i < kBatch * kPixels; ++i) {
    int j = i < kPixels ? i : 2 * kPixels - 1 - i;
    pixels[i] = (float)(j * 7 % 256) / 255.0f;
  }
  int64_t dims[2] = {kBatch, kPixels};
  TF_Tensor* x = TF_NewTensor(TF_FLOAT, dims, 2, pixels, sizeof(pixels), NoOpDeallocator, NULL);
  TF_Tensor* y = NULL;
  TF_SessionRun(session, NULL, &input, &x, 1, &output, &y, 1, NULL, 0, NULL, status);
  printf("run: %s\n", CodeName(TF_GetCode(status)));
  if (TF_GetCode(status) != TF_OK) {
    printf("%s\n", TF_Message(status));
    return 1;
  }
  printf("output: type %d, dims [%lld, %lld], %zu bytes\n", (int)TF_TensorType(y),
         (long long)TF_Dim(y, 0), (long long)TF_Dim(y, 1), TF_TensorByteSize(y));
  const float* probs = (const float*)TF_TensorData(y);
  for (int b = 0; b < kBatch; ++b) {
    int best = 0;
    printf("row %d:", b);
    for (int k = 0; k < 10; ++k) {
      printf(" %.6f", probs[b * 10 + k]);
      if (probs[b * 10 + k] > probs[b * 10 + best]) best = k;
    }
    printf("  argmax %d\n", best);
  }
  TF_DeleteTensor(y);

  /* A feed of the wrong dtype. */
  TF_Tensor* wrong = TF_AllocateTensor(TF_INT32, dims, 2, sizeof(int32_t) * kBatch * kPixels);
  y = NULL;
  TF_SessionRun(session, NULL, &input, &wrong, 1, &output, &y, 1, NULL, 0, NULL, status);
  printf("int32 feed: %s\n", CodeName(TF_GetCode(status)));
  TF_DeleteTensor(wrong);
  TF_DeleteTensor(x);

  TF_DeleteSession(session, status);
  printf("delete session: %s\n", CodeName(TF_GetCode(status)));
  TF_DeleteGraph(graph);

  /* A tag set the export does not have. */
  const char* bad_tags[] = {"no_such_tag"};
  graph = TF_NewGraph();
  session = TF_LoadSessionFromSavedModel(options, NULL, argv[1], bad_tags, 1, graph, NULL, status);
  printf("missing tag set: %s, session %s\n", CodeName(TF_GetCode(status)),
         session ? "non-NULL" : "NULL");
  TF_DeleteGraph(graph);

  /* An operation type that does not exist, run eagerly. */
  TFE_ContextOptions* ctx_options = TFE_NewContextOptions();
  TFE_Context* ctx = TFE_NewContext(ctx_options, status);
  TFE_DeleteContextOptions(ctx_options);
  TFE_Op* op = TFE_NewOp(ctx, "NoSuchOperation", status);
  printf("unknown op type: %s, op %s\n", CodeName(TF_GetCode(status)), op ? "non-NULL" : "NULL");
  if (op) TFE_DeleteOp(op);
  TFE_DeleteContext(ctx);

  TF_DeleteBuffer(meta_graph);
  TF_DeleteSessionOptions(options);
  TF_DeleteStatus(status);
  return 0;
}
