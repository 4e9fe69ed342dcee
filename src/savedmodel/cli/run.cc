// `savedmodel run`: saved_model_cli run, same input flags and conventions, plus
// --feed/--fetch to run by tensor names.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "py_literal.h"
#include "savedmodel/core/npy.h"
#include "savedmodel/core/tensor_cast.h"
#include "savedmodel/exec/saved_model_bundle.h"

namespace savedmodel::cli {
namespace {

// Splits "a=1;b=2" on ';' and each part on the first '='.
StatusOr<std::vector<std::pair<std::string, std::string>>> SplitAssignments(
    const std::string& flag, const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(start, end - start);
    start = end + 1;
    if (part.find_first_not_of(' ') == std::string::npos) continue;
    size_t eq = part.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument(flag + ": expected KEY=VALUE, got '" + part + "'");
    }
    out.push_back({part.substr(0, eq), part.substr(eq + 1)});
  }
  return out;
}

// "file.npy", "file.npz" (its only array) or "file.npz[key]".
StatusOr<Tensor> LoadInputFile(const std::string& spec) {
  std::string path = spec, key;
  if (!spec.empty() && spec.back() == ']') {
    size_t open = spec.rfind('[');
    if (open == std::string::npos) return InvalidArgument("malformed input file spec '" + spec + "'");
    path = spec.substr(0, open);
    key = spec.substr(open + 1, spec.size() - open - 2);
  }
  if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".npz") == 0) {
    ASSIGN_OR_RETURN(auto arrays, ReadNpzFile(Env::Default(), path));
    if (key.empty()) {
      if (arrays.size() != 1) {
        return InvalidArgument(path + " holds " + std::to_string(arrays.size()) +
                               " arrays; pick one with " + path + "[name]");
      }
      return arrays.begin()->second;
    }
    auto it = arrays.find(key);
    if (it == arrays.end()) return NotFound(path + " has no array named '" + key + "'");
    return it->second;
  }
  if (!key.empty()) return InvalidArgument("'[" + key + "]' applies only to .npz files");
  return ReadNpyFile(Env::Default(), path);
}

int Fail(const Status& s) {
  std::fprintf(stderr, "savedmodel run: %s\n", s.ToString().c_str());
  return 1;
}

void PrintResult(const std::string& key, const Tensor& t) {
  std::printf("Result for output key %s:\n", key.c_str());
  std::printf("dtype: %s, shape: %s\n", DataTypeString(t.dtype()).c_str(),
              t.shape().DebugString().c_str());
  std::printf("%s\n", t.ValuesString().c_str());
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
  const bool by_name = !fetches.empty();
  if (by_name == !signature_def.empty()) {
    std::fprintf(stderr, "savedmodel run: give either --signature_def or --fetch\n");
    return 2;
  }

  auto bundle = LoadSavedModel(dir, ParseTagSet(tag_set));
  if (!bundle.ok()) return Fail(bundle.status());

  std::map<std::string, Tensor> results;
  std::vector<std::string> order;
  if (by_name) {
    std::vector<std::pair<std::string, Tensor>> feed_tensors;
    for (const std::string& f : feeds) {
      size_t eq = f.find('=');
      if (eq == std::string::npos) return Fail(InvalidArgument("--feed expects NAME=FILE, got '" + f + "'"));
      auto t = LoadInputFile(f.substr(eq + 1));
      if (!t.ok()) return Fail(t.status());
      feed_tensors.push_back({f.substr(0, eq), *t});
    }
    auto out = (*bundle)->session().Run(feed_tensors, fetches);
    if (!out.ok()) return Fail(out.status());
    for (size_t i = 0; i < fetches.size(); ++i) {
      results[fetches[i]] = (*out)[i];
      order.push_back(fetches[i]);
    }
  } else {
    auto sig = FindSignatureDef((*bundle)->meta_graph_def(), signature_def);
    if (!sig.ok()) return Fail(sig.status());
    std::map<std::string, Tensor> input_tensors;
    auto expected_dtype = [&](const std::string& key) -> StatusOr<DataType> {
      auto it = (*sig)->inputs().find(key);
      if (it == (*sig)->inputs().end()) {
        return InvalidArgument("signature '" + signature_def + "' has no input '" + key + "'");
      }
      return static_cast<DataType>(it->second.dtype());
    };
    auto add = [&](const std::string& key, StatusOr<Tensor> t) -> Status {
      if (!t.ok()) return t.status().WithContext("input '" + key + "'");
      ASSIGN_OR_RETURN(DataType dt, expected_dtype(key));
      // Like feeding numpy arrays from Python: numbers convert to the declared dtype.
      ASSIGN_OR_RETURN(Tensor cast, CastTensor(*t, dt));
      if (input_tensors.count(key)) return InvalidArgument("input '" + key + "' given twice");
      input_tensors[key] = cast;
      return Status::OK();
    };
    auto files = SplitAssignments("--inputs", inputs);
    auto exprs = SplitAssignments("--input_exprs", input_exprs);
    auto examples = SplitAssignments("--input_examples", input_examples);
    for (const auto* r : {&files, &exprs, &examples}) {
      if (!r->ok()) return Fail(r->status());
    }
    for (const auto& [k, v] : *files) {
      Status s = add(k, LoadInputFile(v));
      if (!s.ok()) return Fail(s);
    }
    for (const auto& [k, v] : *exprs) {
      auto dt = expected_dtype(k);
      if (!dt.ok()) return Fail(dt.status());
      auto parsed = ParsePyLiteral(v);
      Status s = parsed.ok() ? add(k, PyValueToTensor(*parsed, *dt)) : parsed.status();
      if (!s.ok()) return Fail(s.WithContext("--input_exprs"));
    }
    for (const auto& [k, v] : *examples) {
      auto parsed = ParsePyLiteral(v);
      Status s = parsed.ok() ? add(k, PyValueToExamples(*parsed)) : parsed.status();
      if (!s.ok()) return Fail(s.WithContext("--input_examples"));
    }
    auto out = (*bundle)->Predict(signature_def, input_tensors);
    if (!out.ok()) return Fail(out.status());
    results = std::move(out).value();
    for (const auto& [k, _] : results) order.push_back(k);
  }

  for (const std::string& key : order) PrintResult(key, results[key]);
  if (!outdir.empty()) {
    Env* env = Env::Default();
    Status s = env->CreateDirs(outdir);
    if (!s.ok()) return Fail(s);
    for (const std::string& key : order) {
      std::string name = key;
      for (char& c : name) {
        if (c == '/' || c == ':') c = '_';
      }
      std::string path = JoinPath(outdir, name + ".npy");
      if (env->FileExists(path) && !overwrite) {
        return Fail(AlreadyExists("output file " + path + " already exists; pass --overwrite"));
      }
      s = WriteNpyFile(env, path, results[key]);
      if (!s.ok()) return Fail(s);
      std::printf("Output %s is saved to %s\n", key.c_str(), path.c_str());
    }
  }
  return 0;
}

}  // namespace savedmodel::cli
