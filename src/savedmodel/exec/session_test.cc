#include "savedmodel/exec/session.h"

#include <atomic>
#include <thread>

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

namespace savedmodel {
namespace {

tensorflow::NodeDef* AddNode(tensorflow::GraphDef* g, const std::string& name, const std::string& op,
                             std::vector<std::string> inputs, DataType t = DT_INT32) {
  auto* n = g->add_node();
  n->set_name(name);
  n->set_op(op);
  for (auto& i : inputs) n->add_input(i);
  (*n->mutable_attr())["T"].set_type(static_cast<tensorflow::DataType>(t));
  return n;
}

// x -> 40 independent branches (x + c_i) * c_i -> AddN: wide enough to run in parallel.
tensorflow::GraphDef WideGraph(int branches, bool poison) {
  tensorflow::GraphDef g;
  auto* x = g.add_node();
  x->set_name("x");
  x->set_op("Placeholder");
  (*x->mutable_attr())["dtype"].set_type(tensorflow::DT_INT32);
  std::vector<std::string> outs;
  for (int i = 0; i < branches; ++i) {
    std::string c = "c" + std::to_string(i);
    auto* cn = g.add_node();
    cn->set_name(c);
    cn->set_op("Const");
    (*cn->mutable_attr())["dtype"].set_type(tensorflow::DT_INT32);
    auto* v = (*cn->mutable_attr())["value"].mutable_tensor();
    v->set_dtype(tensorflow::DT_INT32);
    v->add_int_val(poison && i == branches / 2 ? 0 : i + 1);
    AddNode(&g, "a" + std::to_string(i), "AddV2", {"x", c});
    // Integer division: a zero constant in one branch makes that branch fail.
    AddNode(&g, "m" + std::to_string(i), "FloorDiv", {"a" + std::to_string(i), c});
    outs.push_back("m" + std::to_string(i));
  }
  auto* sum = AddNode(&g, "sum", "AddN", outs);
  (*sum->mutable_attr())["N"].set_i(branches);
  return g;
}

StatusOr<std::unique_ptr<Session>> MakeSession(const tensorflow::GraphDef& g, int inter) {
  ASSIGN_OR_RETURN(auto graph, Graph::Import(g));
  SessionOptions opts;
  opts.inter_op_threads = inter;
  // Otherwise the timing trial may keep these small graphs on the calling
  // thread, and the "parallel" tests would test the sequential executor.
  opts.force_parallel_executor = inter != 1;
  return Session::Create(std::move(graph), opts);
}

TEST(SessionTest, ParallelMatchesSequential) {
  auto g = WideGraph(40, false);
  auto seq = MakeSession(g, 1);
  auto par = MakeSession(g, 4);
  ASSERT_TRUE(seq.ok()) << seq.status();
  ASSERT_TRUE(par.ok()) << par.status();
  for (int x = -5; x < 50; ++x) {
    auto a = (*seq)->Run({{"x", Tensor::Scalar<int32_t>(x)}}, {"sum"});
    auto b = (*par)->Run({{"x", Tensor::Scalar<int32_t>(x)}}, {"sum"});
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(b.ok()) << b.status();
    // sum_i floor((x + c) / c), c = 1..40.
    int64_t want = 0;
    for (int c = 1; c <= 40; ++c) {
      int64_t q = (x + c) / c;
      if ((x + c) % c != 0 && (x + c) < 0) --q;
      want += q;
    }
    EXPECT_EQ((*a)[0].scalar<int32_t>(), want);
    EXPECT_EQ((*b)[0].scalar<int32_t>(), want);
  }
}

TEST(SessionTest, ParallelErrorsPropagateFromAnyBranch) {
  auto par = MakeSession(WideGraph(40, true), 4);
  ASSERT_TRUE(par.ok()) << par.status();
  for (int i = 0; i < 20; ++i) {
    auto r = (*par)->Run({{"x", Tensor::Scalar<int32_t>(3)}}, {"sum"});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("Integer division by zero"), std::string::npos) << r.status();
  }
}

TEST(SessionTest, ConcurrentParallelRuns) {
  auto par = MakeSession(WideGraph(40, false), 2);
  ASSERT_TRUE(par.ok()) << par.status();
  std::atomic<int> bad{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto r = (*par)->Run({{"x", Tensor::Scalar<int32_t>(0)}}, {"sum"});
        if (!r.ok() || (*r)[0].scalar<int32_t>() != 40) ++bad;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(bad.load(), 0);
}

// Two sessions on one borrowed pool pair, run from several threads at once
// (as a server's models share one pair); the pools outlive the sessions.
TEST(SessionTest, BorrowedPoolsAreSharedAndNotOwned) {
  ThreadPool intra(2), inter(2);
  {
    std::vector<std::unique_ptr<Session>> sessions;
    for (int i = 0; i < 2; ++i) {
      auto graph = Graph::Import(WideGraph(40, false));
      ASSERT_TRUE(graph.ok()) << graph.status();
      SessionOptions opts;
      opts.intra_op_pool = &intra;
      opts.inter_op_pool = &inter;
      opts.force_parallel_executor = true;
      auto s = Session::Create(std::move(graph).value(), opts);
      ASSERT_TRUE(s.ok()) << s.status();
      sessions.push_back(std::move(s).value());
    }
    std::atomic<int> bad{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t) {
      ts.emplace_back([&, t] {
        for (int i = 0; i < 100; ++i) {
          auto r = sessions[t % 2]->Run({{"x", Tensor::Scalar<int32_t>(0)}}, {"sum"});
          if (!r.ok() || (*r)[0].scalar<int32_t>() != 40) ++bad;
        }
      });
    }
    for (auto& t : ts) t.join();
    EXPECT_EQ(bad.load(), 0);
  }
  std::atomic<int> ran{0};
  inter.ParallelFor(8, 1, [&](int64_t b, int64_t e) { ran += static_cast<int>(e - b); });
  EXPECT_EQ(ran.load(), 8);
}

TEST(SessionTest, ErrorsNameTheTensorOrNode) {
  auto s = MakeSession(WideGraph(2, false), 1);
  ASSERT_TRUE(s.ok());
  auto unfed = (*s)->Run({}, {"sum"});
  ASSERT_FALSE(unfed.ok());
  EXPECT_NE(unfed.status().message().find("placeholder tensor 'x'"), std::string::npos) << unfed.status();
  auto bad_fetch = (*s)->Run({{"x", Tensor::Scalar<int32_t>(1)}}, {"nope:0"});
  ASSERT_FALSE(bad_fetch.ok());
  EXPECT_NE(bad_fetch.status().message().find("'nope'"), std::string::npos) << bad_fetch.status();
  auto bad_index = (*s)->Run({{"x", Tensor::Scalar<int32_t>(1)}}, {"sum:3"});
  EXPECT_FALSE(bad_index.ok());
  auto bad_type = (*s)->Run({{"x", Tensor::Scalar<float>(1)}}, {"sum"});
  ASSERT_FALSE(bad_type.ok());
  EXPECT_NE(bad_type.status().message().find("expects int32"), std::string::npos) << bad_type.status();
}

TEST(SessionTest, UnknownOpFailsAtImportWithNames) {
  tensorflow::GraphDef g;
  auto* n = g.add_node();
  n->set_name("mystery");
  n->set_op("NoSuchOp");
  auto graph = Graph::Import(g);
  ASSERT_FALSE(graph.ok());
  EXPECT_NE(graph.status().message().find("'NoSuchOp'"), std::string::npos);
  EXPECT_NE(graph.status().message().find("'mystery'"), std::string::npos);
}

TEST(SessionTest, EveryMissingKernelIsNamedAtOnce) {
  // Lgamma and Digamma have OpDefs (the graph imports) but no kernels here.
  tensorflow::GraphDef def;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(R"pb(
    node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
    node { name: "a" op: "Lgamma" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
    node { name: "b" op: "Digamma" input: "a" attr { key: "T" value { type: DT_FLOAT } } }
    node { name: "c" op: "Digamma" input: "b" attr { key: "T" value { type: DT_FLOAT } } }
  )pb", &def));
  auto graph = Graph::Import(def);
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto session = Session::Create(std::move(graph).value());
  ASSERT_TRUE(session.ok());
  Status s = (*session)->Prepare({"x:0"}, {"c:0"}, {});
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented);
  EXPECT_EQ(s.message(), "no kernels for 2 ops: Digamma (node 'b'), Lgamma (node 'a')");
}

}  // namespace
}  // namespace savedmodel
