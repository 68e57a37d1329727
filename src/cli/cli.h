#pragma once
// ipdx::cli: the command line. One file per command group; Main parses arguments, runs the
// command and maps Status to an exit code (0 ok, 2 usage or I/O error, 3 some documents
// rejected, 1 other failures).
namespace ipdx::cli {

int Main(int argc, char** argv);

}  // namespace ipdx::cli
