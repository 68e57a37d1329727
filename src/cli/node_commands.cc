// `ipdx init`: create a node folder.
#include <fmt/format.h>

#include "cli/context.h"
#include "model/model.h"

namespace ipdx::cli {

void RegisterNodeCommands(CLI::App& app, Context& ctx) {
  auto* init = app.add_subcommand("init", "Create a node in --home for an office");
  auto office = std::make_shared<std::string>();
  init->add_option("--office", *office, "ST.3 code of the office running this node (e.g. EP)")
      ->required();
  init->callback([&ctx, office] {
    std::string code = model::NormalizeOfficeCode(*office);
    Status st = service::Node::Init(ctx.home, service::NodeConfig{code});
    if (!st.ok()) return ctx.Fail(st);
    fmt::print("Created node for office {} ({}) in {}\n", code, model::St3Name(code), ctx.home);
  });
}

}  // namespace ipdx::cli
