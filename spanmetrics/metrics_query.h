#pragma once

// MetricsQuery: a Monitor-tab (SPM) request, and the series it answers computed from minute
// aggregates the way Jaeger's Prometheus reader computes them from spanmetrics counters.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "spanmetrics/span_metrics_reader.h"

namespace spanvault::spanmetrics {

enum class MetricKind { kLatencies, kCalls, kErrors };

struct MetricsQuery {
  std::vector<std::string> services;  // at least one
  bool group_by_operation = false;
  std::set<std::string> span_kinds = {"server"};  // Jaeger's default
  absl::Time end;                                 // endTs
  absl::Duration lookback = absl::Hours(1);
  absl::Duration step = absl::Seconds(5);
  absl::Duration rate_per = absl::Minutes(10);
  double quantile = 0;  // for kLatencies, in (0, 1]
};

struct SeriesPoint {
  absl::Time time;
  double value = 0;
};

struct Series {
  std::string service;
  std::string operation;  // empty unless grouped by operation
  std::vector<SeriesPoint> points;
};

// The first minute a query needs: the rate window of its first point.
absl::Time MetricsWindowStart(const MetricsQuery& query);

// One series per service (or per service and operation) that has calls in the query's window,
// sorted by labels, with one point per step from end - lookback to end. A point at t sums the
// minute cells that start in [t - rate_per, t):
//   kCalls: calls per second over rate_per (0 when there are none);
//   kErrors: errors / calls (no point without calls);
//   kLatencies: the quantile of the merged latency sketches, in ms (no point without calls).
std::vector<Series> ComputeSeries(MetricKind kind, const MetricsQuery& query,
                                  const std::vector<MinuteMetrics>& minutes);

}  // namespace spanvault::spanmetrics
