#include "query/query_service.h"

#include <algorithm>

namespace spanvault {

absl::StatusOr<std::vector<std::string>> QueryService::GetServices(const Principal& caller) {
  return reader_.GetServices();
}

absl::StatusOr<std::vector<Operation>> QueryService::GetOperations(const Principal& caller,
                                                                   const std::string& service,
                                                                   const std::string& span_kind) {
  return reader_.GetOperations(service, span_kind);
}

absl::StatusOr<otlp::TracesData> QueryService::GetTrace(const Principal& caller,
                                                        const TraceId& trace_id) {
  return reader_.GetTrace(trace_id);
}

absl::StatusOr<bool> QueryService::IsPending(const Principal& caller, const TraceId& trace_id) {
  return reader_.IsPending(trace_id);
}

absl::StatusOr<std::vector<TraceId>> QueryService::FindIds(TraceQuery query) {
  query.search_depth = std::min(query.search_depth, options_.max_search_depth);
  return reader_.FindTraceIds(query);
}

absl::StatusOr<std::vector<otlp::TracesData>> QueryService::FindTraces(const Principal& caller,
                                                                       TraceQuery query) {
  auto ids = FindIds(std::move(query));
  if (!ids.ok()) return ids.status();
  std::vector<otlp::TracesData> traces;
  for (const auto& id : *ids) {
    auto trace = reader_.GetTrace(id);
    if (absl::IsNotFound(trace.status())) continue;  // deleted since the index was read
    if (!trace.ok()) return trace.status();
    traces.push_back(std::move(*trace));
  }
  return traces;
}

absl::StatusOr<std::vector<TraceSummary>> QueryService::FindTraceSummaries(
    const Principal& caller, TraceQuery query) {
  auto ids = FindIds(std::move(query));
  if (!ids.ok()) return ids.status();
  return reader_.GetSummaries(*ids);
}

}  // namespace spanvault
