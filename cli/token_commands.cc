#include "cli/token_commands.h"

#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/flag_parsing.h"
#include "cli/output.h"
#include "nlohmann/json.hpp"

namespace spanvault::cli {
namespace {

namespace pb = ::spanvault::admin::v1;
using Stub = pb::Admin::Stub;

struct TokenFlags {
  std::string name;
  std::vector<std::string> roles;
  std::string expires;
  std::string login_expires = "12h";
  std::string id;
};

nlohmann::json ToJson(const pb::ApiToken& token) {
  return {{"id", token.id()},
          {"name", token.name()},
          {"owner", token.owner()},
          {"roles", std::vector<std::string>(token.roles().begin(), token.roles().end())},
          {"created_at", FormatUnixNanos(token.created_at_unix_nano())},
          {"expires_at", FormatUnixNanos(token.expires_at_unix_nano())},
          {"revoked", token.revoked()}};
}

absl::StatusOr<pb::CreateTokenResponse> Create(CommandContext& context, const TokenFlags& flags) {
  auto seconds = ExpirySeconds("--expires", flags.expires);
  if (!seconds.ok()) return seconds.status();
  auto client = context.client();
  if (!client.ok()) return client.status();
  pb::CreateTokenRequest request;
  request.set_name(flags.name);
  for (const auto& role : flags.roles) request.add_roles(role);
  request.set_expires_in_seconds(*seconds);
  return (*client)->Unary(&Stub::CreateToken, request);
}

int CreateToken(CommandContext& context, const TokenFlags& flags) {
  auto created = Create(context, flags);
  if (!created.ok()) return Fail(created.status());
  if (context.json) {
    nlohmann::json out = ToJson(created->token());
    out["token"] = created->secret_token();
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << "token " << created->token().id() << " (" << flags.name << ") created; it is "
            << "shown only now:\n"
            << created->secret_token() << "\n";
  return 0;
}

int ListTokens(CommandContext& context) {
  auto client = context.client();
  if (!client.ok()) return Fail(client.status());
  auto tokens = (*client)->Unary(&Stub::ListTokens, pb::ListTokensRequest());
  if (!tokens.ok()) return Fail(tokens.status());
  if (context.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& token : tokens->tokens()) out.push_back(ToJson(token));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : tokens->tokens()) {
    rows.push_back({t.id(), t.name(), t.owner(), absl::StrJoin(t.roles(), ","),
                    FormatUnixNanos(t.expires_at_unix_nano()), t.revoked() ? "revoked" : "active"});
  }
  PrintTable(std::cout, {"ID", "NAME", "OWNER", "ROLES", "EXPIRES", "STATE"}, rows);
  return 0;
}

int RevokeToken(CommandContext& context, const TokenFlags& flags) {
  auto client = context.client();
  if (!client.ok()) return Fail(client.status());
  pb::RevokeTokenRequest request;
  request.set_id(flags.id);
  auto revoked = (*client)->Unary(&Stub::RevokeToken, request);
  if (!revoked.ok()) return Fail(revoked.status());
  std::cout << "token " << flags.id << " revoked\n";
  return 0;
}

int Login(CommandContext& context, TokenFlags flags) {
  if (context.credentials.user.empty()) {
    return Fail(absl::InvalidArgumentError(
        "login needs --user NAME (password from SPANVAULT_PASSWORD or --password-stdin)"));
  }
  if (context.credentials_path.empty()) {
    return Fail(absl::FailedPreconditionError("login: neither HOME nor XDG_CONFIG_HOME is set"));
  }
  flags.name = "spanvaultctl-login";
  flags.expires = flags.login_expires;
  flags.roles.clear();  // a token with the user's own roles
  auto created = Create(context, flags);
  if (!created.ok()) return Fail(created.status());
  absl::Status saved =
      SaveCredentials(context.credentials_path, {context.server, created->secret_token()});
  if (!saved.ok()) return Fail(saved);
  std::cout << "logged in to " << context.server << " as " << context.credentials.user << " until "
            << FormatUnixNanos(created->token().expires_at_unix_nano()) << "; token stored in "
            << context.credentials_path << "\n";
  return 0;
}

int Status(CommandContext& context) {
  auto client = context.client();
  if (!client.ok()) return Fail(client.status());
  auto me = (*client)->Unary(&Stub::WhoAmI, pb::WhoAmIRequest());
  if (!me.ok()) return Fail(me.status());
  if (context.json) {
    std::cout << nlohmann::json{{"server", context.server},
                                {"principal", me->principal()},
                                {"roles",
                                 std::vector<std::string>(me->roles().begin(), me->roles().end())},
                                {"method", me->method()},
                                {"actions", std::vector<std::string>(me->actions().begin(),
                                                                     me->actions().end())},
                                {"uptime_seconds", me->uptime_seconds()}}
                     .dump(2)
              << "\n";
    return 0;
  }
  PrintTable(std::cout, {"SERVER", context.server},
             {{"PRINCIPAL", me->principal()},
              {"ROLES", absl::StrJoin(me->roles(), ",")},
              {"AUTHENTICATED BY", me->method()},
              {"ACTIONS", absl::StrJoin(me->actions(), ",")},
              {"UPTIME", absl::FormatDuration(absl::Seconds(me->uptime_seconds()))}});
  return 0;
}

}  // namespace

void AddTokenCommands(CLI::App& app, CommandContext& context) {
  auto flags = std::make_shared<TokenFlags>();
  auto* tokens = app.add_subcommand("tokens", "API tokens (needs admin:tokens)");
  tokens->require_subcommand(1);
  auto* create = tokens->add_subcommand("create", "create a token; it is shown only once");
  create->add_option("--name", flags->name, "what the token is for")->required();
  create->add_option("--role", flags->roles, "a role it carries (repeatable)")->required();
  create->add_option("--expires", flags->expires, "lifetime, e.g. 720h (default: never)");
  create->callback([&context, flags] {
    context.run = [&context, flags] { return CreateToken(context, *flags); };
  });
  tokens->add_subcommand("list", "every token (never their secrets)")->callback([&context] {
    context.run = [&context] { return ListTokens(context); };
  });
  auto* revoke = tokens->add_subcommand("revoke", "revoke a token at once");
  revoke->add_option("ID", flags->id, "the token's id (see tokens list)")->required();
  revoke->callback([&context, flags] {
    context.run = [&context, flags] { return RevokeToken(context, *flags); };
  });
  auto* login = app.add_subcommand(
      "login", "make a token for --user and store it for later commands (~/.config/spanvault)");
  login->add_option("--expires", flags->login_expires, "the token's lifetime")
      ->capture_default_str();
  login->callback(
      [&context, flags] { context.run = [&context, flags] { return Login(context, *flags); }; });
  app.add_subcommand("status", "who you are to the server: principal, roles, actions")
      ->callback([&context] { context.run = [&context] { return Status(context); }; });
}

}  // namespace spanvault::cli
