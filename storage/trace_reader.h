#pragma once

// TraceReader: the one read interface every query API goes through (via QueryService).

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ids.h"
#include "common/otlp_util.h"

namespace spanvault {

// What a search may look at. QueryService builds it from the caller's access policy, so the
// stores apply it before and during their index scans without knowing about roles: traces
// outside it never use up search_depth. A null predicate allows everything.
struct SearchScope {
  // Whether spans of `service` may match. A query naming a service outside the scope finds
  // nothing, without scanning.
  std::function<bool(std::string_view service)> service_visible;
  // Whether an attribute condition on `key` may match on a span of `service`; false for
  // attributes the caller sees redacted or hidden, so a search cannot probe their values.
  std::function<bool(std::string_view service, std::string_view key)> tag_visible;
};

// True when `scope` lets spans of `service` match.
inline bool ServiceInScope(const SearchScope& scope, std::string_view service) {
  return !scope.service_visible || scope.service_visible(service);
}

// True when `scope` lets a condition on attribute `key` match on a span of `service`.
inline bool TagInScope(const SearchScope& scope, std::string_view service, std::string_view key) {
  return !scope.tag_visible || scope.tag_visible(service, key);
}

// A trace search. A trace matches when at least one of its spans matches every condition given
// (service, operation, duration, start time and all attributes, each attribute found on the
// span, its resource, or among the tags derived from OTLP fields: see ForEachSearchableTag),
// and that span's service and the attributes it is matched on are within `scope`.
struct TraceQuery {
  std::string service_name;    // empty: any service
  std::string operation_name;  // empty: any operation
  // Exact string matches (AnyValueToString of the value), all required.
  std::vector<std::pair<std::string, std::string>> attributes;
  // Span start time window, inclusive, in Unix nanoseconds.
  uint64_t start_time_min_unix_nano = 0;
  uint64_t start_time_max_unix_nano = std::numeric_limits<uint64_t>::max();
  std::optional<uint64_t> duration_min_nanos;
  std::optional<uint64_t> duration_max_nanos;
  // Largest number of trace ids returned. Default: 100.
  int search_depth = 100;
  // Default: everything.
  SearchScope scope;
};

// An operation in the services/operations catalogue.
struct Operation {
  std::string name;
  std::string span_kind;  // "server", "client", "producer", "consumer", "internal" or ""

  friend bool operator==(const Operation& a, const Operation& b) {
    return a.name == b.name && a.span_kind == b.span_kind;
  }
  friend bool operator<(const Operation& a, const Operation& b) {
    return std::tie(a.name, a.span_kind) < std::tie(b.name, b.span_kind);
  }
};

struct ServiceSummary {
  std::string name;
  int64_t span_count = 0;
  int64_t error_span_count = 0;
};

// What a search result shows without reading every span.
struct TraceSummary {
  TraceId trace_id;
  // The earliest span without a parent; empty when no root span has arrived.
  std::string root_service_name;
  std::string root_operation_name;
  uint64_t min_start_time_unix_nano = 0;
  uint64_t max_end_time_unix_nano = 0;
  int64_t span_count = 0;
  int64_t error_span_count = 0;
  std::vector<ServiceSummary> services;  // sorted by name
};

// Reads stored traces. Implementations are thread-safe.
class TraceReader {
 public:
  virtual ~TraceReader() = default;

  // Every service that has sent a span, sorted.
  virtual absl::StatusOr<std::vector<std::string>> GetServices() = 0;

  // The operations of `service` (sorted by name, then kind); with a non-empty `span_kind`
  // only those of that kind. An unknown service has none.
  virtual absl::StatusOr<std::vector<Operation>> GetOperations(const std::string& service,
                                                               const std::string& span_kind) = 0;

  // Every stored span of the trace, grouped by resource and scope. kNotFound when the trace
  // has no span.
  virtual absl::StatusOr<otlp::TracesData> GetTrace(const TraceId& trace_id) = 0;

  // Up to `query.search_depth` ids of matching traces, newest match first, without
  // duplicates. kInvalidArgument for an impossible query (min > max).
  virtual absl::StatusOr<std::vector<TraceId>> FindTraceIds(const TraceQuery& query) = 0;

  // Summaries of the given traces, in the same order; ids with no stored span are skipped.
  virtual absl::StatusOr<std::vector<TraceSummary>> GetSummaries(
      const std::vector<TraceId>& trace_ids) = 0;

  // True while the trace waits for its tail-sampling decision: GetTrace returns its spans so
  // far, but search does not find it and it may still be dropped.
  virtual absl::StatusOr<bool> IsPending(const TraceId& trace_id) = 0;
};

// Keeps traces beyond retention. Implementations are thread-safe.
class TraceArchive {
 public:
  virtual ~TraceArchive() = default;

  // Keeps the trace beyond retention: a copy of every span stored under it now, with its
  // summary and index entries, in the archive, which no retention pass removes. Reads by id and
  // searches see one trace (spans stored in both places count once). Archiving again adds the
  // spans that arrived since. kNotFound when the trace has no span. Blocks until durable.
  virtual absl::Status Archive(const TraceId& trace_id) = 0;
};

// Validates a query: kInvalidArgument naming the problem (min after max, depth < 1).
absl::Status ValidateQuery(const TraceQuery& query);

// True when `span` (with its `resource`) matches every condition of `query`, within its scope.
bool SpanMatches(const TraceQuery& query, const otlp::Resource& resource, const otlp::Span& span);

}  // namespace spanvault
