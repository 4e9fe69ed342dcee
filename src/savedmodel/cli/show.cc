#include "commands.h"

#include <cstdio>

namespace savedmodel::cli {
int ShowMain(int argc, char** argv) {
  std::fprintf(stderr, "savedmodel show: not built yet\n");
  return 1;
}
}  // namespace savedmodel::cli
