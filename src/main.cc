// ipdx: one binary, CLI and server. main only hands off to the CLI.
#include "cli/cli.h"

int main(int argc, char** argv) { return ipdx::cli::Main(argc, argv); }
