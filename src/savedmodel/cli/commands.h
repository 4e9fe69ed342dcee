// Subcommands of the `savedmodel` tool. Each takes the arguments after its
// name (argv[0] is the subcommand) and returns the process exit code:
// 0 success, 1 failure (error printed to stderr), 2 usage error.
#pragma once

#include <string>
#include <vector>

#include "savedmodel/base/status.h"

namespace tensorflow {
class MetaGraphDef;
class SavedModel;
}  // namespace tensorflow

namespace savedmodel::cli {

// How saved_model_cli splits --tag_set at commas. kTrimmed (run,
// freeze_model, show --signature_def and --list_ops) strips whitespace around
// each tag, as Python's str.strip does, so "serve, gpu" names {serve, gpu};
// kRaw (show --tag_set alone, listing signature keys) keeps it, so there the
// same text names {serve, " gpu"}. Both drop empty tags, so '' is the empty
// set (saved_model_cli's kTrimmed refuses that; ours selects a MetaGraphDef
// saved without tags).
enum class TagSplit { kTrimmed, kRaw };
std::vector<std::string> SplitTagSet(const std::string& tag_set, TagSplit split);

// The MetaGraphDef --tag_set names, or saved_model_cli's error listing the
// tag sets there are.
StatusOr<const tensorflow::MetaGraphDef*> FindMetaGraphForTagSet(const tensorflow::SavedModel& sm,
                                                                 const std::string& tag_set, TagSplit split);

// Python's repr of a list or set of strings, as saved_model_cli prints them:
// ['a', 'b'] / {'a', 'b'} (sets sorted; Python's own order varies from run to
// run); `empty` when there are none ("[]", "set()").
std::string PyStrings(const std::vector<std::string>& items, const char* open, const char* close,
                      const char* empty);

int ShowMain(int argc, char** argv);
int VariablesMain(int argc, char** argv);
int RunMain(int argc, char** argv);
int TrainMain(int argc, char** argv);
int FreezeMain(int argc, char** argv);
int FreezeModelMain(int argc, char** argv);
int ScanMain(int argc, char** argv);
int ServeMain(int argc, char** argv);

}  // namespace savedmodel::cli
