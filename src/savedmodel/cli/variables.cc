// savedmodel variables PATH [--values NAME] [--all_tensors]
//
// Lists a checkpoint's tensors the way tf.train.list_variables does, one
// "name (dtype) [shape]" line each, or prints values like inspect_checkpoint.
// PATH is a SavedModel directory (its variables/variables bundle is used) or a
// checkpoint prefix (with or without ".index").
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "commands.h"
#include "savedmodel/base/env.h"
#include "savedmodel/format/bundle/bundle_reader.h"

namespace savedmodel::cli {
namespace {

StatusOr<std::string> ResolvePrefix(Env* env, const std::string& path) {
  if (env->IsDirectory(path)) {
    const std::string prefix = JoinPath(path, "variables", "variables");
    if (env->FileExists(prefix + ".index")) return prefix;
    return NotFound(path + " is a directory but holds no variables/variables.index");
  }
  std::string prefix = path;
  constexpr std::string_view kIndex = ".index";
  if (prefix.size() > kIndex.size() &&
      prefix.compare(prefix.size() - kIndex.size(), kIndex.size(), kIndex) == 0) {
    prefix.resize(prefix.size() - kIndex.size());
  }
  if (env->FileExists(prefix + ".index")) return prefix;
  return NotFound("no SavedModel or checkpoint at " + path + " (looked for " + prefix +
                  ".index)");
}

std::string Describe(const bundle::TensorInfo& info) {
  return "(" + DataTypeString(info.dtype) + ") " + info.shape.DebugString();
}

int Fail(const Status& s) {
  std::fprintf(stderr, "savedmodel variables: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int VariablesMain(int argc, char** argv) {
  CLI::App app{"List or print the tensors of a SavedModel's variables or a checkpoint",
               "savedmodel variables"};
  std::string path, values_of;
  bool all_tensors = false;
  app.add_option("path", path, "SavedModel directory or checkpoint prefix")->required();
  app.add_option("--values", values_of, "Print the values of this tensor");
  app.add_flag("--all_tensors", all_tensors, "Print every tensor's name and values");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  Env* env = Env::Default();
  auto prefix = ResolvePrefix(env, path);
  if (!prefix.ok()) return Fail(prefix.status());
  auto reader = bundle::BundleReader::Open(env, *prefix);
  if (!reader.ok()) return Fail(reader.status());
  const auto& r = *reader;

  if (!values_of.empty()) {
    auto t = r->Read(values_of);
    if (!t.ok()) return Fail(t.status());
    std::printf("%s\n", t->ValuesString().c_str());
    return 0;
  }
  for (const std::string& key : r->Keys()) {
    if (all_tensors) {
      auto t = r->Read(key);
      if (!t.ok()) return Fail(t.status());
      std::printf("tensor_name: %s\n%s\n", key.c_str(), t->ValuesString().c_str());
      continue;
    }
    auto info = r->Info(key);
    if (!info.ok()) return Fail(info.status());
    std::printf("%s %s\n", key.c_str(), Describe(*info).c_str());
  }
  return 0;
}

}  // namespace savedmodel::cli
