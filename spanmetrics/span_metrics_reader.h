#pragma once

// SpanMetricsReader: the read side of the aggregates the span-metrics tap keeps (RED metrics
// per service/operation/span kind and per minute; service dependency links per hour). The
// query layer sees only this interface.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "spanmetrics/latency_sketch.h"

namespace spanvault::spanmetrics {

// Span kinds as Jaeger's SPM names them (the OTLP SpanKind enum, lower case).
inline constexpr const char* kSpanKindNames[] = {"unspecified", "internal", "server",
                                                 "client",      "producer", "consumer"};

// One parent -> child service link and how many calls crossed it.
struct DependencyLink {
  std::string parent;
  std::string child;
  uint64_t call_count = 0;
  bool operator==(const DependencyLink&) const = default;
};

// What a series of RED metrics is kept by.
struct SeriesKey {
  std::string service;
  std::string operation;
  std::string span_kind;  // a kSpanKindNames entry
  auto operator<=>(const SeriesKey&) const = default;
};

// The calls of one series that started in one minute.
struct MinuteCell {
  uint64_t calls = 0;
  uint64_t errors = 0;    // spans with status ERROR
  LatencySketch latency;  // span durations in milliseconds
  void Merge(const MinuteCell& o) {
    calls += o.calls;
    errors += o.errors;
    latency.Merge(o.latency);
  }
};

struct MinuteMetrics {
  absl::Time minute;  // start of the minute
  SeriesKey key;
  MinuteCell cell;
};

// Thread-safe.
class SpanMetricsReader {
 public:
  virtual ~SpanMetricsReader() = default;
  // The links counted in the hour buckets that overlap [start, end), call counts summed per
  // (parent, child). kDataLoss when the aggregates cannot be read; kUnavailable when they
  // cannot be read now (the store fails, or a read kept overlapping writes): retry.
  virtual absl::StatusOr<std::vector<DependencyLink>> GetDependencies(absl::Time start,
                                                                      absl::Time end) = 0;
  // The minute cells with a start in [start, end) of `services` and `span_kinds` (every kind
  // when empty), in (minute, key) order.
  virtual absl::StatusOr<std::vector<MinuteMetrics>> GetMetrics(
      absl::Time start, absl::Time end, const std::set<std::string>& services,
      const std::set<std::string>& span_kinds) = 0;
};

}  // namespace spanvault::spanmetrics
