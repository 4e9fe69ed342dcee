// export_writer: writes what tests/reference/test_exports.py hands to real
// TensorFlow, through our writers only (SavedModelBuilder, SimpleSave, the
// Saver subgraph, BundleWriter).
//
//   export_writer models OUT_DIR          the tutorial graph, trained a few steps on
//                                         fixed data, saved as OUT_DIR/builder (serve +
//                                         train MetaGraphDefs, an asset, a main op),
//                                         OUT_DIR/builder_text (the same as .pbtxt),
//                                         OUT_DIR/simple (SimpleSave) and the checkpoint
//                                         OUT_DIR/ckpt/model.ckpt
//   export_writer restore PREFIX OUT_DIR  restores a checkpoint into the tutorial graph
//                                         and writes each variable as OUT_DIR/<name>.pb
//   export_writer bundle MANIFEST PREFIX  writes a bundle; MANIFEST has one tensor a line:
//                                         shard TAB name TAB tensor_proto_file [TAB slice]
//                                         (slice as SaveV2 takes it: "4 2 0,2:-"); more
//                                         than one shard is written shard by shard and
//                                         merged, as TensorFlow's sharded saver does
//   export_writer fingerprint DIR OUT.pb  our FingerprintDef for any SavedModel directory
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "savedmodel/base/env.h"
#include "savedmodel/exec/session.h"
#include "savedmodel/format/bundle/bundle_writer.h"
#include "savedmodel/format/saved_model/fingerprint.h"
#include "savedmodel/format/saved_model/saved_model_reader.h"
#include "savedmodel/format/tensor_proto.h"
#include "savedmodel/graph/graph.h"
#include "savedmodel/train/ops.h"
#include "savedmodel/train/optimizer.h"
#include "savedmodel/train/saved_model_builder.h"
#include "savedmodel/train/saver.h"

namespace savedmodel {
namespace {

using namespace train;

int Fail(const std::string& what, const Status& s) {
  std::cerr << "export_writer: " << what << ": " << s << "\n";
  return 1;
}

#define CHECK_OK(what, expr)              \
  do {                                    \
    Status _s = (expr);                   \
    if (!_s.ok()) return Fail(what, _s);  \
  } while (0)

struct Tutorial {
  GraphBuilder b;
  Output x, labels, y, loss;
  std::string train, init, main_op;
  tensorflow::SaverDef saver;
};

// The tutorial's graph (test_exports.py builds the same one in TF compat.v1).
// With `extras`, a main op that records the asset path it was fed and sets a
// flag, so the test can see that TensorFlow's loader ran it with the asset.
void BuildTutorial(Tutorial& m, bool extras) {
  GraphBuilder& b = m.b;
  m.x = Placeholder(b, DT_FLOAT, {-1, 784}, "myInput");
  m.labels = Placeholder(b, DT_FLOAT, {-1, 10}, "y_");
  VariableInfo W = train::Variable(b, Zeros(b, DT_FLOAT, {784, 10}), "W");
  VariableInfo bias = train::Variable(b, Zeros(b, DT_FLOAT, {10}), "b");
  Output y = Softmax(b, Add(b, MatMul(b, m.x, W.snapshot), bias.snapshot));
  m.y = Identity(b, y, "myOutput");
  m.loss = ReduceMean(b, Neg(b, ReduceSum(b, Mul(b, m.labels, Log(b, y)), {1})));
  m.train = GradientDescentOptimizer(0.5f).Minimize(b, m.loss);
  if (extras) {
    Output vocab = Const(b, Tensor::Scalar<std::string>("vocab.txt"), "vocab_path");
    VariableInfo path = train::Variable(b, Const(b, Tensor::Scalar<std::string>("")), "asset_path", false);
    VariableInfo ran = train::Variable(b, Scalar<float>(b, 0.0f), "main_op_ran", false);
    std::string a1 = b.Target("Assign", {path.variable, vocab}, {}, "assign_asset_path");
    std::string a2 = b.Target("Assign", {ran.variable, Scalar<float>(b, 42.0f)}, {}, "assign_main_op_ran");
    m.main_op = Group(b, {a1, a2}, "main_op");
  }
  m.init = GlobalVariablesInitializer(b);
  m.saver = AddSaver(b);
}

// Fixed data the Python side recomputes: pixel (i, j) of example i, label i % 10.
Tensor Images(int n) {
  std::vector<float> v(static_cast<size_t>(n) * 784);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < 784; ++j) v[i * 784 + j] = static_cast<float>((i * 31 + j * 7) % 256) / 255.0f;
  return Tensor::FromVector<float>(v, TensorShape{n, 784});
}
Tensor Labels(int n) {
  std::vector<float> v(static_cast<size_t>(n) * 10, 0.0f);
  for (int i = 0; i < n; ++i) v[i * 10 + i % 10] = 1.0f;
  return Tensor::FromVector<float>(v, TensorShape{n, 10});
}

StatusOr<std::unique_ptr<Session>> NewSession(const Tutorial& m) {
  RETURN_IF_ERROR(m.b.status());
  ASSIGN_OR_RETURN(auto graph, Graph::Import(m.b.graph_def()));
  return Session::Create(std::move(graph));
}

StatusOr<std::unique_ptr<Session>> Trained(const Tutorial& m) {
  ASSIGN_OR_RETURN(auto session, NewSession(m));
  RETURN_IF_ERROR(session->Run({}, {}, {m.init}).status());
  for (int step = 0; step < 3; ++step) {
    RETURN_IF_ERROR(session->Run({{m.x.name(), Images(20)}, {m.labels.name(), Labels(20)}}, {}, {m.train}).status());
  }
  return session;
}

int Models(const std::string& out) {
  Env* env = Env::Default();
  CHECK_OK("mkdir", env->CreateDirs(out));
  const std::string vocab = JoinPath(out, "vocab.txt");
  CHECK_OK("vocab", env->WriteStringToFile(vocab, "alpha\nbeta\ngamma\n"));

  Tutorial m;
  BuildTutorial(m, true);
  auto session = Trained(m);
  if (!session.ok()) return Fail("training", session.status());
  const std::map<std::string, tensorflow::SignatureDef> serve_sigs = {
      {"predict", PredictSignature({{"myInput", m.x}}, {{"myOutput", m.y}})},
      {"serving_default", PredictSignature({{"myInput", m.x}}, {{"myOutput", m.y}})}};
  const std::map<std::string, tensorflow::SignatureDef> train_sigs = {
      {"loss", PredictSignature({{"myInput", m.x}, {"labels", m.labels}}, {{"loss", m.loss}})}};
  const std::vector<AssetSource> assets = {{"vocab_path:0", vocab}};
  for (bool text : {false, true}) {
    SavedModelBuilder builder(JoinPath(out, text ? "builder_text" : "builder"));
    CHECK_OK("builder serve", builder.AddMetaGraphAndVariables(**session, MetaGraphFromBuilder(m.b, m.saver),
                                                               {"serve"}, serve_sigs, assets, m.main_op));
    CHECK_OK("builder train",
             builder.AddMetaGraph(MetaGraphFromBuilder(m.b, m.saver), {"train"}, train_sigs, assets));
    CHECK_OK("builder save", builder.Save(text));
  }
  CHECK_OK("mkdir ckpt", env->CreateDirs(JoinPath(out, "ckpt")));
  auto prefix = SaveCheckpoint(**session, m.saver, JoinPath(out, "ckpt", "model.ckpt"));
  if (!prefix.ok()) return Fail("checkpoint", prefix.status());

  Tutorial t;
  BuildTutorial(t, false);
  auto plain = Trained(t);
  if (!plain.ok()) return Fail("training", plain.status());
  CHECK_OK("simple_save", SimpleSave(**plain, t.b, t.saver, JoinPath(out, "simple"), {{"myInput", t.x}},
                                     {{"myOutput", t.y}}));
  return 0;
}

Status WriteProto(const std::string& path, const Tensor& t) {
  tensorflow::TensorProto proto;
  TensorToProto(t, &proto, /*use_tensor_content=*/true);
  return Env::Default()->WriteStringToFile(path, proto.SerializeAsString());
}

int Restore(const std::string& prefix, const std::string& out) {
  Tutorial m;
  BuildTutorial(m, false);
  auto session = NewSession(m);
  if (!session.ok()) return Fail("graph", session.status());
  CHECK_OK("restore", RestoreCheckpoint(**session, m.saver, prefix));
  CHECK_OK("mkdir", Env::Default()->CreateDirs(out));
  for (const char* name : {"W", "b"}) {
    auto v = (*session)->Run({}, {std::string(name) + ":0"});
    if (!v.ok()) return Fail(name, v.status());
    CHECK_OK(name, WriteProto(JoinPath(out, std::string(name) + ".pb"), (*v)[0]));
  }
  return 0;
}

StatusOr<Tensor> ReadProto(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, Env::Default()->ReadFileToString(path));
  tensorflow::TensorProto proto;
  if (!proto.ParseFromString(bytes)) return InvalidArgument("not a TensorProto: " + path);
  return TensorFromProto(proto);
}

// SaveV2's shape_and_slice: "dim0 dim1 ... start,length:-:..." ("-" is a whole dim).
Status ParseSlice(const std::string& spec, TensorShape* full, tensorflow::TensorSliceProto* slice) {
  std::istringstream in(spec);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  if (words.size() < 2) return InvalidArgument("bad slice spec '" + spec + "'");
  std::vector<int64_t> dims;
  for (size_t i = 0; i + 1 < words.size(); ++i) dims.push_back(std::stoll(words[i]));
  auto shape = TensorShape::FromDims(dims);
  if (!shape.ok()) return shape.status();
  *full = *shape;
  std::istringstream parts(words.back());
  for (std::string part; std::getline(parts, part, ':');) {
    auto* e = slice->add_extent();
    if (part == "-") continue;
    size_t comma = part.find(',');
    if (comma == std::string::npos) return InvalidArgument("bad slice extent '" + part + "'");
    e->set_start(std::stoll(part.substr(0, comma)));
    e->set_length(std::stoll(part.substr(comma + 1)));
  }
  return Status::OK();
}

int Bundle(const std::string& manifest, const std::string& prefix) {
  struct Item {
    std::string name, file, slice;
  };
  std::map<int, std::vector<Item>> shards;
  std::ifstream in(manifest);
  if (!in) return Fail("manifest", NotFound(manifest));
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::istringstream cols(line);
    for (std::string c; std::getline(cols, c, '\t');) f.push_back(c);
    if (f.size() < 3) return Fail("manifest", InvalidArgument("bad line: " + line));
    shards[std::stoi(f[0])].push_back({f[1], JoinPath(std::string(Dirname(manifest)), f[2]), f.size() > 3 ? f[3] : ""});
  }
  const int n = shards.empty() ? 1 : shards.rbegin()->first + 1;
  std::vector<std::string> parts;
  for (int s = 0; s < n; ++s) {
    char suffix[64];
    std::snprintf(suffix, sizeof(suffix), "_temp/part-%05d-of-%05d", s, n);
    const std::string part = n == 1 ? prefix : prefix + suffix;
    parts.push_back(part);
    bundle::BundleWriter writer(Env::Default(), part);
    for (const Item& item : shards[s]) {
      auto t = ReadProto(item.file);
      if (!t.ok()) return Fail(item.file, t.status());
      if (item.slice.empty()) {
        CHECK_OK(item.name, writer.Add(item.name, *t));
      } else {
        TensorShape full;
        tensorflow::TensorSliceProto slice;
        CHECK_OK(item.name, ParseSlice(item.slice, &full, &slice));
        CHECK_OK(item.name, writer.AddSlice(item.name, full, slice, *t));
      }
    }
    CHECK_OK("finish " + part, writer.Finish());
  }
  if (n > 1) {
    CHECK_OK("merge", bundle::MergeBundles(Env::Default(), parts, prefix));
    Env::Default()->DeleteRecursively(prefix + "_temp").IgnoreError();
  }
  return 0;
}

int FingerprintOf(const std::string& dir, const std::string& out) {
  Env* env = Env::Default();
  auto data = ReadSavedModel(env, dir);
  if (!data.ok()) return Fail(dir, data.status());
  auto pb = env->ReadFileToString(JoinPath(dir, kSavedModelFilenamePb));
  if (!pb.ok()) return Fail("saved_model.pb", pb.status());
  std::string index;
  const std::string index_path = JoinPath(dir, kVariablesDirectory, kVariablesFilename) + ".index";
  if (env->FileExists(index_path)) {
    auto bytes = env->ReadFileToString(index_path);
    if (!bytes.ok()) return Fail(index_path, bytes.status());
    index = *bytes;
  }
  auto fp = ComputeFingerprint(data->saved_model, *pb, index);
  if (!fp.ok()) return Fail("fingerprint", fp.status());
  CHECK_OK(out, env->WriteStringToFile(out, fp->SerializeAsString()));
  return 0;
}

}  // namespace
}  // namespace savedmodel

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 2 && args[0] == "models") return savedmodel::Models(args[1]);
  if (args.size() == 3 && args[0] == "restore") return savedmodel::Restore(args[1], args[2]);
  if (args.size() == 3 && args[0] == "bundle") return savedmodel::Bundle(args[1], args[2]);
  if (args.size() == 3 && args[0] == "fingerprint") return savedmodel::FingerprintOf(args[1], args[2]);
  std::cerr << "usage: export_writer models OUT_DIR | restore PREFIX OUT_DIR | bundle MANIFEST PREFIX | "
               "fingerprint DIR OUT.pb\n";
  return 2;
}
