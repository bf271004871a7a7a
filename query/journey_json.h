#pragma once

// The JSON of order journeys (docs/orders.md): the one producer of the `data` that both
// GET /api/orders[/{key}] (query/orders_http.h) and the admin API's GetOrder / ListOrders
// (spanvaultctl orders) answer, so the two can never drift apart.

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/principal.h"
#include "nlohmann/json.hpp"
#include "query/query_params.h"
#include "query/query_service.h"

namespace spanvault {

// Most journeys one list answers, and the widest `since` it accepts.
inline constexpr int kMaxOrdersLimit = 1000;
inline constexpr absl::Duration kMaxOrdersSince = absl::Hours(24 * 8);

// The journey of `key` in `flow` as `caller` sees it (QueryService::GetJourney, which checks,
// redacts and audits): the `data` of GET /api/orders/{key}. kInvalidArgument for an unknown
// flow or a malformed key, kNotFound for an unknown key (or one the caller may not see),
// kPermissionDenied without traces:read; else the status of the journey read.
absl::StatusOr<nlohmann::json> OrderData(QueryService& queries, const Principal& caller,
                                         const std::string& flow, const std::string& key);

// The journeys of `flow` that match `filter` (the parameters status, since and limit, each
// optional; an empty value means not given), newest update first, as `caller` sees them
// (QueryService::ListJourneys): the `data` of GET /api/orders. kInvalidArgument naming the
// parameter for an unknown status, a `since` that is not a Go duration in (0, 192h], a `limit`
// that is not an integer in [1, 1000], or an unknown flow; kPermissionDenied without
// traces:read. `since` counts back from `now`.
absl::StatusOr<nlohmann::json> OrdersListData(QueryService& queries, const Principal& caller,
                                              const std::string& flow, const QueryParams& filter,
                                              absl::Time now);

// kInvalidArgument "parameter 'NAME': MESSAGE".
absl::Status BadParam(const std::string& name, const std::string& message);

// The value of parameter `name`, or nullopt.
std::optional<std::string> Param(const QueryParams& params, std::string_view name);

// `body` as JSON text; invalid UTF-8 in span data is replaced rather than refused, so a
// journey always serializes (and fits a proto string).
std::string DumpJson(const nlohmann::json& body, bool pretty);

}  // namespace spanvault
