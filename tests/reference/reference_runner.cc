// reference_runner: our side of the TensorFlow conformance suite
// (tests/reference). The Python generator, running real TensorFlow, writes a
// manifest of cases: a GraphDef, feeds as TensorProto files, and the tensors
// to fetch. This program runs each case through our Graph import and Session
// (optionally after adding our symbolic gradients, as tf.gradients would) and
// writes what came out, so the Python side can compare it with TensorFlow's.
//
//   reference_runner list                       registered kernels and gradients, as JSON
//   reference_runner run MANIFEST OUT_DIR       one JSON line of results per case
//
// MANIFEST is JSON lines, one case each:
//   {"id": "...", "graph": "path.pb", "feeds": [["x:0", "x.pb"], ...],
//    "fetches": ["y:0"], "grad": {"y": "y:0", "xs": ["x:0"]}}   // grad optional
// Paths are relative to the manifest's directory. For "grad" cases the fetches
// are the gradients of y with respect to each of xs, in order.
// Output per case: OUT_DIR/<index>.out<k>.pb (TensorProto), and a line
//   {"id": "...", "ok": true} or {"id": "...", "ok": false, "code": "INVALID_ARGUMENT", "message": "..."}
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "savedmodel/base/env.h"
#include "savedmodel/exec/session.h"
#include "savedmodel/format/tensor_proto.h"
#include "savedmodel/graph/function_inline.h"
#include "savedmodel/graph/graph.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/train/gradients.h"
#include "savedmodel/train/graph_builder.h"

namespace savedmodel {
namespace {

std::string JsonString(const std::string& s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return buf.GetString();
}

std::string JsonList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + JsonString(items[i]);
  return out + "]";
}

template <typename Proto>
Status ReadProto(Env* env, const std::string& path, Proto* proto) {
  ASSIGN_OR_RETURN(std::string bytes, env->ReadFileToString(path));
  if (!proto->ParseFromString(bytes)) return DataLoss("cannot parse " + path);
  return Status::OK();
}

// Adds our gradients of `y` w.r.t. `xs` to `graph_def`; returns their tensor names.
StatusOr<std::vector<std::string>> AddGradientFetches(tensorflow::GraphDef* graph_def,
                                                      const std::string& y,
                                                      const std::vector<std::string>& xs) {
  train::GraphBuilder b;
  RETURN_IF_ERROR(b.AddGraph(*graph_def));
  ASSIGN_OR_RETURN(train::Output yo, b.FindOutput(y));
  std::vector<train::Output> xo;
  for (const auto& x : xs) {
    ASSIGN_OR_RETURN(train::Output o, b.FindOutput(x));
    xo.push_back(o);
  }
  std::vector<train::Output> grads = train::AddGradients(b, yo, xo);
  RETURN_IF_ERROR(b.status());
  std::vector<std::string> names;
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].valid()) return InvalidArgument("no gradient flows to " + xs[i]);
    names.push_back(grads[i].name());
  }
  *graph_def = b.graph_def();
  return names;
}

Status RunCase(Env* env, const std::string& base, const rapidjson::Value& c, const std::string& out_prefix) {
  tensorflow::GraphDef graph_def;
  RETURN_IF_ERROR(ReadProto(env, JoinPath(base, c["graph"].GetString()), &graph_def));
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (const auto& f : c["feeds"].GetArray()) {
    tensorflow::TensorProto proto;
    RETURN_IF_ERROR(ReadProto(env, JoinPath(base, f[1].GetString()), &proto));
    ASSIGN_OR_RETURN(Tensor t, TensorFromProto(proto));
    feeds.emplace_back(f[0].GetString(), std::move(t));
  }
  std::vector<std::string> fetches;
  for (const auto& f : c["fetches"].GetArray()) fetches.push_back(f.GetString());
  if (c.HasMember("grad")) {
    std::vector<std::string> xs;
    for (const auto& x : c["grad"]["xs"].GetArray()) xs.push_back(x.GetString());
    ASSIGN_OR_RETURN(fetches, AddGradientFetches(&graph_def, c["grad"]["y"].GetString(), xs));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Graph> graph, Graph::Import(graph_def));
  SessionOptions options;
  options.env = env;
  ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::Create(std::move(graph), options));
  ASSIGN_OR_RETURN(std::vector<Tensor> outs, session->Run(feeds, fetches));
  for (size_t k = 0; k < outs.size(); ++k) {
    tensorflow::TensorProto proto;
    TensorToProto(outs[k], &proto, /*use_tensor_content=*/true);
    RETURN_IF_ERROR(env->WriteStringToFile(out_prefix + ".out" + std::to_string(k) + ".pb",
                                           proto.SerializeAsString()));
  }
  return Status::OK();
}

int List() {
  std::vector<std::string> grads, none;
  for (const auto& op : train::GradientOps()) {
    (train::HasGradientFunction(op) ? grads : none).push_back(op);
  }
  // "kernels": every op a loaded model may use (registered kernels and the
  // call ops the loader inlines); "registered_kernels": the kernel registry.
  std::vector<std::string> usable = KernelRegistry::Global().Ops();
  for (const auto& op : InlinedCallOps()) usable.push_back(op);
  std::cout << "{\"kernels\":" << JsonList(usable) << ",\"registered_kernels\":"
            << JsonList(KernelRegistry::Global().Ops())
            << ",\"gradients\":" << JsonList(grads) << ",\"no_gradient\":" << JsonList(none) << "}\n";
  return 0;
}

int Run(const std::string& manifest, const std::string& out_dir) {
  Env* env = Env::Default();
  std::ifstream in(manifest);
  if (!in) {
    std::cerr << "reference_runner: cannot open " << manifest << "\n";
    return 2;
  }
  if (Status s = env->CreateDirs(out_dir); !s.ok()) {
    std::cerr << "reference_runner: " << s << "\n";
    return 2;
  }
  const std::string base(Dirname(manifest));
  std::string line;
  for (int index = 0; std::getline(in, line); ++index) {
    rapidjson::Document c;
    c.Parse(line.c_str());
    if (c.HasParseError() || !c.IsObject() || !c.HasMember("id")) {
      std::cerr << "reference_runner: bad manifest line " << index + 1 << "\n";
      return 2;
    }
    Status s = RunCase(env, base, c, JoinPath(out_dir, std::to_string(index)));
    std::string id = JsonString(c["id"].GetString());
    if (s.ok()) {
      std::cout << "{\"id\":" << id << ",\"ok\":true}\n";
    } else {
      std::cout << "{\"id\":" << id << ",\"ok\":false,\"code\":"
                << JsonString(std::string(StatusCodeName(s.code()))) << ",\"message\":"
                << JsonString(s.message()) << "}\n";
    }
  }
  return 0;
}

}  // namespace
}  // namespace savedmodel

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  if (argc == 2 && std::string(argv[1]) == "list") return savedmodel::List();
  if (argc == 4 && std::string(argv[1]) == "run") return savedmodel::Run(argv[2], argv[3]);
  std::cerr << "usage: reference_runner list | run MANIFEST OUT_DIR\n";
  return 2;
}
