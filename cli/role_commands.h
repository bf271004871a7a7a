#pragma once

// spanvaultctl roles list|show|create|update|delete (admin:roles).

#include "CLI/CLI.hpp"
#include "cli/command.h"

namespace spanvault::cli {

// Adds the `roles` command group to `app`; the parsed command sets `context.run`.
void AddRoleCommands(CLI::App& app, CommandContext& context);

}  // namespace spanvault::cli
