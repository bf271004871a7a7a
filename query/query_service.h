#pragma once

// QueryService: the one door every query API goes through. It takes the caller's identity in
// every method, validates and bounds the request, and reads through TraceReader.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/principal.h"
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
  // `reader` must outlive the service.
  QueryService(QueryServiceOptions options, TraceReader& reader)
      : options_(options), reader_(reader) {}

  absl::StatusOr<std::vector<std::string>> GetServices(const Principal& caller);
  absl::StatusOr<std::vector<Operation>> GetOperations(const Principal& caller,
                                                       const std::string& service,
                                                       const std::string& span_kind);
  // kNotFound when the trace does not exist.
  absl::StatusOr<otlp::TracesData> GetTrace(const Principal& caller, const TraceId& trace_id);
  // True while the trace waits for its tail-sampling decision (it may still be dropped).
  absl::StatusOr<bool> IsPending(const Principal& caller, const TraceId& trace_id);
  // Matching traces, newest first. kInvalidArgument for an impossible query.
  absl::StatusOr<std::vector<otlp::TracesData>> FindTraces(const Principal& caller,
                                                           TraceQuery query);
  absl::StatusOr<std::vector<TraceSummary>> FindTraceSummaries(const Principal& caller,
                                                               TraceQuery query);

 private:
  absl::StatusOr<std::vector<TraceId>> FindIds(TraceQuery query);

  const QueryServiceOptions options_;
  TraceReader& reader_;
};

}  // namespace spanvault
