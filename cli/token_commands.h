#pragma once

// spanvaultctl tokens create|list|revoke (admin:tokens), login, and status (who am I).

#include "CLI/CLI.hpp"
#include "cli/command.h"

namespace spanvault::cli {

// Adds `tokens`, `login` and `status` to `app`; the parsed command sets `context.run`.
void AddTokenCommands(CLI::App& app, CommandContext& context);

}  // namespace spanvault::cli
