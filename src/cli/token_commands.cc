// `ipdx token create|revoke|list`: bearer tokens of the HTTP API. Tokens are shown once, at
// creation; the store keeps only their SHA-256.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "api/api.h"
#include "cli/context.h"

namespace ipdx::cli {
namespace {

std::unique_ptr<store::TokenStore> OpenTokens(Context& ctx) {
  // Open the node first: it checks that HOME is a node and migrates the store.
  if (ctx.OpenNode() == nullptr) return nullptr;
  auto tokens = store::TokenStore::OpenSqlite(ctx.home + "/ipdx.db");
  if (!tokens.ok()) {
    ctx.Fail(tokens.status());
    return nullptr;
  }
  return std::move(tokens).value();
}

}  // namespace

void RegisterTokenCommands(CLI::App& app, Context& ctx) {
  auto* token = app.add_subcommand("token", "Create, list and revoke HTTP API bearer tokens");
  token->require_subcommand(1);

  struct CreateArgs {
    std::vector<std::string> scopes;
    std::string name;
    bool json = false;
  };
  auto create_args = std::make_shared<CreateArgs>();
  auto* create = token->add_subcommand(
      "create", "Create a token and print it once (only its SHA-256 is stored)");
  create
      ->add_option("--scope", create_args->scopes,
                   "read, write or admin (repeatable; admin implies write, write implies read)")
      ->required();
  create->add_option("--name", create_args->name, "What the token is for (shown by list)");
  create->add_flag("--json", create_args->json, "JSON output: {tokenId, token, scopes}");
  create->callback([&ctx, create_args] {
    uint8_t scopes = 0;
    for (const std::string& s : create_args->scopes) {
      auto parsed = api::ParseScopes(s);
      if (!parsed.ok()) return ctx.Fail(parsed.status());
      scopes |= *parsed;
    }
    auto tokens = OpenTokens(ctx);
    if (!tokens) return;
    auto issued = api::CreateToken(*tokens, scopes, create_args->name);
    if (!issued.ok()) return ctx.Fail(issued.status());
    if (create_args->json) {
      nlohmann::ordered_json j = {{"tokenId", issued->token_id},
                                  {"token", issued->token},
                                  {"scopes", api::ScopesToString(issued->scopes)}};
      fmt::print("{}\n", j.dump(2));
      return;
    }
    fmt::print("{}\n", issued->token);
    fmt::print(stderr,
               "Created token {} with scopes {}. It is shown only now; store it safely.\n"
               "Use it as: Authorization: Bearer <token>\n",
               issued->token_id, api::ScopesToString(issued->scopes));
  });

  auto revoke_id = std::make_shared<std::string>();
  auto* revoke = token->add_subcommand("revoke", "Revoke a token (by its id, tok_...)");
  revoke->add_option("id", *revoke_id, "Token id as shown by create and list")->required();
  revoke->callback([&ctx, revoke_id] {
    auto tokens = OpenTokens(ctx);
    if (!tokens) return;
    Status st = tokens->RevokeToken(*revoke_id);
    if (!st.ok()) return ctx.Fail(st);
    fmt::print("Revoked {}\n", *revoke_id);
  });

  auto list_json = std::make_shared<bool>(false);
  auto* list = token->add_subcommand("list", "List tokens (ids, names, scopes; never secrets)");
  list->add_flag("--json", *list_json, "JSON output");
  list->callback([&ctx, list_json] {
    auto tokens = OpenTokens(ctx);
    if (!tokens) return;
    auto rows = tokens->ListTokens();
    if (!rows.ok()) return ctx.Fail(rows.status());
    if (*list_json) {
      nlohmann::ordered_json out = nlohmann::ordered_json::array();
      for (const auto& r : *rows) {
        out.push_back({{"tokenId", r.token_id},
                       {"name", r.name},
                       {"scopes", r.scopes},
                       {"createdAt", r.created_at},
                       {"revokedAt", r.revoked_at}});
      }
      fmt::print("{}\n", out.dump(2));
      return;
    }
    fmt::print("{:<20} {:<17} {:<21} {:<21} {}\n", "ID", "SCOPES", "CREATED", "REVOKED", "NAME");
    for (const auto& r : *rows) {
      fmt::print("{:<20} {:<17} {:<21} {:<21} {}\n", r.token_id, r.scopes, r.created_at,
                 r.revoked_at.empty() ? "-" : r.revoked_at, r.name);
    }
  });
}

}  // namespace ipdx::cli
