#include "query/query_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "query/trace_filter.h"

namespace spanvault {
namespace {

// kPermissionDenied unless the caller's roles grant traces:read.
absl::Status CheckCanRead(const Principal& caller) {
  if (caller.access != nullptr && caller.access->Allows(Action::kTracesRead)) {
    return absl::OkStatus();
  }
  std::string action(ActionName(Action::kTracesRead));
  if (caller.roles.empty()) {
    return absl::PermissionDeniedError(absl::StrCat("permission denied: no role grants ", action));
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "permission denied: role(s) \"", absl::StrJoin(caller.roles, "\", \""), "\" lack ", action));
}

// What a missing trace answers, so a hidden one answers the same.
absl::Status TraceNotFound() { return absl::NotFoundError("trace not found"); }

}  // namespace

absl::StatusOr<std::vector<std::string>> QueryService::GetServices(const Principal& caller) {
  if (absl::Status s = CheckCanRead(caller); !s.ok()) return s;
  auto services = reader_.GetServices();
  if (!services.ok() || caller.access->ReadsEverything()) return services;
  std::erase_if(*services, [&](const std::string& service) {
    return !caller.access->CanReadService(service);
  });
  return services;
}

absl::StatusOr<std::vector<Operation>> QueryService::GetOperations(const Principal& caller,
                                                                   const std::string& service,
                                                                   const std::string& span_kind) {
  if (absl::Status s = CheckCanRead(caller); !s.ok()) return s;
  // The answer for an unknown service, so the service's existence does not leak.
  if (!caller.access->CanReadService(service)) return std::vector<Operation>();
  return reader_.GetOperations(service, span_kind);
}

absl::StatusOr<otlp::TracesData> QueryService::GetTrace(const Principal& caller,
                                                        const TraceId& trace_id) {
  if (absl::Status s = CheckCanRead(caller); !s.ok()) return s;
  auto trace = reader_.GetTrace(trace_id);
  if (!trace.ok()) return trace.status();
  auto view = ViewTrace(*caller.access, std::move(*trace));
  if (!view) return TraceNotFound();
  return std::move(*view);
}

absl::StatusOr<bool> QueryService::IsPending(const Principal& caller, const TraceId& trace_id) {
  if (absl::Status s = CheckCanRead(caller); !s.ok()) return s;
  auto pending = reader_.IsPending(trace_id);
  // "Not pending" is also the answer for a missing trace: it tells nothing. "Pending" is
  // only told to a caller who may see the trace.
  if (!pending.ok() || !*pending || caller.access->ReadsEverything()) return pending;
  auto trace = GetTrace(caller, trace_id);
  if (absl::IsNotFound(trace.status())) return false;
  if (!trace.ok()) return trace.status();
  return true;
}

absl::StatusOr<std::vector<TraceId>> QueryService::FindIds(const Principal& caller,
                                                           TraceQuery query) {
  query.search_depth = std::min(query.search_depth, options_.max_search_depth);
  query.scope = ScopeOf(caller.access);
  return reader_.FindTraceIds(query);
}

absl::StatusOr<std::vector<otlp::TracesData>> QueryService::FindTraces(const Principal& caller,
                                                                       TraceQuery query) {
  if (absl::Status s = CheckCanRead(caller); !s.ok()) return s;
  auto ids = FindIds(caller, std::move(query));
  if (!ids.ok()) return ids.status();
  std::vector<otlp::TracesData> traces;
  for (const auto& id : *ids) {
    auto trace = reader_.GetTrace(id);
    if (absl::IsNotFound(trace.status())) continue;  // deleted since the index was read
    if (!trace.ok()) return trace.status();
    auto view = ViewTrace(*caller.access, std::move(*trace));
    if (view) traces.push_back(std::move(*view));
  }
  return traces;
}

absl::StatusOr<std::vector<TraceSummary>> QueryService::FindTraceSummaries(const Principal& caller,
                                                                           TraceQuery query) {
  if (absl::Status s = CheckCanRead(caller); !s.ok()) return s;
  auto ids = FindIds(caller, std::move(query));
  if (!ids.ok()) return ids.status();
  auto summaries = reader_.GetSummaries(*ids);
  if (!summaries.ok()) return summaries.status();
  std::vector<TraceSummary> out;
  for (auto& summary : *summaries) {
    auto view = ViewSummary(*caller.access, std::move(summary));
    if (view) out.push_back(std::move(*view));
  }
  return out;
}

}  // namespace spanvault
