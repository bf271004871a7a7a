#pragma once

// The Jaeger HTTP routes over span metrics: GET /api/dependencies and the SPM (Monitor tab)
// routes GET /api/metrics/{latencies,calls,errors,minstep}.

#include <string_view>

#include "common/http.h"
#include "query/query_params.h"
#include "query/query_service.h"

namespace spanvault {

// /api/dependencies: the classic envelope, data = [{"parent","child","callCount"}, ...].
HttpResponse DependenciesResponse(QueryService& queries, const Principal& caller,
                                  const QueryParams& params, bool pretty);

// /api/metrics/<which>: a bare MetricFamily (reference §1.5; no envelope) for latencies, calls
// and errors; the envelope with data = the minimum step in ms for minstep. Errors use the
// classic error envelope: 400 naming the parameter, 404 for an unknown metric, 501 without span
// metrics.
HttpResponse MetricsResponse(QueryService& queries, const Principal& caller, std::string_view which,
                             const QueryParams& params, bool pretty);

}  // namespace spanvault
