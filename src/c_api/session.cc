// TF_Session: sessions over imported graphs and SavedModels loaded by tag, and
// TF_SessionRun feeding TF_Tensors and fetching new ones.
#include <climits>
#include <string>
#include <utility>
#include <vector>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "c_api/internal.h"

namespace savedmodel::capi {

void AdoptBundle(TF_Graph* graph, std::shared_ptr<SavedModelBundle> bundle);
bool GraphIsEmpty(TF_Graph* graph);

std::string OutputName(const TF_Output& out) {
  return std::string(TF_OperationName(out.oper)) + ":" + std::to_string(out.index);
}

namespace {

// TensorFlow checks endpoints before running: an index past the op's outputs
// is OUT_OF_RANGE.
Status CheckEndpoint(const TF_Output& out) {
  const int n = TF_OperationNumOutputs(out.oper);
  if (out.index < 0 || out.index >= n) {
    return OutOfRange("Node '" + std::string(TF_OperationName(out.oper)) + "' (type: '" +
                      TF_OperationOpType(out.oper) + "', num of outputs: " + std::to_string(n) +
                      ") does not have output " + std::to_string(out.index));
  }
  return Status::OK();
}

// The runtime session to run on: the loaded model's, or one over the graph as
// it is now (made again after an import added nodes).
StatusOr<std::shared_ptr<Session>> SessionFor(TF_Session* s) {
  std::lock_guard<std::mutex> l(s->mu);
  if (s->closed) return FailedPrecondition("Session has been closed.");
  if (s->bundle) return std::shared_ptr<Session>(s->bundle, &s->bundle->session());
  tensorflow::GraphDef def;
  uint64_t version;
  {
    std::lock_guard<std::mutex> g(s->graph->mu);
    version = s->graph->version;
    if (s->session && s->version == version) return s->session;
    def = s->graph->def;
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Graph> graph, Graph::Import(std::move(def)));
  ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::Create(std::move(graph), s->options));
  s->session = std::move(session);
  s->version = version;
  return s->session;
}

Status Run(TF_Session* s, const TF_Output* inputs, TF_Tensor* const* input_values, int ninputs,
           const TF_Output* outputs, TF_Tensor** output_values, int noutputs,
           const TF_Operation* const* targets, int ntargets) {
  if (s == nullptr) return InvalidArgument("null session");
  if (ninputs < 0 || noutputs < 0 || ntargets < 0) return InvalidArgument("negative count");
  for (int i = 0; i < noutputs; ++i) output_values[i] = nullptr;
  std::vector<std::pair<std::string, Tensor>> feeds;
  feeds.reserve(static_cast<size_t>(ninputs));
  for (int i = 0; i < ninputs; ++i) {
    if (inputs[i].oper == nullptr || input_values[i] == nullptr) {
      return InvalidArgument("input " + std::to_string(i) + " is null");
    }
    RETURN_IF_ERROR(CheckEndpoint(inputs[i]));
    ASSIGN_OR_RETURN(Tensor t, ToTensor(*input_values[i]));
    feeds.emplace_back(OutputName(inputs[i]), std::move(t));
  }
  std::vector<std::string> fetches;
  for (int i = 0; i < noutputs; ++i) {
    if (outputs[i].oper == nullptr) return InvalidArgument("output " + std::to_string(i) + " is null");
    RETURN_IF_ERROR(CheckEndpoint(outputs[i]));
    fetches.push_back(OutputName(outputs[i]));
  }
  std::vector<std::string> target_names;
  for (int i = 0; i < ntargets; ++i) {
    if (targets[i] == nullptr) return InvalidArgument("target " + std::to_string(i) + " is null");
    target_names.push_back(TF_OperationName(const_cast<TF_Operation*>(targets[i])));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<Session> session, SessionFor(s));
  ASSIGN_OR_RETURN(std::vector<Tensor> results, session->Run(feeds, fetches, target_names));
  std::vector<TF_Tensor*> made;
  for (const Tensor& t : results) {
    auto out = FromTensor(t);
    if (!out.ok()) {
      for (TF_Tensor* m : made) TF_DeleteTensor(m);
      return out.status();
    }
    made.push_back(*out);
  }
  for (size_t i = 0; i < made.size(); ++i) output_values[i] = made[i];
  return Status::OK();
}

// The thread counts of a serialized ConfigProto (fields 2 and 5), read from
// the wire format: the project has no copy of config.proto's messages.
Status ApplyConfig(const void* proto, size_t len, SessionOptions* options) {
  using google::protobuf::internal::WireFormatLite;
  if (len > static_cast<size_t>(INT_MAX) || (len > 0 && proto == nullptr)) {
    return InvalidArgument("Unparseable ConfigProto");
  }
  google::protobuf::io::CodedInputStream in(static_cast<const uint8_t*>(proto), static_cast<int>(len));
  in.SetRecursionLimit(100);
  int intra = options->intra_op_threads;
  int inter = options->inter_op_threads;
  while (uint32_t tag = in.ReadTag()) {
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    const auto type = WireFormatLite::GetTagWireType(tag);
    if ((field == 2 || field == 5) && type == WireFormatLite::WIRETYPE_VARINT) {
      uint32_t v;
      if (!in.ReadVarint32(&v)) return InvalidArgument("Unparseable ConfigProto");
      // int32 fields; a negative count means "the caller's thread" in TensorFlow.
      const int n = static_cast<int32_t>(v) < 0 ? 1 : static_cast<int>(v);
      (field == 2 ? intra : inter) = n;
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return InvalidArgument("Unparseable ConfigProto");
    }
  }
  if (!in.ConsumedEntireMessage()) return InvalidArgument("Unparseable ConfigProto");
  options->intra_op_threads = intra;
  options->inter_op_threads = inter;
  return Status::OK();
}

}  // namespace
}  // namespace savedmodel::capi

using namespace savedmodel;        // NOLINT: C entry points below
using namespace savedmodel::capi;  // NOLINT

extern "C" {

TF_SessionOptions* TF_NewSessionOptions(void) { return new TF_SessionOptions; }
void TF_DeleteSessionOptions(TF_SessionOptions* opts) { delete opts; }

void TF_SetConfig(TF_SessionOptions* options, const void* proto, size_t proto_len, TF_Status* status) {
  // As in TensorFlow, the status is written only on failure.
  TF_Status result;
  Guarded(&result, [&]() -> Status {
    if (options == nullptr) return InvalidArgument("null session options");
    return ApplyConfig(proto, proto_len, &options->options);
  });
  if (!result.status.ok()) Set(status, result.status);
}

TF_Session* TF_NewSession(TF_Graph* graph, const TF_SessionOptions* opts, TF_Status* status) {
  TF_Session* out = nullptr;
  Guarded(status, [&]() -> Status {
    if (graph == nullptr) return InvalidArgument("null graph");
    auto s = std::make_unique<TF_Session>();
    s->graph = graph;
    if (opts != nullptr) s->options = opts->options;
    {
      std::lock_guard<std::mutex> l(graph->mu);
      s->bundle = graph->bundle;
    }
    out = s.release();
    return Status::OK();
  });
  return out;
}

TF_Session* TF_LoadSessionFromSavedModel(const TF_SessionOptions* session_options,
                                         const TF_Buffer* /*run_options*/, const char* export_dir,
                                         const char* const* tags, int tags_len, TF_Graph* graph,
                                         TF_Buffer* meta_graph_def, TF_Status* status) {
  TF_Session* out = nullptr;
  Guarded(status, [&]() -> Status {
    if (export_dir == nullptr || graph == nullptr || tags_len < 0 || (tags_len > 0 && !tags)) {
      return InvalidArgument("null export_dir, graph or tags");
    }
    if (!GraphIsEmpty(graph)) {
      return InvalidArgument("Passed in graph is not empty.");
    }
    LoadOptions options;
    if (session_options != nullptr) options.session = session_options->options;
    std::vector<std::string> tag_list(tags, tags + tags_len);
    ASSIGN_OR_RETURN(std::unique_ptr<SavedModelBundle> loaded,
                     LoadSavedModel(export_dir, tag_list, options));
    std::shared_ptr<SavedModelBundle> bundle = std::move(loaded);
    if (meta_graph_def != nullptr) {
      std::string bytes = bundle->meta_graph_def().SerializeAsString();
      TF_Buffer* copy = TF_NewBufferFromString(bytes.data(), bytes.size());
      if (copy == nullptr) return ResourceExhausted("copying the MetaGraphDef");
      if (meta_graph_def->data_deallocator != nullptr) {
        meta_graph_def->data_deallocator(const_cast<void*>(meta_graph_def->data),
                                         meta_graph_def->length);
      }
      *meta_graph_def = *copy;
      copy->data_deallocator = nullptr;
      TF_DeleteBuffer(copy);
    }
    AdoptBundle(graph, bundle);
    auto s = std::make_unique<TF_Session>();
    s->graph = graph;
    s->options = options.session;
    s->bundle = std::move(bundle);
    out = s.release();
    return Status::OK();
  });
  return out;
}

void TF_CloseSession(TF_Session* s, TF_Status* status) {
  Guarded(status, [&]() -> Status {
    if (s == nullptr) return Status::OK();
    std::lock_guard<std::mutex> l(s->mu);
    s->closed = true;
    return Status::OK();
  });
}

void TF_DeleteSession(TF_Session* s, TF_Status* status) {
  Guarded(status, [&]() -> Status {
    delete s;
    return Status::OK();
  });
}

void TF_SessionRun(TF_Session* session, const TF_Buffer* /*run_options*/, const TF_Output* inputs,
                   TF_Tensor* const* input_values, int ninputs, const TF_Output* outputs,
                   TF_Tensor** output_values, int noutputs, const TF_Operation* const* target_opers,
                   int ntargets, TF_Buffer* /*run_metadata*/, TF_Status* status) {
  Guarded(status, [&] {
    return Run(session, inputs, input_values, ninputs, outputs, output_values, noutputs,
               target_opers, ntargets);
  });
}

}  // extern "C"
