/* Edge cases and failures of the C API, printed so that the output of this
   program built against savedmodel's library can be compared line by line
   with the same program built against TensorFlow's: error codes, TF_TString's
   byte layout (from each header's inline functions), string tensors through
   eager ops, tf.print's text of tensors (StringFormat), shapes and attrs read
   from a loaded graph. Usage: TUTORIAL_EXPORT_DIR FROZEN_GRAPH_PB. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tensorflow/c/c_api.h>
#include <tensorflow/c/eager/c_api.h>

static TF_Status* status;
static TFE_Context* ctx;

static const char* Code(void) {
  static const char* names[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                                "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
                                "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
                                "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
                                "DATA_LOSS", "UNAUTHENTICATED"};
  int c = (int)TF_GetCode(status);
  return c >= 0 && c <= 16 ? names[c] : "?";
}

static void Nop(void* data, size_t len, void* arg) {
  (void)data;
  (void)len;
  (void)arg;
}

static void TStringLayout(void) {
  static const size_t sizes[] = {0, 5, 22, 23, 100};
  char src[101];
  for (int i = 0; i < 100; ++i) src[i] = (char)('a' + i % 26);
  for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); ++k) {
    TF_TString s;
    TF_TString_Init(&s);
    TF_TString_Copy(&s, src, sizes[k]);
    const char* p = TF_TString_GetDataPointer(&s);
    printf("tstring %zu: type %d size %zu capacity %zu first byte %u same bytes %d nul %d\n", sizes[k],
           (int)TF_TString_GetType(&s), TF_TString_GetSize(&s), TF_TString_GetCapacity(&s),
           (unsigned)s.u.raw.raw[0], memcmp(p, src, sizes[k]) == 0, p[sizes[k]] == '\0');
    TF_TString_AssignView(&s, src, 7);
    printf("  view: type %d size %zu\n", (int)TF_TString_GetType(&s), TF_TString_GetSize(&s));
    TF_TString_Dealloc(&s);
  }
  printf("sizeof(TF_TString) %zu\n", sizeof(TF_TString));
}

static TFE_TensorHandle* StringScalar(const char* text) {
  TF_Tensor* t = TF_AllocateTensor(TF_STRING, NULL, 0, sizeof(TF_TString));
  TF_TString* s = (TF_TString*)TF_TensorData(t);
  TF_StringInit(s);
  TF_StringCopy(s, text, strlen(text));
  TFE_TensorHandle* h = TFE_NewTensorHandle(t, status);
  TF_DeleteTensor(t);
  return h;
}

static TFE_TensorHandle* Floats(const float* v, const int64_t* dims, int rank, size_t n) {
  TF_Tensor* t = TF_AllocateTensor(TF_FLOAT, dims, rank, n * sizeof(float));
  memcpy(TF_TensorData(t), v, n * sizeof(float));
  TFE_TensorHandle* h = TFE_NewTensorHandle(t, status);
  TF_DeleteTensor(t);
  return h;
}

/* Runs op on inputs (one list argument when as_list), prints the code and,
   for a string scalar result, its text. */
static void RunAndPrint(const char* label, const char* type, TFE_TensorHandle** in, int n, int as_list,
                        const char* templ, int64_t summarize) {
  TFE_Op* op = TFE_NewOp(ctx, type, status);
  if (as_list) {
    TFE_OpAddInputList(op, in, n, status);
  } else {
    for (int i = 0; i < n; ++i) TFE_OpAddInput(op, in[i], status);
  }
  if (templ) {
    TFE_OpSetAttrString(op, "template", templ, strlen(templ));
    TFE_OpSetAttrString(op, "placeholder", "%s", 2);
    TFE_OpSetAttrInt(op, "summarize", summarize);
  }
  TFE_TensorHandle* out[2] = {NULL, NULL};
  int nout = 2;
  TFE_Execute(op, out, &nout, status);
  printf("%s: %s", label, Code());
  if (TF_GetCode(status) == TF_OK && TFE_TensorHandleDataType(out[0]) == TF_STRING) {
    TF_Tensor* t = TFE_TensorHandleResolve(out[0], status);
    const TF_TString* s = (const TF_TString*)TF_TensorData(t);
    printf(" -> %.*s", (int)TF_StringGetSize(s), TF_StringGetDataPointer(s));
    TF_DeleteTensor(t);
  } else if (TF_GetCode(status) == TF_OK) {
    printf(" -> %d outputs, dtype %d, rank %d", nout, (int)TFE_TensorHandleDataType(out[0]),
           TFE_TensorHandleNumDims(out[0], status));
  }
  printf("\n");
  for (int i = 0; i < 2; ++i) {
    if (out[i]) TFE_DeleteTensorHandle(out[i]);
  }
  TFE_DeleteOp(op);
}

static void Eager(void) {
  TFE_ContextOptions* opts = TFE_NewContextOptions();
  ctx = TFE_NewContext(opts, status);
  TFE_DeleteContextOptions(opts);

  TFE_TensorHandle* a = StringScalar("short");
  TFE_TensorHandle* b = StringScalar(" and a string longer than twenty-two bytes");
  TFE_TensorHandle* ab[2] = {a, b};
  RunAndPrint("StringJoin", "StringJoin", ab, 2, 1, NULL, 0);

  float v[24];
  for (int i = 0; i < 24; ++i) v[i] = (float)i / 3.0f;
  int64_t d3[3] = {2, 3, 4};
  TFE_TensorHandle* cube = Floats(v, d3, 3, 24);
  int64_t d1[1] = {24};
  TFE_TensorHandle* line = Floats(v, d1, 1, 24);
  TFE_TensorHandle* one[1] = {cube};
  RunAndPrint("format cube summarize 2", "StringFormat", one, 1, 1, "x=%s", 2);
  RunAndPrint("format cube summarize -1", "StringFormat", one, 1, 1, "%s", -1);
  TFE_TensorHandle* two[2] = {line, a};
  RunAndPrint("format line and string", "StringFormat", two, 2, 1, "[%s] <%s>", 3);
  RunAndPrint("format too few inputs", "StringFormat", one, 1, 1, "%s %s", 3);

  int32_t i32 = 1;
  TF_Tensor* ti = TF_NewTensor(TF_INT32, NULL, 0, &i32, sizeof(i32), Nop, NULL);
  TFE_TensorHandle* hi = TFE_NewTensorHandle(ti, status);
  TF_DeleteTensor(ti);
  TFE_TensorHandle* mixed[2] = {line, hi};
  RunAndPrint("AddV2 float + int32", "AddV2", mixed, 2, 0, NULL, 0);
  RunAndPrint("AddV2 one input", "AddV2", mixed, 1, 0, NULL, 0);
  RunAndPrint("Shape of a cube", "Shape", one, 1, 0, NULL, 0);

  TFE_TensorHandle* dims_h;
  {
    int64_t huge[2] = {1 << 20, 1 << 20};
    int64_t dd[1] = {2};
    TF_Tensor* t = TF_AllocateTensor(TF_INT64, dd, 1, sizeof(huge));
    memcpy(TF_TensorData(t), huge, sizeof(huge));
    dims_h = TFE_NewTensorHandle(t, status);
    TF_DeleteTensor(t);
  }
  float zero = 0;
  TFE_TensorHandle* z = Floats(&zero, NULL, 0, 1);
  TFE_TensorHandle* fill_in[2] = {dims_h, z};
  RunAndPrint("Fill 2^40 floats", "Fill", fill_in, 2, 0, NULL, 0);

  printf("dims of cube: %lld %lld %lld, elements %lld\n", (long long)TFE_TensorHandleDim(cube, 0, status),
         (long long)TFE_TensorHandleDim(cube, 1, status), (long long)TFE_TensorHandleDim(cube, 2, status),
         (long long)TFE_TensorHandleNumElements(cube, status));

  TFE_TensorHandle* all[] = {a, b, cube, line, hi, dims_h, z};
  for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); ++i) TFE_DeleteTensorHandle(all[i]);
  TFE_DeleteContext(ctx);
}

static TF_Buffer* ReadFile(const char* path) {
  FILE* f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  void* data = malloc((size_t)n);
  size_t got = fread(data, 1, (size_t)n, f);
  fclose(f);
  TF_Buffer* b = TF_NewBufferFromString(data, got);
  free(data);
  return b;
}

static void Graphs(const char* tutorial, const char* frozen) {
  TF_Buffer* def = ReadFile(frozen);
  TF_Graph* g = TF_NewGraph();
  TF_ImportGraphDefOptions* opts = TF_NewImportGraphDefOptions();
  TF_Buffer* junk = TF_NewBufferFromString("\xff\xff\xff junk", 9);
  TF_GraphImportGraphDef(g, junk, opts, status);
  printf("import junk: %s\n", Code());
  TF_GraphImportGraphDef(g, def, opts, status);
  printf("import frozen graph: %s\n", Code());
  TF_GraphImportGraphDef(g, def, opts, status);
  printf("import it again: %s\n", Code());
  TF_ImportGraphDefOptionsSetPrefix(opts, "copy");
  TF_GraphImportGraphDef(g, def, opts, status);
  printf("import with prefix: %s, copy/x %s\n", Code(),
         TF_GraphOperationByName(g, "copy/x") ? "found" : "missing");
  TF_Operation* x = TF_GraphOperationByName(g, "x");
  TF_Output xo = {x, 0};
  int rank = TF_GraphGetTensorNumDims(g, xo, status);
  int64_t dims[2] = {0, 0};
  if (rank == 2) TF_GraphGetTensorShape(g, xo, dims, 2, status);
  printf("x: %s, rank %d, dims %lld %lld\n", TF_OperationOpType(x), rank, (long long)dims[0],
         (long long)dims[1]);
  TF_DataType dt = TF_FLOAT;
  TF_OperationGetAttrType(x, "dtype", &dt, status);
  printf("x dtype attr: %s %d\n", Code(), (int)dt);
  int64_t shape_attr[2] = {0, 0};
  TF_OperationGetAttrShape(x, "shape", shape_attr, 2, status);
  printf("x shape attr: %s %lld %lld\n", Code(), (long long)shape_attr[0], (long long)shape_attr[1]);
  TF_OperationGetAttrType(x, "no_such_attr", &dt, status);
  printf("missing attr: %s\n", Code());

  TF_SessionOptions* session_options = TF_NewSessionOptions();
  TF_SetConfig(session_options, "\xff\xff\xff", 3, status);
  printf("TF_SetConfig junk: %s\n", Code());
  /* intra_op_parallelism_threads 2, inter_op_parallelism_threads 1, field 100
     unknown; TF_SetConfig leaves the status alone on success, so reset it. */
  TF_SetStatus(status, TF_OK, "");
  TF_SetConfig(session_options, "\x10\x02\x28\x01\xa0\x06\x07", 7, status);
  printf("TF_SetConfig threads: %s\n", Code());
  TF_Session* s = TF_NewSession(g, session_options, status);
  float ones[10];
  for (int i = 0; i < 10; ++i) ones[i] = 1.0f;
  int64_t d[2] = {2, 5};
  TF_Tensor* in = TF_NewTensor(TF_FLOAT, d, 2, ones, sizeof(ones), Nop, NULL);
  TF_Output outputs[2] = {{TF_GraphOperationByName(g, "Identity"), 0},
                          {TF_GraphOperationByName(g, "copy/Identity"), 0}};
  TF_Output inputs[2] = {xo, {TF_GraphOperationByName(g, "copy/x"), 0}};
  TF_Tensor* ins[2] = {in, in};
  TF_Tensor* outs[2] = {NULL, NULL};
  TF_SessionRun(s, NULL, inputs, ins, 2, outputs, outs, 2, NULL, 0, NULL, status);
  printf("run frozen graph and its copy: %s", Code());
  if (TF_GetCode(status) == TF_OK) {
    printf(" -> %.6f %.6f\n", ((float*)TF_TensorData(outs[0]))[1], ((float*)TF_TensorData(outs[1]))[1]);
    TF_DeleteTensor(outs[0]);
    TF_DeleteTensor(outs[1]);
  } else {
    printf("\n");
  }
  TF_Output bad = {TF_GraphOperationByName(g, "Identity"), 7};
  TF_SessionRun(s, NULL, inputs, ins, 1, &bad, outs, 1, NULL, 0, NULL, status);
  printf("fetch output 7 of a one-output op: %s\n", Code());
  int64_t d3[2] = {5, 2};
  TF_Tensor* wrong_shape = TF_NewTensor(TF_FLOAT, d3, 2, ones, sizeof(ones), Nop, NULL);
  TF_SessionRun(s, NULL, inputs, &wrong_shape, 1, outputs, outs, 1, NULL, 0, NULL, status);
  printf("feed [5, 2] for [?, 5]: %s\n", Code());
  TF_Tensor* small = TF_NewTensor(TF_FLOAT, d, 2, ones, 4, Nop, NULL);
  printf("TF_NewTensor with too few bytes: %s\n", small ? "non-NULL" : "NULL");
  if (small) TF_DeleteTensor(small);
  TF_DeleteTensor(wrong_shape);
  TF_DeleteTensor(in);
  TF_DeleteSession(s, status);

  const char* tags[] = {"serve"};
  TF_Session* loaded = TF_LoadSessionFromSavedModel(session_options, NULL, tutorial, tags, 1, g, NULL, status);
  printf("load into a non-empty graph: %s\n", Code());
  if (loaded) TF_DeleteSession(loaded, status);
  TF_Graph* g2 = TF_NewGraph();
  loaded = TF_LoadSessionFromSavedModel(session_options, NULL, "/nonexistent/export", tags, 1, g2, NULL, status);
  printf("load a missing directory: %s\n", Code());
  if (loaded) TF_DeleteSession(loaded, status);
  TF_DeleteGraph(g2);

  TF_DeleteSessionOptions(session_options);
  TF_DeleteBuffer(junk);
  TF_DeleteBuffer(def);
  TF_DeleteImportGraphDefOptions(opts);
  TF_DeleteGraph(g);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s TUTORIAL_EXPORT_DIR FROZEN_GRAPH_PB\n", argv[0]);
    return 2;
  }
  setvbuf(stdout, NULL, _IONBF, 0);  /* what was printed survives a crash */
  status = TF_NewStatus();
  TStringLayout();
  Eager();
  Graphs(argv[1], argv[2]);
  TF_DeleteStatus(status);
  return 0;
}
