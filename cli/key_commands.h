#pragma once

// spanvaultctl keys rotate|status|retire: encryption key rotation (docs/encryption.md).

#include <cstdint>

#include "CLI/CLI.hpp"
#include "cli/admin_client.h"
#include "cli/command.h"

namespace spanvault::cli {

// Each prints its result (or the error, to stderr) and returns the process exit code.
// With `wait`, polls the status until the background rewrite ends, prints it, and fails when
// the rewrite did.
int RotateKeys(AdminClient& client, bool rewrite_only, bool wait);
int ShowKeyStatus(AdminClient& client, bool json);
int RetireKey(AdminClient& client, uint32_t id);

// Adds the `keys` command group to `app`; the parsed command sets `context.run`.
void AddKeyCommands(CLI::App& app, CommandContext& context);

}  // namespace spanvault::cli
