// Takes arbitrary bytes as a GraphDef and walks the path a model load takes:
// inline function calls, import (every OpDef constraint checked), create a
// Session, and prepare a plan that builds the kernel of every node. Nothing
// runs: a valid graph may legitimately loop or allocate what its consts ask.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "savedmodel/base/env.h"
#include "savedmodel/exec/session.h"
#include "savedmodel/graph/function_inline.h"
#include "savedmodel/graph/graph.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace savedmodel;
  // Kernels that touch files at construction see an empty memory filesystem.
  static Env* env = NewMemEnv().release();
  tensorflow::GraphDef graph_def;
  if (!graph_def.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (!InlineFunctionCalls(&graph_def).ok()) return 0;
  auto graph = Graph::Import(graph_def);
  if (!graph.ok()) return 0;
  std::vector<std::string> targets;
  for (const Node& node : (*graph)->nodes()) targets.push_back(node.name());
  SessionOptions options;
  options.env = env;
  options.intra_op_threads = 1;  // no thread pools per input
  options.inter_op_threads = 1;
  auto session = Session::Create(std::move(graph).value(), options);
  if (!session.ok()) return 0;
  (void)(*session)->Prepare({}, {}, targets);
  return 0;
}
