// savedmodel: command-line tool. A thin shell: each subcommand parses flags and
// calls the library.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "commands.h"
#include "savedmodel/version.h"

namespace {

struct Subcommand {
  const char* name;
  int (*main)(int, char**);
  const char* help;
};

constexpr Subcommand kSubcommands[] = {
    {"show", savedmodel::cli::ShowMain,
     "Show tag sets, signatures and metadata of a SavedModel (like saved_model_cli show)"},
    {"variables", savedmodel::cli::VariablesMain,
     "List or print the tensors of a SavedModel's variables or a checkpoint"},
    {"run", savedmodel::cli::RunMain,
     "Run a signature or tensors by name on inputs (like saved_model_cli run)"},
    {"train", savedmodel::cli::TrainMain,
     "Train a model (mnist-softmax: the TensorFlow tutorial) and save it as a SavedModel"},
    {"freeze", savedmodel::cli::FreezeMain,
     "Write a frozen GraphDef of one signature (variables folded into constants)"},
    {"scan", savedmodel::cli::ScanMain,
     "List the ops a SavedModel uses, which have kernels here, and denylisted ones (like saved_model_cli scan)"},
    {"serve", savedmodel::cli::ServeMain,
     "Serve SavedModels over TF Serving's REST and gRPC APIs (like tensorflow_model_server)"},
    {"freeze_model", savedmodel::cli::FreezeModelMain,
     "Freeze a signature for tfcompile: frozen_graph.pb and config.pbtxt (like saved_model_cli freeze_model)"},
};

void PrintUsage(FILE* out) {
  std::fprintf(out, "usage: savedmodel [-h] [-v] <command> [args]\n\n"
                    "savedmodel: a command-line interface for SavedModels, with saved_model_cli's\n"
                    "flags and output for show, run and freeze_model.\n\ncommands:\n");
  for (const auto& c : kSubcommands) std::fprintf(out, "  %-12s %s\n", c.name, c.help);
  std::fprintf(out, "\noptions:\n  -h, --help     show this help and exit\n"
                    "  -v, --version  show the version and exit\n"
                    "\nRun 'savedmodel <command> --help' for a command's flags and examples.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return 2;
  }
  std::string_view cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    PrintUsage(stdout);
    return 0;
  }
  if (cmd == "-v" || cmd == "--version") {
    std::printf("savedmodel %s\n", SAVEDMODEL_VERSION);  // project(VERSION) in CMakeLists.txt
    return 0;
  }
  for (const auto& c : kSubcommands) {
    if (cmd == c.name) return c.main(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "savedmodel: unknown command '%s'\n\n", argv[1]);
  PrintUsage(stderr);
  return 2;
}
