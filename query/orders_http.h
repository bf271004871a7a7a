#pragma once

// The order journey routes of the query HTTP API (docs/orders.md):
//   GET /api/orders/{key}?flow=F
//   GET /api/orders?flow=F[&status=stuck|failed|in_progress|completed][&since=1h][&limit=N]
//   GET /api/flows

#include <string_view>

#include "common/http.h"
#include "query/query_params.h"
#include "query/query_service.h"

namespace spanvault {

// /api/orders/{key} (`key` percent-decoded): the classic envelope with data = the journey.
// 400 naming the parameter (flow missing or unknown, malformed key, unknown parameter), 404 for
// an unknown key.
HttpResponse OrderResponse(QueryService& queries, const Principal& caller, const std::string& key,
                           const QueryParams& params, bool pretty);

// /api/orders: the classic envelope with data = the matching journeys, newest update first.
// 400 for a missing or unknown flow, an unknown status, a `since` that is not a Go duration in
// (0, 192h], a `limit` that is not an integer in [1, 1000].
HttpResponse OrdersListResponse(QueryService& queries, const Principal& caller,
                                const QueryParams& params, bool pretty);

// /api/flows: the classic envelope with data = the configured flow names (the orders page's
// flow selector). 403 without traces:read, 400 for any parameter but prettyPrint.
HttpResponse FlowsResponse(QueryService& queries, const Principal& caller,
                           const QueryParams& params, bool pretty);

}  // namespace spanvault
