#pragma once

// Parsing of the /api/dependencies and SPM (/api/metrics/*) parameters.

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "query/query_params.h"
#include "spanmetrics/metrics_query.h"

namespace spanvault {

// GET /api/dependencies: endTs and lookback in milliseconds (defaults: now, 24 hours), and an
// optional service (only links with it as parent or child).
struct DependenciesRequest {
  absl::Time end;
  absl::Duration lookback = absl::Hours(24);
  std::string service;
};

// kInvalidArgument naming the parameter ("unable to parse param 'endTs': ...") for a value that
// is not a non-negative integer (lookback: positive), and for an unknown parameter.
absl::StatusOr<DependenciesRequest> ParseDependencies(const QueryParams& params, absl::Time now);

// The SPM parameters of /api/metrics/{latencies,calls,errors} (reference §1.5): service
// (required, repeatable), groupByOperation, endTs (ms, default now), lookback (ms, default 1 h),
// step (ms, default 5 s), ratePer (ms, default 10 min), spanKind (repeatable, default server),
// quantile (required for latencies, in (0, 1]; accepted and ignored by the others, as the UI
// sends it to every call). kInvalidArgument naming the parameter for a
// bad or missing value, for more than kMaxMetricPoints points, and for an unknown parameter.
absl::StatusOr<spanmetrics::MetricsQuery> ParseMetricsQuery(const QueryParams& params,
                                                            bool latencies, absl::Time now);

inline constexpr int64_t kMaxMetricPoints = 10'000;

}  // namespace spanvault
