#pragma once

// spanvaultctl orders show|list: order journeys (docs/orders.md), read through the admin API
// with the caller's traces:read, scope and redaction, as GET /api/orders answers them.

#include "CLI/CLI.hpp"
#include "cli/command.h"

namespace spanvault::cli {

// Adds the `orders` command group to `app`; the parsed command sets `context.run`.
void AddOrderCommands(CLI::App& app, CommandContext& context);

}  // namespace spanvault::cli
