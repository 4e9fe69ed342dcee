// `savedmodel freeze_model`: saved_model_cli freeze_model's flags and files.
// It writes, into the --output_prefix directory, original_graph.pb,
// prefrozen_graph.pb, frozen_graph.pb and config.pbtxt (a tf2xla Config in
// protobuf's text format), the inputs of tfcompile.
#include <cstdio>

#include <CLI/CLI.hpp>
#include <google/protobuf/text_format.h>

#include "commands.h"
#include "savedmodel/base/env.h"
#include "savedmodel/format/saved_model/saved_model_reader.h"
#include "savedmodel/train/freeze.h"

namespace savedmodel::cli {
namespace {

int Fail(const Status& s) {
  std::fprintf(stderr, "savedmodel freeze_model: %s\n", s.ToString().c_str());
  return 1;
}

// Written beside the target and renamed, so a failure never leaves half a file.
Status WriteAtomically(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  RETURN_IF_ERROR(Env::Default()->WriteStringToFile(tmp, data));
  return Env::Default()->RenameFile(tmp, path);
}

// --variables_to_feed as saved_model_cli reads it: '' feeds none, 'all' (any
// case) every resource variable (nullopt), otherwise comma-separated names,
// trimmed, of which at least one must be non-empty.
StatusOr<std::optional<std::vector<std::string>>> ParseVariablesToFeed(const std::string& flag) {
  if (flag.empty()) return std::optional<std::vector<std::string>>(std::vector<std::string>{});
  std::string lower = flag;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "all") return std::optional<std::vector<std::string>>();
  // Same splitting and trimming as a trimmed --tag_set.
  std::vector<std::string> names = SplitTagSet(flag, TagSplit::kTrimmed);
  if (names.empty()) return InvalidArgument("variables_to_feed must contain at least one non-empty item.");
  return std::optional<std::vector<std::string>>(std::move(names));
}

}  // namespace

int FreezeModelMain(int argc, char** argv) {
  CLI::App app{"Usage example:\n"
               "To freeze a SavedModel in preparation for tfcompile:\n"
               "$savedmodel freeze_model \\\n"
               "   --dir /tmp/saved_model \\\n"
               "   --tag_set serve \\\n"
               "   --output_prefix /tmp/saved_model_xla_aot\n\n"
               "writes /tmp/saved_model_xla_aot/frozen_graph.pb (the signature's graph, variables as\n"
               "constants, Placeholder inputs as zeros of their shape, which must be fully defined) and\n"
               "/tmp/saved_model_xla_aot/config.pbtxt (a tf2xla Config naming the feeds, fetches and fed\n"
               "variables), with original_graph.pb and prefrozen_graph.pb beside them.\n"
               "To keep two resource variables as inputs and freeze from another checkpoint:\n"
               "$savedmodel freeze_model --dir /tmp/saved_model --tag_set serve \\\n"
               "   --output_prefix /tmp/out --variables_to_feed dense/kernel,dense/bias \\\n"
               "   --checkpoint_path /tmp/train/ckpt-100",
               "savedmodel freeze_model"};
  std::string dir, tag_set, output_prefix, signature_key = "serving_default", variables_to_feed, checkpoint_path;
  app.add_option("--dir", dir, "Directory containing the SavedModel.")->required();
  app.add_option("--tag_set", tag_set,
                 "Comma-separated set of tags that identify variant graphs in the SavedModel.")
      ->required();
  app.add_option("--output_prefix", output_prefix,
                 "Output directory for frozen_graph.pb, config.pbtxt, original_graph.pb and "
                 "prefrozen_graph.pb (created if missing).")
      ->required();
  app.add_option("--signature_def_key", signature_key, "SavedModel SignatureDef key to use.")
      ->capture_default_str();
  app.add_option("--variables_to_feed", variables_to_feed,
                 "Names of the variables that will be fed into the SavedModel graph. Pass in '' to feed no "
                 "variables, 'all' to feed all variables, or a comma-separated list of variable names. "
                 "Variables not fed will be frozen.");
  app.add_option("--checkpoint_path", checkpoint_path,
                 "Custom checkpoint to use. Uses SavedModel variables by default.");
  // A flag given twice takes its last value, as absl's flags do.
  for (CLI::Option* opt : app.get_options()) opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  train::FreezeModelOptions options;
  options.signature_key = signature_key;
  options.checkpoint_path = checkpoint_path.empty() ? JoinPath(dir, "variables", "variables") : checkpoint_path;
  auto to_feed = ParseVariablesToFeed(variables_to_feed);
  if (!to_feed.ok()) return Fail(to_feed.status());
  options.variables_to_feed = *to_feed;

  auto proto = ReadSavedModelProto(Env::Default(), dir);
  if (!proto.ok()) return Fail(proto.status());
  auto mg = FindMetaGraphForTagSet(*proto, tag_set, TagSplit::kTrimmed);
  if (!mg.ok()) return Fail(mg.status());
  auto frozen = train::FreezeModel(**mg, options);
  if (!frozen.ok()) return Fail(frozen.status());
  for (const auto& key : frozen->pruned_inputs) {
    std::fprintf(stderr,
                 "WARNING: Signature input key '%s' has been pruned while freezing the graph. "
                 "Removing it from the compiled signatures.\n",
                 key.c_str());
  }

  std::string config_text;
  if (!google::protobuf::TextFormat::PrintToString(frozen->config, &config_text)) {
    return Fail(Internal("cannot print the tf2xla Config in text format"));
  }
  Status s = Env::Default()->CreateDirs(output_prefix);
  const std::pair<const char*, std::string> files[] = {
      {"original_graph.pb", frozen->original_graph.SerializeAsString()},
      {"prefrozen_graph.pb", frozen->prefrozen_graph.SerializeAsString()},
      {"frozen_graph.pb", frozen->frozen_graph.SerializeAsString()},
      {"config.pbtxt", config_text},
  };
  for (const auto& [name, data] : files) {
    if (s.ok()) s = WriteAtomically(JoinPath(output_prefix, name), data);
  }
  if (!s.ok()) return Fail(s);
  std::fprintf(stderr, "Wrote %s and %s (%d nodes) for signature '%s'\n",
               JoinPath(output_prefix, "frozen_graph.pb").c_str(), JoinPath(output_prefix, "config.pbtxt").c_str(),
               frozen->frozen_graph.node_size(), signature_key.c_str());
  return 0;
}

}  // namespace savedmodel::cli
