#pragma once

// spanvaultctl users add|list|remove|passwd|grant|revoke (admin:users).

#include "CLI/CLI.hpp"
#include "cli/command.h"

namespace spanvault::cli {

// Adds the `users` command group to `app`; the parsed command sets `context.run`.
void AddUserCommands(CLI::App& app, CommandContext& context);

}  // namespace spanvault::cli
