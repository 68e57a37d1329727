#pragma once
// Shared state of one CLI invocation: global options and the exit code the chosen command sets.
// Internal to cli/.
#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "service/service.h"

namespace ipdx::cli {

struct Context {
  std::string home = "ipdx-data";
  int exit_code = 0;

  // Opens the node at `home`, printing a clear error and setting the exit code on failure.
  std::unique_ptr<service::Node> OpenNode();
  // Prints "ipdx: error: <status>" to stderr and sets the exit code from the status.
  void Fail(const Status& status);
};

// Each command group adds its subcommands to `app`; callbacks run after parsing.
void RegisterNodeCommands(CLI::App& app, Context& ctx);
void RegisterIngestCommands(CLI::App& app, Context& ctx);
void RegisterRecordCommands(CLI::App& app, Context& ctx);
void RegisterLedgerCommands(CLI::App& app, Context& ctx);
void RegisterSearchCommands(CLI::App& app, Context& ctx);
void RegisterServeCommands(CLI::App& app, Context& ctx);
void RegisterTokenCommands(CLI::App& app, Context& ctx);
void RegisterClassifyCommands(CLI::App& app, Context& ctx);
void RegisterExchangeCommands(CLI::App& app, Context& ctx);  // peer, bundle

}  // namespace ipdx::cli
