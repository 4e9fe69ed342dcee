// Subcommands of the `savedmodel` tool. Each takes the arguments after its
// name (argv[0] is the subcommand) and returns the process exit code:
// 0 success, 1 failure (error printed to stderr), 2 usage error.
#pragma once

#include <string>

#include "savedmodel/base/status.h"

namespace tensorflow {
class MetaGraphDef;
class SavedModel;
}  // namespace tensorflow

namespace savedmodel::cli {

// The MetaGraphDef --tag_set names (comma-separated; empty tags dropped, so ''
// is the empty set), or saved_model_cli's error listing the tag sets there are.
StatusOr<const tensorflow::MetaGraphDef*> FindMetaGraphForTagSet(const tensorflow::SavedModel& sm,
                                                                 const std::string& tag_set);

int ShowMain(int argc, char** argv);
int VariablesMain(int argc, char** argv);
int RunMain(int argc, char** argv);
int TrainMain(int argc, char** argv);
int FreezeMain(int argc, char** argv);

}  // namespace savedmodel::cli
