// savedmodel: command-line tool; each subcommand lives in its own file.
#include <cstdio>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  std::fprintf(stderr, "usage: savedmodel <show|variables> ...\n");
  return 2;
}
