// `savedmodel freeze DIR out.pb`: a frozen GraphDef for one signature.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "savedmodel/train/freeze.h"

namespace savedmodel::cli {

int FreezeMain(int argc, char** argv) {
  CLI::App app{"Write a frozen GraphDef: the signature's subgraph with variables as constants.",
               "savedmodel freeze"};
  std::string dir, out, tag_set = "serve", signature = "serving_default";
  app.add_option("dir", dir, "SavedModel directory")->required();
  app.add_option("out", out, "output GraphDef (.pb)")->required();
  app.add_option("--tag_set", tag_set, "comma-separated tags")->capture_default_str();
  app.add_option("--signature_def", signature, "signature to keep")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "savedmodel freeze: %s\n", s.ToString().c_str());
    return 1;
  };
  auto bundle = LoadSavedModel(dir, SplitTagSet(tag_set, TagSplit::kTrimmed));
  if (!bundle.ok()) return fail(bundle.status());
  auto frozen = train::FreezeSignature(**bundle, signature);
  if (!frozen.ok()) return fail(frozen.status());
  // Written beside the target and renamed, so a failure never leaves half a file.
  std::string tmp = out + ".tmp";
  Status s = Env::Default()->WriteStringToFile(tmp, frozen->SerializeAsString());
  if (s.ok()) s = Env::Default()->RenameFile(tmp, out);
  if (!s.ok()) return fail(s);
  std::printf("wrote %s: %d nodes for signature '%s'\n", out.c_str(), frozen->node_size(), signature.c_str());
  return 0;
}

}  // namespace savedmodel::cli
