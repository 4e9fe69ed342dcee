// savedmodel scan: saved_model_cli's scan (denylisted ops per MetaGraphDef,
// same flags and first line), followed by what a user deciding whether a
// model will run here needs: every op the graph and its function library use,
// how many nodes use each, and which have no kernel in this build.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "savedmodel/format/saved_model/saved_model_reader.h"
#include "savedmodel/graph/function_inline.h"
#include "savedmodel/kernels/kernel.h"

namespace savedmodel::cli {
namespace {

// saved_model_cli's default: ops that touch files or print.
const std::vector<std::string> kDefaultDenylist = {"PrintV2", "ReadFile", "WriteFile"};

int Fail(const Status& s) {
  std::fprintf(stderr, "savedmodel scan: %s\n", s.ToString().c_str());
  return 1;
}

// Call ops are replaced by their functions' bodies at load, so they run.
bool Runs(const std::string& op) {
  const auto& inlined = InlinedCallOps();
  return KernelRegistry::Global().Has(op) || std::find(inlined.begin(), inlined.end(), op) != inlined.end();
}

// Op -> nodes using it, over the graph and every function of its library
// (functions reached only through If/While/Case attrs included); calls of
// library functions by name are not ops.
std::map<std::string, int> OpUsage(const tensorflow::GraphDef& graph) {
  std::set<std::string> functions;
  for (const auto& f : graph.library().function()) functions.insert(f.signature().name());
  std::map<std::string, int> usage;
  auto count = [&](const tensorflow::NodeDef& n) {
    if (!functions.count(n.op())) ++usage[n.op()];
  };
  for (const auto& n : graph.node()) count(n);
  for (const auto& f : graph.library().function()) {
    for (const auto& n : f.node_def()) count(n);
  }
  return usage;
}

void Scan(const tensorflow::MetaGraphDef& mg, const std::set<std::string>& denylist) {
  const std::vector<std::string> tags(mg.meta_info_def().tags().begin(), mg.meta_info_def().tags().end());
  const std::string tag_repr = PyStrings(tags, "[", "]", "[]");
  const std::map<std::string, int> usage = OpUsage(mg.graph_def());
  std::vector<std::string> found;
  for (const auto& op : denylist) {
    if (usage.count(op)) found.push_back(op);
  }
  // saved_model_cli's wording, kept even for a custom denylist.
  if (!found.empty()) {
    std::printf("MetaGraph with tag set %s contains the following denylisted ops: %s\n", tag_repr.c_str(),
                PyStrings(found, "{", "}", "set()").c_str());
  } else {
    std::printf("MetaGraph with tag set %s does not contain the default denylisted ops: %s\n",
                tag_repr.c_str(),
                PyStrings({denylist.begin(), denylist.end()}, "{", "}", "set()").c_str());
  }
  int without_kernel = 0;
  for (const auto& [op, _] : usage) without_kernel += Runs(op) ? 0 : 1;
  std::printf("Ops used: %zu, %d without a kernel in savedmodel\n", usage.size(), without_kernel);
  for (const auto& [op, nodes] : usage) {
    std::printf("  %-32s %6d node%s%s%s\n", op.c_str(), nodes, nodes == 1 ? " " : "s",
                Runs(op) ? "" : "  no kernel", denylist.count(op) ? "  denylisted" : "");
  }
}

}  // namespace

int ScanMain(int argc, char** argv) {
  CLI::App app{"Scan a SavedModel for denylisted ops and for ops without a kernel here.", "savedmodel scan"};
  std::string dir, tag_set, op_denylist;
  app.add_option("dir", dir, "SavedModel directory (or use --dir)");
  app.add_option("--dir", dir, "SavedModel directory");
  auto* tag_opt = app.add_option("--tag_set", tag_set, "comma-separated tags selecting one MetaGraphDef");
  auto* deny_opt = app.add_option("--op_denylist", op_denylist,
                                  "comma-separated ops to look for (default: PrintV2,ReadFile,WriteFile)");
  app.footer(
      "Usage examples:\n"
      "To scan for default denylisted ops in SavedModel:\n"
      "$savedmodel scan --dir /tmp/saved_model\n"
      "To scan for a specific set of ops in SavedModel:\n"
      "$savedmodel scan --dir /tmp/saved_model --op_denylist OpName,OpName,OpName\n"
      "To scan a specific MetaGraph, pass in --tag_set\n"
      "Every MetaGraph's ops follow, each marked when this build has no kernel for it.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (dir.empty()) {
    std::fprintf(stderr, "savedmodel scan: a SavedModel directory is required\n%s", app.help().c_str());
    return 2;
  }
  std::set<std::string> denylist(kDefaultDenylist.begin(), kDefaultDenylist.end());
  if (deny_opt->count() > 0) {
    // saved_model_cli drops empty items, so '' is the empty denylist.
    const std::vector<std::string> ops = SplitTagSet(op_denylist, TagSplit::kTrimmed);
    denylist = std::set<std::string>(ops.begin(), ops.end());
  }
  auto data = ReadSavedModelProto(Env::Default(), dir);
  if (!data.ok()) return Fail(data.status());
  if (tag_opt->count() > 0) {
    auto mg = FindMetaGraphForTagSet(*data, tag_set, TagSplit::kTrimmed);
    if (!mg.ok()) return Fail(mg.status());
    Scan(**mg, denylist);
    return 0;
  }
  for (const auto& mg : data->meta_graphs()) Scan(mg, denylist);
  return 0;
}

}  // namespace savedmodel::cli
