// OpTest: runs one op through the real path (GraphDef -> Graph::Import ->
// Session::Run) with literal inputs, for kernel unit tests.
//
//   auto out = OpTest("AddV2").Input(a).Input(b).Run1();
//
// Inputs become Placeholders fed at Run. Type attrs (T, Tidx, ...) and list
// lengths (N) the test does not set are inferred from the inputs through the
// op's OpDef, so most tests only set the attrs that matter to them.
// Not thread-safe; one OpTest per test case.
#pragma once

#include <string>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"
#include "tensorflow/core/framework/attr_value.pb.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace savedmodel::testing {

class OpTest {
 public:
  explicit OpTest(std::string op);

  OpTest& Input(Tensor t);
  OpTest& Attr(const std::string& name, int v) { return Attr(name, static_cast<int64_t>(v)); }
  OpTest& Attr(const std::string& name, int64_t v);
  OpTest& Attr(const std::string& name, float v);
  OpTest& Attr(const std::string& name, bool v);
  OpTest& Attr(const std::string& name, const char* v) { return Attr(name, std::string(v)); }
  OpTest& Attr(const std::string& name, const std::string& v);
  OpTest& Attr(const std::string& name, DataType v);
  OpTest& Attr(const std::string& name, const std::vector<int64_t>& v);
  OpTest& Attr(const std::string& name, const tensorflow::AttrValue& v);

  // Intra-op threads of the Session that runs the op (0: hardware threads).
  // Tests of a kernel's threaded path set it above 1 so the pool has workers on
  // any machine, and feed more than kMinParallelWork items so the work splits.
  OpTest& IntraOpThreads(int n) {
    intra_op_threads_ = n;
    return *this;
  }

  // Every output of the op node, in order.
  StatusOr<std::vector<Tensor>> Run() const;
  // Output 0.
  StatusOr<Tensor> Run1() const;

 private:
  tensorflow::NodeDef node_;
  std::vector<Tensor> inputs_;
  int intra_op_threads_ = 0;
};

}  // namespace savedmodel::testing
