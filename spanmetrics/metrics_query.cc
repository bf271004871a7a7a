#include "spanmetrics/metrics_query.h"

#include <map>
#include <utility>

namespace spanvault::spanmetrics {

absl::Time MetricsWindowStart(const MetricsQuery& query) {
  return query.end - query.lookback - query.rate_per;
}

namespace {

using Cells = std::map<absl::Time, MinuteCell>;

// The merged cell of the minutes that start in [from, to).
MinuteCell Window(const Cells& cells, absl::Time from, absl::Time to) {
  MinuteCell sum;
  for (auto it = cells.lower_bound(from); it != cells.end() && it->first < to; ++it) {
    sum.Merge(it->second);
  }
  return sum;
}

std::optional<double> ValueOf(MetricKind kind, const MetricsQuery& query, const MinuteCell& c) {
  switch (kind) {
    case MetricKind::kCalls:
      return static_cast<double>(c.calls) / absl::ToDoubleSeconds(query.rate_per);
    case MetricKind::kErrors:
      if (c.calls == 0) return std::nullopt;
      return static_cast<double>(c.errors) / static_cast<double>(c.calls);
    case MetricKind::kLatencies:
      if (c.calls == 0) return std::nullopt;
      return c.latency.Quantile(query.quantile);
  }
  return std::nullopt;
}

}  // namespace

std::vector<Series> ComputeSeries(MetricKind kind, const MetricsQuery& query,
                                  const std::vector<MinuteMetrics>& minutes) {
  absl::Time first = query.end - query.lookback;
  std::map<std::pair<std::string, std::string>, Cells> by_series;
  for (const MinuteMetrics& m : minutes) {
    if (m.cell.calls == 0 || m.minute < MetricsWindowStart(query) || m.minute >= query.end) {
      continue;
    }
    std::pair<std::string, std::string> labels{m.key.service,
                                               query.group_by_operation ? m.key.operation : ""};
    by_series[labels][m.minute].Merge(m.cell);
  }
  std::vector<Series> out;
  for (const auto& [labels, cells] : by_series) {
    Series series{labels.first, labels.second, {}};
    for (absl::Time t = first; t <= query.end; t += query.step) {
      auto value = ValueOf(kind, query, Window(cells, t - query.rate_per, t));
      if (value) series.points.push_back(SeriesPoint{t, *value});
    }
    out.push_back(std::move(series));
  }
  return out;
}

}  // namespace spanvault::spanmetrics
