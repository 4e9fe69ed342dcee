// Subcommands of the `savedmodel` tool. Each takes the arguments after its
// name (argv[0] is the subcommand) and returns the process exit code:
// 0 success, 1 failure (error printed to stderr), 2 usage error.
#pragma once

namespace savedmodel::cli {

int ShowMain(int argc, char** argv);
int VariablesMain(int argc, char** argv);
int RunMain(int argc, char** argv);
int TrainMain(int argc, char** argv);
int FreezeMain(int argc, char** argv);

}  // namespace savedmodel::cli
