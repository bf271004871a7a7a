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
#include "journeys/journey_reader.h"
#include "spanmetrics/metrics_query.h"
#include "spanmetrics/span_metrics_reader.h"
#include "storage/trace_reader.h"

namespace spanvault {

struct QueryServiceOptions {
  // Searches asking for more traces are capped to this many. Default: 1500 (the Jaeger UI's
  // largest limit).
  int max_search_depth = 1500;
};

// A trace of a journey, and whether tail sampling kept it.
struct JourneyTrace {
  TraceId trace_id;
  bool kept = false;     // stored with its summary: GetTrace and search find it
  bool pending = false;  // still waiting for its tail-sampling decision
};

// A journey as a caller sees it. Steps reached in services outside the caller's scope keep
// only their name (in hidden_steps): journey.state holds no span of theirs and lists only the
// traces of the steps the caller sees. The verdict is the journey's whole verdict (where it is
// stuck or failed is the point), but the error message of a hidden failed step is withheld.
struct JourneyView {
  journeys::Journey journey;
  std::vector<std::string> hidden_steps;
  std::vector<JourneyTrace> traces;  // GetJourney only: every trace of journey.state
};

// Thread-safe.
class QueryService {
 public:
  // `reader` and `audit` must outlive the service. With an audit log, every call is recorded
  // (caller, roles, address, caller.api, parameters, result count, allowed or denied, latency)
  // before its answer is returned; a call whose record cannot be written answers kUnavailable.
  // `span_metrics` (nullable; must outlive the service) answers GetDependencies and GetMetrics.
  // `archive` (nullable; must outlive the service) answers ArchiveTrace.
  // `journeys` (nullable; must outlive the service) answers GetJourney and ListJourneys.
  QueryService(QueryServiceOptions options, TraceReader& reader, AuditLog* audit = nullptr,
               spanmetrics::SpanMetricsReader* span_metrics = nullptr,
               TraceArchive* archive = nullptr, journeys::JourneyReader* journeys = nullptr)
      : options_(options),
        reader_(reader),
        audit_(audit),
        span_metrics_(span_metrics),
        archive_(archive),
        journeys_(journeys) {}

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

  // The journey of business key `key` in `flow`, in the caller's view (JourneyView), with
  // each of its traces checked for being kept. kInvalidArgument for an unknown flow (also when
  // no flow is configured) or a malformed key (empty, longer than 256 bytes, control
  // characters); kNotFound for an unknown key, and for a journey of which the caller may read
  // no step or may not see the key attribute in full (as search by a redacted attribute finds
  // nothing).
  absl::StatusOr<JourneyView> GetJourney(const Principal& caller, const std::string& flow,
                                         const std::string& key);
  // The flow's journeys matching `filter` (newest update first) that the caller may see, in
  // its view, without the kept check. kInvalidArgument for an unknown flow.
  absl::StatusOr<std::vector<JourneyView>> ListJourneys(const Principal& caller,
                                                        const std::string& flow,
                                                        const journeys::JourneyFilter& filter);

  // The names of the configured flows, in configuration order (empty when none is). Needs
  // traces:read (kPermissionDenied) but is not audited: it is configuration, not data.
  absl::StatusOr<std::vector<std::string>> ListFlows(const Principal& caller) const;

  // The definition of `flow` (configuration, not data: no check, no audit). kInvalidArgument
  // for an unknown flow. The pointer lives as long as the service.
  absl::StatusOr<const journeys::Flow*> FindFlowDefinition(const std::string& flow) const;

 private:
  // Which of `view`'s traces are kept or pending.
  absl::Status CheckKept(JourneyView& view);
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
  journeys::JourneyReader* const journeys_;
};

}  // namespace spanvault
