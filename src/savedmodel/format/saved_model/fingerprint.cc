#include "savedmodel/format/saved_model/fingerprint.h"

#include <map>
#include <random>

#include <farmhash.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace savedmodel {
namespace {

std::string Deterministic(const google::protobuf::Message& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  return out;
}

uint64_t ShiftMix(uint64_t v) { return v ^ (v >> 47); }

// The UID TensorFlow appends to function names ("__inference_f_123" -> 123), or -1.
int64_t SuffixUid(const std::string& name) {
  size_t us = name.rfind('_');
  if (us == std::string::npos || us + 1 == name.size()) return -1;
  int64_t uid = 0;
  for (size_t i = us + 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || uid > (INT64_MAX - 9) / 10) return -1;
    uid = uid * 10 + (name[i] - '0');
  }
  return uid;
}

std::string StripUid(const std::string& name, int64_t uid) {
  std::string suffix = std::to_string(uid);
  return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0
             ? name.substr(0, name.size() - suffix.size())
             : name;
}

uint64_t GraphProgramHash(tensorflow::GraphDef graph) {
  for (auto& node : *graph.mutable_node()) {
    if (node.op() == "PartitionedCall" || node.op() == "StatefulPartitionedCall") {
      auto f = node.mutable_attr()->find("f");
      if (f != node.mutable_attr()->end()) {
        int64_t uid = SuffixUid(f->second.func().name());
        if (uid >= 0) f->second.mutable_func()->set_name(StripUid(f->second.func().name(), uid));
      }
      auto config = node.mutable_attr()->find("config_proto");
      if (config != node.mutable_attr()->end()) config->second.mutable_s()->clear();
    }
    if (node.op() == "Const") {
      auto dtype = node.attr().find("dtype");
      auto value = node.mutable_attr()->find("value");
      if (dtype != node.attr().end() && dtype->second.type() == tensorflow::DT_STRING &&
          value != node.mutable_attr()->end()) {
        value->second.clear_value();
      }
    }
  }
  graph.mutable_library()->Clear();
  graph.mutable_versions()->Clear();
  return Fingerprint64(Deterministic(graph));
}

uint64_t SignatureDefHash(const tensorflow::MetaGraphDef& mg) {
  std::map<std::string, const tensorflow::SignatureDef*> sorted;
  for (const auto& [k, v] : mg.signature_def()) sorted[k] = &v;
  uint64_t h = 0;
  for (const auto& [k, v] : sorted) {
    h = FingerprintCat64(h, Fingerprint64(k));
    h = FingerprintCat64(h, Fingerprint64(Deterministic(*v)));
  }
  return h;
}

StatusOr<uint64_t> ObjectGraphHash(const tensorflow::SavedObjectGraph& graph) {
  std::map<int64_t, std::string> by_uid;
  for (const auto& [name, _] : graph.concrete_functions()) {
    int64_t uid = SuffixUid(name);
    if (uid < 0) return InvalidArgument("concrete function '" + name + "' has no UID suffix");
    by_uid[uid] = name;
  }
  uint64_t h = 0;
  for (const auto& [uid, name] : by_uid) {
    h = FingerprintCat64(h, Fingerprint64(StripUid(name, uid)));
    h = FingerprintCat64(h, Fingerprint64(Deterministic(graph.concrete_functions().at(name))));
  }
  return h;
}

}  // namespace

uint64_t Fingerprint64(std::string_view bytes) { return util::Fingerprint64(bytes.data(), bytes.size()); }

uint64_t FingerprintCat64(uint64_t fp1, uint64_t fp2) {
  constexpr uint64_t kMul = 0xc6a4a7935bd1e995ULL;
  uint64_t r = fp1 ^ kMul;
  r ^= ShiftMix(fp2 * kMul) * kMul;
  r *= kMul;
  r = ShiftMix(r) * kMul;
  return ShiftMix(r);
}

StatusOr<tensorflow::FingerprintDef> ComputeFingerprint(const tensorflow::SavedModel& saved_model,
                                                        std::string_view pb_file, std::string_view index_file) {
  if (saved_model.meta_graphs_size() == 0) return InvalidArgument("fingerprint: SavedModel has no MetaGraphDef");
  const tensorflow::MetaGraphDef& mg = saved_model.meta_graphs(0);
  tensorflow::FingerprintDef fp;
  fp.set_saved_model_checksum(Fingerprint64(pb_file));
  fp.set_graph_def_program_hash(GraphProgramHash(mg.graph_def()));
  fp.set_signature_def_hash(SignatureDefHash(mg));
  ASSIGN_OR_RETURN(uint64_t object_hash, ObjectGraphHash(mg.object_graph_def()));
  fp.set_saved_object_graph_hash(object_hash);
  if (!index_file.empty()) fp.set_checkpoint_hash(Fingerprint64(index_file));
  // A random identifier for this export, as TensorFlow >= 2.15 records.
  std::random_device rd;
  fp.set_uuid(std::to_string((uint64_t{rd()} << 32) | rd()));
  fp.mutable_version()->set_producer(1);
  return fp;
}

}  // namespace savedmodel
