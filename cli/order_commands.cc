#include "cli/order_commands.h"

#include <iostream>
#include <memory>
#include <string>

#include "cli/order_output.h"
#include "cli/output.h"
#include "nlohmann/json.hpp"

namespace spanvault::cli {
namespace {

namespace adminpb = ::spanvault::admin::v1;

struct OrderFlags {
  std::string flow = "order";
  std::string key, status, since;
  uint32_t limit = 0;  // 0: the server's default (100)
};

// The JSON text the server sent, parsed; a malformed answer is an error, not an exception.
absl::StatusOr<nlohmann::json> Parse(const std::string& text) {
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::InternalError("the server answered JSON that does not parse");
  }
  return parsed;
}

int Show(AdminClient& client, const OrderFlags& flags, bool json) {
  adminpb::GetOrderRequest request;
  request.set_flow(flags.flow);
  request.set_key(flags.key);
  auto response = client.Unary(&adminpb::Admin::Stub::GetOrder, request);
  if (!response.ok()) return Fail(response.status());
  auto journey = Parse(response->journey_json());
  if (!journey.ok()) return Fail(journey.status());
  if (json) {
    std::cout << journey->dump(2) << "\n";
  } else {
    PrintJourney(std::cout, *journey);
  }
  return 0;
}

int List(AdminClient& client, const OrderFlags& flags, bool json) {
  adminpb::ListOrdersRequest request;
  request.set_flow(flags.flow);
  request.set_status(flags.status);
  request.set_since(flags.since);
  request.set_limit(flags.limit);
  auto response = client.Unary(&adminpb::Admin::Stub::ListOrders, request);
  if (!response.ok()) return Fail(response.status());
  auto journeys = Parse(response->journeys_json());
  if (!journeys.ok()) return Fail(journeys.status());
  if (json) {
    std::cout << journeys->dump(2) << "\n";
  } else {
    PrintJourneyList(std::cout, *journeys);
  }
  return 0;
}

}  // namespace

void AddOrderCommands(CLI::App& app, CommandContext& context) {
  auto flags = std::make_shared<OrderFlags>();
  auto* orders = app.add_subcommand("orders", "order journeys: where is an order, which are stuck");
  orders->require_subcommand(1);
  auto* show = orders->add_subcommand("show", "one order's journey: verdict, steps, traces");
  show->add_option("KEY", flags->key, "the business key, e.g. o-1001")->required();
  show->add_option("--flow", flags->flow, "the configured flow")->capture_default_str();
  show->callback([&context, flags] {
    context.run = WithClient(
        context, [&context, flags](AdminClient& c) { return Show(c, *flags, context.json); });
  });
  auto* list = orders->add_subcommand("list", "orders by status, most recently updated first");
  list->add_option("--flow", flags->flow, "the configured flow")->capture_default_str();
  list->add_option("--status", flags->status, "stuck, failed, in_progress or completed");
  list->add_option("--since", flags->since, "updated within this duration, e.g. 1h (max 192h)");
  list->add_option("--limit", flags->limit, "at most this many, 1 to 1000 (default 100)");
  list->callback([&context, flags] {
    context.run = WithClient(
        context, [&context, flags](AdminClient& c) { return List(c, *flags, context.json); });
  });
}

}  // namespace spanvault::cli
