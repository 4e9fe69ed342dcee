#include "commands.h"

#include <cstdio>

namespace savedmodel::cli {
int VariablesMain(int argc, char** argv) {
  std::fprintf(stderr, "savedmodel variables: not built yet\n");
  return 1;
}
}  // namespace savedmodel::cli
