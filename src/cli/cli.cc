#include "cli/cli.h"

#include <fmt/format.h>

#include <exception>
#include <iostream>

#include "cli/context.h"
#include "cli/exit_codes.h"

namespace ipdx::cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kIOError:
    case StatusCode::kPermissionDenied:
      return kExitUsage;
    case StatusCode::kCorruption:
    case StatusCode::kUnavailable:
    case StatusCode::kInternal:
      return kExitFailure;
  }
  return kExitFailure;
}

std::unique_ptr<service::Node> Context::OpenNode() {
  auto node = service::Node::Open(home);
  if (!node.ok()) {
    Fail(node.status());
    return nullptr;
  }
  return std::move(node).value();
}

void Context::Fail(const Status& status) {
  fmt::print(stderr, "ipdx: error: {}\n", status.message());
  exit_code = ExitCodeFor(status);
}

namespace {

int Run(int argc, char** argv) {
  Context ctx;
  CLI::App app{
      "ipdx: an IP data exchange node. Ingests WIPO ST.36/ST.96 patent data, validates it "
      "against WIPO Standards and stores every version.\n\nExit codes: 0 ok, 1 failure, "
      "2 usage or I/O error, 3 some documents rejected.",
      "ipdx"};
  app.set_version_flag("--version", "ipdx 0.1.0");
  app.require_subcommand(1);
  app.add_option("--home", ctx.home, "Node folder (keys, store, index)")
      ->envname("IPDX_HOME")
      ->capture_default_str();
  RegisterNodeCommands(app, ctx);
  RegisterIngestCommands(app, ctx);
  RegisterRecordCommands(app, ctx);
  RegisterLedgerCommands(app, ctx);
  RegisterSearchCommands(app, ctx);
  RegisterServeCommands(app, ctx);
  RegisterTokenCommands(app, ctx);
  RegisterClassifyCommands(app, ctx);
  RegisterExchangeCommands(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  return ctx.exit_code;
}

}  // namespace

int Main(int argc, char** argv) {
  // The one last-resort catch of the command line: nothing below should throw, but if a library
  // does, report it instead of aborting.
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "ipdx: internal error: {}\n", e.what());
    return kExitFailure;
  }
}

}  // namespace ipdx::cli
