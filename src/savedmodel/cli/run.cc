// `savedmodel run`: saved_model_cli run, same input flags and conventions, plus
// --feed/--fetch to run by tensor names.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <tuple>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "py_literal.h"
#include "savedmodel/core/npy.h"
#include "savedmodel/core/npz.h"
#include "savedmodel/core/tensor_cast.h"
#include "savedmodel/exec/saved_model_bundle.h"
#include "savedmodel/format/saved_model/saved_model_reader.h"

namespace savedmodel::cli {
namespace {

void Warn(const std::string& msg) { std::fprintf(stderr, "WARNING: %s\n", msg.c_str()); }

// saved_model_cli's feed dict: keys in first-given order, a later value for a
// key replacing the earlier one.
struct Feed {
  std::vector<std::string> order;
  std::map<std::string, Tensor> tensors;         // from --inputs files and --input_examples
  std::map<std::string, PyValue> exprs;          // from --input_exprs, converted once dtypes are known
  std::map<std::string, std::string> origin;     // which flag gave the value

  void Set(const std::string& key, const std::string& flag) {
    if (!origin.count(key)) order.push_back(key);
    tensors.erase(key);
    exprs.erase(key);
    origin[key] = flag;
  }
};

// --inputs 'k=file.npy;k2=file.npz[name]', checked as saved_model_cli's
// preprocess_inputs_arg_string does.
StatusOr<std::vector<std::tuple<std::string, std::string, std::string>>> ParseInputsFlag(
    const std::string& text) {
  static const std::regex with_name(R"(([^=]+)=([^\[\]]+)\[([^\[\]]+)\]$)");
  static const std::regex plain(R"(([^=]+)=([^\[\]]+)$)");
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = std::min(text.find(';', start), text.size());
    std::string part = text.substr(start, end - start);
    start = end + 1;
    if (part.empty()) continue;
    std::smatch m;
    if (std::regex_search(part, m, with_name, std::regex_constants::match_continuous)) {
      out.emplace_back(m[1], m[2], m[3]);
    } else if (std::regex_search(part, m, plain, std::regex_constants::match_continuous)) {
      out.emplace_back(m[1], m[2], "");
    } else {
      return InvalidArgument("--inputs \"" + part +
                             "\" format is incorrect. Please follow\"<input_key>=<filename>\", or"
                             "\"<input_key>=<filename>[<variable_name>]\"");
    }
  }
  return out;
}

// --input_exprs / --input_examples 'k=<python literal>;k2=...'.
StatusOr<std::vector<std::pair<std::string, PyValue>>> ParseExprsFlag(const std::string& text) {
  std::vector<std::pair<std::string, PyValue>> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = std::min(text.find(';', start), text.size());
    std::string part = text.substr(start, end - start);
    start = end + 1;
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string::npos) {
      return InvalidArgument("--input_exprs \"" + text +
                             "\" format is incorrect. Please follow\"<input_key>=<python expression>\"");
    }
    std::string expr = part.substr(eq + 1);
    auto v = ParsePyLiteral(expr);
    if (!v.ok()) {
      return InvalidArgument("Expression \"" + expr + "\" is not a valid python literal (" +
                             v.status().message() + ")");
    }
    out.push_back({part.substr(0, eq), std::move(v).value()});
  }
  return out;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// np.load of a .npy or .npz, with saved_model_cli's rules for "[name]".
StatusOr<Tensor> LoadInputFile(const std::string& path, const std::string& name) {
  Env* env = Env::Default();
  if (!EndsWith(path, ".npz")) {
    ASSIGN_OR_RETURN(Tensor t, ReadNpyFile(env, path));
    if (!name.empty()) {
      Warn("Input file " + path + " contains a single ndarray. Name key \"" + name + "\" ignored.");
    }
    return t;
  }
  ASSIGN_OR_RETURN(auto arrays, ReadNpzFile(env, path));
  if (name.empty()) {
    if (arrays.size() != 1) {
      return InvalidArgument("Input file " + path +
                             " contains more than one ndarrays. Please specify the name of ndarray to use.");
    }
    return arrays.begin()->second;
  }
  auto it = arrays.find(name);
  if (it == arrays.end()) {
    return InvalidArgument("Input file " + path + " does not contain variable with name \"" + name + "\".");
  }
  return it->second;
}

// For --feed NAME=file.npy or file.npz[name].
StatusOr<Tensor> LoadInputSpec(const std::string& spec) {
  if (!spec.empty() && spec.back() == ']') {
    size_t open = spec.rfind('[');
    if (open == std::string::npos) return InvalidArgument("malformed input file spec '" + spec + "'");
    return LoadInputFile(spec.substr(0, open), spec.substr(open + 1, spec.size() - open - 2));
  }
  return LoadInputFile(spec, "");
}

// Python's str() of a shape tuple: "()", "(2,)", "(2, 1)".
std::string PyShapeTuple(const TensorShape& shape) {
  std::string s = "(";
  for (int i = 0; i < shape.rank(); ++i) s += (i ? ", " : "") + std::to_string(shape.dim(i));
  return s + (shape.rank() == 1 ? ",)" : ")");
}

// str(tf.TensorShape): "(None, 1)", "<unknown>".
std::string TfShapeString(const tensorflow::TensorShapeProto& shape) {
  if (shape.unknown_rank()) return "<unknown>";
  std::string s = "(";
  for (int i = 0; i < shape.dim_size(); ++i) {
    s += i ? ", " : "";
    s += shape.dim(i).size() < 0 ? "None" : std::to_string(shape.dim(i).size());
  }
  return s + (shape.dim_size() == 1 ? ",)" : ")");
}

// Session.run's check of a fed value against the tensor's static shape: a
// placeholder's own shape attr, which may be stricter than the signature's.
Status CheckFeedShape(const Tensor& t, const tensorflow::TensorInfo& info,
                      const tensorflow::GraphDef& graph) {
  // Session.run uses the graph's inferred shape; short of inference, a
  // placeholder's shape attr or the _output_shapes TensorFlow recorded.
  const tensorflow::TensorShapeProto* shape = &info.tensor_shape();
  const size_t colon = info.name().find(':');
  const std::string node = info.name().substr(0, colon);
  const int index = colon == std::string::npos ? 0 : std::atoi(info.name().c_str() + colon + 1);
  for (const auto& n : graph.node()) {
    if (n.name() != node) continue;
    auto it = n.attr().find("shape");
    auto recorded = n.attr().find("_output_shapes");
    if ((n.op() == "Placeholder" || n.op() == "PlaceholderV2" || n.op() == "PlaceholderWithDefault") &&
        it != n.attr().end() && it->second.has_shape()) {
      shape = &it->second.shape();
    } else if (recorded != n.attr().end() && index < recorded->second.list().shape_size()) {
      shape = &recorded->second.list().shape(index);
    }
    break;
  }
  const auto& want = *shape;
  if (want.unknown_rank()) return Status::OK();
  bool ok = want.dim_size() == t.rank();
  for (int i = 0; ok && i < want.dim_size(); ++i) {
    ok = want.dim(i).size() < 0 || want.dim(i).size() == t.dim(i);
  }
  if (ok) return Status::OK();
  return InvalidArgument("Cannot feed value of shape " + PyShapeTuple(t.shape()) + " for Tensor " +
                         info.name() + ", which has shape " + TfShapeString(want));
}

int Fail(const Status& s) {
  std::fprintf(stderr, "savedmodel run: %s\n", s.ToString().c_str());
  return 1;
}

void PrintResult(const std::string& key, const Tensor& t) {
  std::printf("Result for output key %s:\n%s\n", key.c_str(), t.ValuesString().c_str());
}

// Writes OUTDIR/<name>.npy as saved_model_cli does after each result.
Status SaveResult(const std::string& outdir, const std::string& key, const std::string& name,
                  const Tensor& t, bool overwrite) {
  Env* env = Env::Default();
  RETURN_IF_ERROR(env->CreateDirs(outdir));
  std::string path = JoinPath(outdir, name + ".npy");
  if (!overwrite && env->FileExists(path)) {
    return AlreadyExists("Output file " + path +
                         " already exists. Add \"--overwrite\" to overwrite the existing output files.");
  }
  RETURN_IF_ERROR(WriteNpyFile(env, path, t));
  std::printf("Output %s is saved to %s\n", key.c_str(), path.c_str());
  return Status::OK();
}

}  // namespace

int RunMain(int argc, char** argv) {
  CLI::App app{"Run a SavedModel's signature (or tensors by name) on given inputs.",
               "savedmodel run"};
  std::string dir, tag_set, signature_def, inputs, input_exprs, input_examples, outdir;
  std::vector<std::string> feeds, fetches;
  bool overwrite = false;
  app.add_option("dir", dir, "SavedModel directory (or use --dir)");
  app.add_option("--dir", dir, "SavedModel directory");
  auto* tag_opt = app.add_option("--tag_set", tag_set, "comma-separated tags; '' for none");
  app.add_option("--signature_def", signature_def, "signature key to run");
  app.add_option("--inputs", inputs, "'key=file.npy;key2=file.npz[arr]'");
  app.add_option("--input_exprs", input_exprs, "'key=[[1.0],[2.0]]' (Python literals)");
  app.add_option("--input_examples", input_examples, "'key=[{\"x\":[1.0]}]' (tf.Examples)");
  app.add_option("--outdir", outdir, "write each output to OUTDIR/<key>.npy");
  app.add_flag("--overwrite", overwrite, "overwrite existing files in --outdir");
  app.add_option("--feed", feeds, "tensor_name=file.npy (repeatable; runs by tensor name)");
  app.add_option("--fetch", fetches, "tensor name to fetch (repeatable)");
  // A model is code: by default its ops may read its own directory and
  // nothing else, and write nowhere (LoadOptions::confine_file_access).
  bool confine_file_access = true;
  std::string allow_file_access;
  app.add_option("--confine_file_access", confine_file_access,
                 "limit the files the model's ops (ReadFile, SaveV2, ...) touch to reading DIR "
                 "and --allow_file_access (default true; false allows all, as saved_model_cli)");
  app.add_option("--allow_file_access", allow_file_access,
                 "comma-separated paths the model's ops may also read and write");
  app.footer(
      "Examples:\n"
      "Run a signature on arrays from files and save each output as OUTDIR/<key>.npy:\n"
      "$savedmodel run --dir /tmp/saved_model --tag_set serve --signature_def serving_default "
      "--inputs 'input1_key=/tmp/124.npz[x];input2_key=/tmp/123.npy' --outdir /tmp/out\n\n"
      "Inputs as Python literals (no expressions: ast.literal_eval's syntax) and as tf.Examples:\n"
      "$savedmodel run --dir /tmp/saved_model --tag_set serve --signature_def serving_default "
      "--input_exprs 'x=[[1.0], [2.0]]' --input_examples 'examples=[{\"id\": [26], \"weights\": "
      "[0.5, 0.5]}]'\n\n"
      "Keys are separated by ';'; a key given again takes the later value (--input_examples over "
      "--input_exprs over --inputs).\n\n"
      "Fetch tensors by name instead of running a signature:\n"
      "$savedmodel run /tmp/saved_model --tag_set serve --feed x:0=/tmp/x.npy --fetch y:0\n\n"
      "File access: the model's own ops may read files under DIR only and write none, unless "
      "--allow_file_access=/data,/tmp/ckpt names more (read and write); "
      "--confine_file_access=false lifts the limit.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (dir.empty()) {
    std::fprintf(stderr, "savedmodel run: a SavedModel directory is required\n");
    return 2;
  }
  if (tag_opt->count() == 0) {
    std::fprintf(stderr, "savedmodel run: --tag_set is required (e.g. --tag_set serve)\n");
    return 2;
  }
  LoadOptions load_options;
  load_options.confine_file_access = confine_file_access;
  for (size_t start = 0; start <= allow_file_access.size();) {
    size_t comma = allow_file_access.find(',', start);
    if (comma == std::string::npos) comma = allow_file_access.size();
    if (comma > start) {
      load_options.allowed_write_paths.push_back(allow_file_access.substr(start, comma - start));
    }
    start = comma + 1;
  }
  const bool by_name = !fetches.empty();
  if (by_name == !signature_def.empty()) {
    std::fprintf(stderr, "savedmodel run: give either --signature_def or --fetch\n");
    return 2;
  }

  if (by_name) {
    auto bundle = LoadSavedModel(dir, SplitTagSet(tag_set, TagSplit::kTrimmed), load_options);
    if (!bundle.ok()) return Fail(bundle.status());
    std::vector<std::pair<std::string, Tensor>> feed_tensors;
    for (const std::string& f : feeds) {
      size_t eq = f.find('=');
      if (eq == std::string::npos) return Fail(InvalidArgument("--feed expects NAME=FILE, got '" + f + "'"));
      auto t = LoadInputSpec(f.substr(eq + 1));
      if (!t.ok()) return Fail(t.status());
      feed_tensors.push_back({f.substr(0, eq), *t});
    }
    auto out = (*bundle)->session().Run(feed_tensors, fetches);
    if (!out.ok()) return Fail(out.status());
    for (size_t i = 0; i < fetches.size(); ++i) {
      PrintResult(fetches[i], (*out)[i]);
      if (outdir.empty()) continue;
      std::string name = fetches[i];
      for (char& c : name) {
        if (c == '/' || c == ':') c = '_';
      }
      Status s = SaveResult(outdir, fetches[i], name, (*out)[i], overwrite);
      if (!s.ok()) return Fail(s);
    }
    return 0;
  }

  // saved_model_cli's order: inputs are parsed and files read before the
  // model; then the signature and keys are checked; the values are converted
  // and their shapes checked as Session.run does.
  if (inputs.empty() && input_exprs.empty() && input_examples.empty()) {
    return Fail(InvalidArgument("At least one of --inputs, --input_exprs or --input_examples must be required"));
  }
  Feed feed;
  auto files = ParseInputsFlag(inputs);
  if (!files.ok()) return Fail(files.status());
  auto exprs = ParseExprsFlag(input_exprs);
  if (!exprs.ok()) return Fail(exprs.status());
  auto examples = ParseExprsFlag(input_examples);
  if (!examples.ok()) return Fail(examples.status());
  std::vector<std::pair<std::string, Tensor>> example_tensors;
  for (const auto& [key, value] : *examples) {
    auto t = PyValueToExamples(value);
    if (!t.ok()) return Fail(t.status().WithContext("--input_examples " + key));
    example_tensors.push_back({key, *t});
  }
  for (const auto& [key, path, name] : *files) {
    auto t = LoadInputFile(path, name);
    if (!t.ok()) return Fail(t.status());
    feed.Set(key, "--inputs");
    feed.tensors[key] = *t;
  }
  for (const auto& [key, value] : *exprs) {
    if (feed.origin.count(key) && feed.origin[key] == "--inputs") {
      Warn("input_key " + key + " has been specified with both --inputs and --input_exprs options. "
           "Value in --input_exprs will be used.");
    }
    feed.Set(key, "--input_exprs");
    feed.exprs[key] = value;
  }
  for (const auto& [key, t] : example_tensors) {
    if (feed.origin.count(key) && feed.origin[key] != "--input_examples") {
      Warn("input_key " + key + " has been specified in multiple options. "
           "Value in --input_examples will be used.");
    }
    feed.Set(key, "--input_examples");
    feed.tensors[key] = t;
  }

  // Only the proto: structural problems of the graph surface when it loads.
  auto proto = ReadSavedModelProto(Env::Default(), dir);
  if (!proto.ok()) return Fail(proto.status());
  auto mg = FindMetaGraphForTagSet(*proto, tag_set, TagSplit::kTrimmed);
  if (!mg.ok()) return Fail(mg.status());
  auto sig_it = (*mg)->signature_def().find(signature_def);
  if (sig_it == (*mg)->signature_def().end()) {
    std::vector<std::string> keys;
    for (const auto& [k, _] : (*mg)->signature_def()) keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    std::string list;
    for (const auto& k : keys) list += (list.empty() ? "" : ", ") + k;
    return Fail(InvalidArgument("Could not find signature \"" + signature_def + "\". Please choose from: " + list));
  }
  const tensorflow::SignatureDef& sig = sig_it->second;
  std::vector<std::string> input_keys;
  for (const auto& [k, _] : sig.inputs()) input_keys.push_back(k);
  std::sort(input_keys.begin(), input_keys.end());
  for (const std::string& key : feed.order) {
    if (sig.inputs().count(key)) continue;
    std::string list;
    for (const auto& k : input_keys) list += (list.empty() ? "\"" : "\", \"") + k;
    return Fail(InvalidArgument("\"" + key + "\" is not a valid input key. Please choose from " + list +
                                "\", or use --show option."));
  }
  std::vector<std::pair<std::string, Tensor>> feed_tensors;
  for (const std::string& key : feed.order) {
    const tensorflow::TensorInfo& info = sig.inputs().at(key);
    const auto dtype = static_cast<DataType>(info.dtype());
    StatusOr<Tensor> t = feed.exprs.count(key) ? PyValueToTensor(feed.exprs[key], dtype)
                                               : CastTensor(feed.tensors[key], dtype);
    if (!t.ok()) return Fail(t.status().WithContext("input '" + key + "'"));
    Status s = CheckFeedShape(*t, info, (*mg)->graph_def());
    if (!s.ok()) return Fail(s);
    feed_tensors.push_back({info.name(), *std::move(t)});
  }
  // Outputs are fetched sorted by key, as saved_model_cli does.
  std::vector<std::string> output_keys, fetch_names;
  for (const auto& [k, _] : sig.outputs()) output_keys.push_back(k);
  std::sort(output_keys.begin(), output_keys.end());
  for (const auto& k : output_keys) fetch_names.push_back(sig.outputs().at(k).name());

  auto bundle = LoadSavedModel(dir, SplitTagSet(tag_set, TagSplit::kTrimmed), load_options);
  if (!bundle.ok()) return Fail(bundle.status());
  auto out = (*bundle)->session().Run(feed_tensors, fetch_names);
  if (!out.ok()) return Fail(out.status());
  for (size_t i = 0; i < output_keys.size(); ++i) {
    PrintResult(output_keys[i], (*out)[i]);
    if (outdir.empty()) continue;
    Status s = SaveResult(outdir, output_keys[i], output_keys[i], (*out)[i], overwrite);
    if (!s.ok()) return Fail(s);
  }
  return 0;
}

}  // namespace savedmodel::cli
