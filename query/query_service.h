#pragma once

// QueryService: the one door every query API goes through. It takes the caller's identity in
// every method, checks its access policy, validates and bounds the request, reads through
// TraceReader, and shows the caller only its view of the answer (query/trace_filter.h).
//
// Every method answers kPermissionDenied when the caller's roles lack traces:read. A service
// outside the caller's scope looks exactly like one that does not exist, and a trace with no
// readable span exactly like a missing trace.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/audit_log.h"
#include "auth/principal.h"
#include "spanmetrics/metrics_query.h"
#include "spanmetrics/span_metrics_reader.h"
#include "storage/trace_reader.h"

namespace spanvault {

struct QueryServiceOptions {
  // Searches asking for more traces are capped to this many. Default: 1500 (the Jaeger UI's
  // largest limit).
  int max_search_depth = 1500;
};

// Thread-safe.
class QueryService {
 public:
  // `reader` and `audit` must outlive the service. With an audit log, every call is recorded
  // (caller, roles, address, caller.api, parameters, result count, allowed or denied, latency)
  // before its answer is returned; a call whose record cannot be written answers kUnavailable.
  // `span_metrics` (nullable; must outlive the service) answers GetDependencies and GetMetrics.
  // `archive` (nullable; must outlive the service) answers ArchiveTrace.
  QueryService(QueryServiceOptions options, TraceReader& reader, AuditLog* audit = nullptr,
               spanmetrics::SpanMetricsReader* span_metrics = nullptr,
               TraceArchive* archive = nullptr)
      : options_(options),
        reader_(reader),
        audit_(audit),
        span_metrics_(span_metrics),
        archive_(archive) {}

  // The services the caller may read, sorted.
  absl::StatusOr<std::vector<std::string>> GetServices(const Principal& caller);
  // The operations of `service`; none for a service the caller may not read.
  absl::StatusOr<std::vector<Operation>> GetOperations(const Principal& caller,
                                                       const std::string& service,
                                                       const std::string& span_kind);
  // The caller's view of the trace. kNotFound when the trace does not exist or the caller may
  // read none of its spans.
  absl::StatusOr<otlp::TracesData> GetTrace(const Principal& caller, const TraceId& trace_id);
  // True while the trace waits for its tail-sampling decision (it may still be dropped); false
  // for a trace GetTrace would not show the caller.
  absl::StatusOr<bool> IsPending(const Principal& caller, const TraceId& trace_id);
  // Matching traces in the caller's view, newest first; the search is limited to what the
  // caller may see before it scans, so hidden traces never use up the depth. kInvalidArgument
  // for an impossible query.
  absl::StatusOr<std::vector<otlp::TracesData>> FindTraces(const Principal& caller,
                                                           TraceQuery query);
  // Summaries of the traces FindTraces would find, in the caller's view (ViewSummary).
  absl::StatusOr<std::vector<TraceSummary>> FindTraceSummaries(const Principal& caller,
                                                               TraceQuery query);
  // Keeps the trace beyond retention (TraceArchive::Archive). kPermissionDenied without
  // traces:archive; kNotFound, as GetTrace, for a trace the caller may not read (only what the
  // caller can see is worth keeping on their word); kUnimplemented without an archive.
  absl::Status ArchiveTrace(const Principal& caller, const TraceId& trace_id);
  // The service links counted in [end - lookback, end) (hour buckets: every hour that overlaps
  // the window counts whole), only those whose parent and child the caller may both read (a
  // link to a hidden service is left out entirely), and with `service` non-empty only those
  // with it at either end. kUnimplemented without span metrics.
  absl::StatusOr<std::vector<spanmetrics::DependencyLink>> GetDependencies(
      const Principal& caller, absl::Time end, absl::Duration lookback, const std::string& service);
  // The Monitor tab's series (spanmetrics::ComputeSeries) of the query's services that the
  // caller may read; the others answer no series, as unknown services do. kUnimplemented
  // without span metrics.
  absl::StatusOr<std::vector<spanmetrics::Series>> GetMetrics(const Principal& caller,
                                                              spanmetrics::MetricKind kind,
                                                              spanmetrics::MetricsQuery query);

 private:
  absl::StatusOr<otlp::TracesData> ViewOf(const Principal& caller, const TraceId& trace_id);
  // The ids of matching traces within the caller's scope.
  absl::StatusOr<std::vector<TraceId>> FindIds(const Principal& caller, TraceQuery query);
  // Records the call in the audit log (when there is one) and returns `result`, or
  // kUnavailable when the record cannot be written.
  template <typename T>
  absl::StatusOr<T> Audited(const Principal& caller, std::string_view method,
                            std::string params_json, absl::Time started, absl::StatusOr<T> result,
                            Action action = Action::kTracesRead);

  const QueryServiceOptions options_;
  TraceReader& reader_;
  AuditLog* const audit_;
  spanmetrics::SpanMetricsReader* const span_metrics_;
  TraceArchive* const archive_;
};

}  // namespace spanvault
