// spanvaultctl: the admin command line for spanvault.
//
//   spanvaultctl [--server HOST:PORT] [credentials] [-o json] COMMAND ...
//
//   sampling add|list|remove      runtime sampling rules
//   keys rotate|status|retire     encryption key rotation
//   users add|list|remove|passwd|grant|revoke
//   roles list|show|create|update|delete
//   tokens create|list|revoke
//   audit list|verify|export
//   orders show|list              order journeys (traces:read, not an admin action)
//   login, status
//
// Credentials (README "spanvaultctl"): --token or $SPANVAULT_TOKEN; or --user (or
// $SPANVAULT_USER) with the password from $SPANVAULT_PASSWORD or --password-stdin; else the
// token `spanvaultctl login` stored. Never a password in argv. The server defaults to
// $SPANVAULT_SERVER, then to the stored login's server, then to 127.0.0.1:14270.
// Over TLS: --tls-ca CA.pem (and --tls-cert/--tls-key for mutual TLS).

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "cli/admin_client.h"
#include "cli/audit_commands.h"
#include "cli/client_tls.h"
#include "cli/command.h"
#include "cli/credentials.h"
#include "cli/key_commands.h"
#include "cli/order_commands.h"
#include "cli/output.h"
#include "cli/role_commands.h"
#include "cli/sampling_commands.h"
#include "cli/token_commands.h"
#include "cli/user_commands.h"

namespace spanvault::cli {
namespace {

constexpr char kDefaultServer[] = "127.0.0.1:14270";

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// Fills in what the flags left open from the environment and the stored login.
void ApplyDefaults(CommandContext& context, const std::optional<StoredCredentials>& stored) {
  if (context.credentials.token.empty()) context.credentials.token = Env("SPANVAULT_TOKEN");
  if (context.credentials.user.empty()) context.credentials.user = Env("SPANVAULT_USER");
  context.credentials.env_password = Env("SPANVAULT_PASSWORD");
  if (context.server.empty()) context.server = Env("SPANVAULT_SERVER");
  if (context.server.empty() && stored.has_value()) context.server = stored->server;
  if (context.server.empty()) context.server = kDefaultServer;
}

int Run(int argc, char** argv) {
  CLI::App app{"spanvaultctl: manage a running spanvault through its admin API"};
  CommandContext context;
  app.add_option("--server", context.server,
                 "admin API address (spanvault --admin-grpc-addr; default $SPANVAULT_SERVER, "
                 "else 127.0.0.1:14270)");
  ClientTls tls;
  app.add_option("--tls-ca", tls.ca_file, "verify the server's TLS certificate with these CAs");
  app.add_option("--tls-cert", tls.cert_file, "client certificate (PEM), for mutual TLS");
  app.add_option("--tls-key", tls.key_file, "the client certificate's private key (PEM)");
  app.add_option("--token", context.credentials.token, "API token (default $SPANVAULT_TOKEN)");
  app.add_option("--user", context.credentials.user,
                 "user name (default $SPANVAULT_USER); password from $SPANVAULT_PASSWORD");
  app.add_flag("--password-stdin", context.credentials.password_stdin,
               "read the --user password from the first line of stdin");
  std::string output = "table";
  app.add_option("-o,--output", output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.require_subcommand(1);
  AddSamplingCommands(app, context);
  AddKeyCommands(app, context);
  AddUserCommands(app, context);
  AddRoleCommands(app, context);
  AddTokenCommands(app, context);
  AddAuditCommands(app, context);
  AddOrderCommands(app, context);
  CLI11_PARSE(app, argc, argv);

  context.json = output == "json";
  context.credentials_path = DefaultCredentialsPath();
  std::optional<StoredCredentials> stored;
  if (!context.credentials_path.empty()) {
    auto loaded = LoadCredentials(context.credentials_path);
    if (!loaded.ok()) return Fail(loaded.status());
    stored = *loaded;
  }
  const bool server_given = !context.server.empty() || !Env("SPANVAULT_SERVER").empty();
  ApplyDefaults(context, stored);
  // A stored token is only sent to the server it was made by.
  if (server_given && stored.has_value() && stored->server != context.server) stored.reset();
  std::optional<std::string> password;
  context.read_stdin = [&password]() -> absl::StatusOr<std::string> {
    if (!password.has_value()) {
      auto line = ReadPasswordLine(std::cin);
      if (!line.ok()) return line.status();
      password = *line;
    }
    return *password;
  };
  std::unique_ptr<AdminClient> client;
  context.client = [&]() -> absl::StatusOr<AdminClient*> {
    if (client) return client.get();
    auto authorization = ResolveAuthorization(context.credentials, stored, context.read_stdin);
    if (!authorization.ok()) return authorization.status();
    auto credentials = ChannelCredentials(tls);
    if (!credentials.ok()) return credentials.status();
    client = std::make_unique<AdminClient>(context.server, *credentials, absl::Seconds(10));
    client->set_authorization(std::move(*authorization));
    return client.get();
  };
  if (!context.run) return Fail(absl::InvalidArgumentError("no command given"));
  return context.run();
}

}  // namespace
}  // namespace spanvault::cli

int main(int argc, char** argv) { return spanvault::cli::Run(argc, argv); }
