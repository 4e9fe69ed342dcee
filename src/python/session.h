// The Python Session: TF1's session over a graph that keeps growing. The
// runtime Session runs an immutable Graph, so when the builder has gained
// nodes since the last run a new one is made over the whole graph, sharing
// the old one's ResourceMgr (variables, tables) and thread pools.
#pragma once
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <vector>

#include "graph.h"
#include "savedmodel/base/thread_pool.h"
#include "savedmodel/exec/saved_model_bundle.h"
#include "savedmodel/exec/session.h"

namespace savedmodel::python {

class PySession {
 public:
  PySession(PyGraphBuilder* builder, int intra_op_threads, int inter_op_threads);

  // The runtime state of one graph version. Runs hold a reference, so a
  // rebuild or close() while another thread runs frees it only after that run.
  struct Runtime {
    std::shared_ptr<ThreadPool> intra_pool, inter_pool;
    std::shared_ptr<ResourceMgr> resources;          // ours, unless a bundle's
    std::shared_ptr<SavedModelBundle> bundle;        // after load_saved_model
    std::unique_ptr<Session> session;                // declared last: destroyed first
  };

  // The runtime for the builder's current graph, rebuilt if it grew. GIL held.
  std::shared_ptr<Runtime> Current();

  pybind11::list Run(const pybind11::dict& feeds, const std::vector<std::string>& fetches,
                     const std::vector<std::string>& targets);
  pybind11::bytes LoadSavedModel(const std::string& export_dir, const std::vector<std::string>& tags);
  void Close();

  PyGraphBuilder* builder() { return builder_; }

 private:
  // All state below is read and written with the GIL held (the builder
  // needs it anyway); only Session::Run runs without it, on a Runtime it
  // holds a reference to.
  PyGraphBuilder* builder_;  // kept alive by the Python object (keep_alive)
  SessionOptions options_;
  std::shared_ptr<ThreadPool> intra_pool_, inter_pool_;
  std::shared_ptr<ResourceMgr> resources_;
  std::shared_ptr<SavedModelBundle> bundle_;
  std::shared_ptr<Runtime> runtime_;
  int imported_nodes_ = -1;
  bool closed_ = false;
};

}  // namespace savedmodel::python
