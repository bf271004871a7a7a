#pragma once

// spanvaultctl audit list|verify|export (admin:audit).

#include "CLI/CLI.hpp"
#include "cli/command.h"

namespace spanvault::cli {

// Adds the `audit` command group to `app`; the parsed command sets `context.run`.
void AddAuditCommands(CLI::App& app, CommandContext& context);

}  // namespace spanvault::cli
