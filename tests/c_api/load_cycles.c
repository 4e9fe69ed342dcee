/* Loads the tutorial's export N times (TF_LoadSessionFromSavedModel, one
   TF_SessionRun, TF_DeleteSession + TF_DeleteGraph) and prints the time from
   the first load to its first answer and the resident memory after cycle 10
   and after the last; built with -fsanitize=leak, LeakSanitizer reports any
   allocation the cycles leave behind. Usage: EXPORT_DIR N. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tensorflow/c/c_api.h>

static double Now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long ResidentKiB(void) {
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f && fgets(line, sizeof(line), f)) {
    if (strncmp(line, "VmRSS:", 6) == 0) kib = strtol(line + 6, NULL, 10);
  }
  if (f) fclose(f);
  return kib;
}

static int Cycle(const char* dir, double* seconds) {
  TF_Status* status = TF_NewStatus();
  TF_Graph* graph = TF_NewGraph();
  TF_SessionOptions* options = TF_NewSessionOptions();
  const char* tags[] = {"serve"};
  double start = Now();
  TF_Session* session = TF_LoadSessionFromSavedModel(options, NULL, dir, tags, 1, graph, NULL, status);
  int ok = TF_GetCode(status) == TF_OK;
  if (ok) {
    static float pixels[784];
    int64_t dims[2] = {1, 784};
    TF_Tensor* x = TF_AllocateTensor(TF_FLOAT, dims, 2, sizeof(pixels));
    memcpy(TF_TensorData(x), pixels, sizeof(pixels));
    TF_Output in = {TF_GraphOperationByName(graph, "myInput"), 0};
    TF_Output out = {TF_GraphOperationByName(graph, "myOutput"), 0};
    TF_Tensor* y = NULL;
    TF_SessionRun(session, NULL, &in, &x, 1, &out, &y, 1, NULL, 0, NULL, status);
    ok = TF_GetCode(status) == TF_OK;
    if (seconds) *seconds = Now() - start;
    TF_DeleteTensor(x);
    if (y) TF_DeleteTensor(y);
    TF_DeleteSession(session, status);
  }
  if (!ok) fprintf(stderr, "%s\n", TF_Message(status));
  TF_DeleteGraph(graph);
  TF_DeleteSessionOptions(options);
  TF_DeleteStatus(status);
  return ok;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s EXPORT_DIR N\n", argv[0]);
    return 2;
  }
  int n = atoi(argv[2]);
  double first = 0;
  long rss10 = -1;
  for (int i = 0; i < n; ++i) {
    if (!Cycle(argv[1], i == 0 ? &first : NULL)) return 1;
    if (i == 9) rss10 = ResidentKiB();
  }
  printf("first answer: %.1f ms\n", first * 1e3);
  printf("rss after 10 cycles: %ld KiB\n", rss10);
  printf("rss after %d cycles: %ld KiB\n", n, ResidentKiB());
  return 0;
}
