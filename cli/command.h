#pragma once

// What every spanvaultctl command group shares: the output format, the connection (made only
// once a command runs) and the command chosen on the command line.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cli/admin_client.h"
#include "cli/credentials.h"
#include "cli/output.h"

namespace spanvault::cli {

// Not thread-safe; owned by main.
struct CommandContext {
  std::string server;  // --server, else $SPANVAULT_SERVER, else the default
  CredentialSources credentials;
  bool json = false;             // -o json
  std::string credentials_path;  // where `login` stores its token
  // The client, connected with the resolved credentials (made at the first call).
  std::function<absl::StatusOr<AdminClient*>()> client;
  // Reads the caller's password from stdin at most once (--password-stdin).
  std::function<absl::StatusOr<std::string>()> read_stdin;
  // Set by the command that was parsed; returns the exit code.
  std::function<int()> run;
};

// Runs `command(AdminClient&)` with the context's client once connected; a connection error
// fails the command (exit code 1 with the message).
template <typename Fn>
std::function<int()> WithClient(CommandContext& context, Fn command) {
  return [&context, command] {
    auto client = context.client();
    if (!client.ok()) return Fail(client.status());
    return command(**client);
  };
}

}  // namespace spanvault::cli
