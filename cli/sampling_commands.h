#pragma once

// spanvaultctl sampling add|list|remove: runtime sampling rules (admin:sampling).

#include "CLI/CLI.hpp"
#include "cli/command.h"

namespace spanvault::cli {

// Adds the `sampling` command group to `app`; the parsed command sets `context.run`.
void AddSamplingCommands(CLI::App& app, CommandContext& context);

}  // namespace spanvault::cli
