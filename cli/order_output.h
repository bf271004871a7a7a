#pragma once

// spanvaultctl orders: the tables made from the journey JSON the admin API returns (the `data`
// of GET /api/orders[/{key}], docs/orders.md). Pure functions, so they are tested without a
// server.

#include <ostream>

#include "nlohmann/json.hpp"

namespace spanvault::cli {

// `journey` (one journey with steps and traces): the verdict line ("o-1: stuck at consumed:
// <message>"), a table with one row per step (hidden steps say so and show nothing else), and
// a table of the traces with whether sampling kept them. Missing fields print as "-".
void PrintJourney(std::ostream& out, const nlohmann::json& journey);

// `journeys` (a list of journey summaries): one row per journey, as given (newest first).
void PrintJourneyList(std::ostream& out, const nlohmann::json& journeys);

}  // namespace spanvault::cli
