#include "query/query_service.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "auth/audit_records.h"
#include "nlohmann/json.hpp"
#include "query/journey_view.h"
#include "query/trace_filter.h"

namespace spanvault {
namespace {

// kPermissionDenied unless the caller's roles grant traces:read.
absl::Status CheckCanRead(const Principal& caller) {
  if (caller.access != nullptr && caller.access->Allows(Action::kTracesRead)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(PermissionDeniedMessage(caller, Action::kTracesRead));
}

// What a missing trace answers, so a hidden one answers the same.
absl::Status TraceNotFound() { return absl::NotFoundError("trace not found"); }

template <typename T>
int64_t CountOf(const std::vector<T>& v) {
  return static_cast<int64_t>(v.size());
}
int64_t CountOf(const otlp::TracesData&) { return 1; }
int64_t CountOf(const TraceId&) { return 1; }
int64_t CountOf(const JourneyView&) { return 1; }

// The audit parameters of a search (attribute values included: the log is encrypted and
// readable only with admin:audit).
std::string QueryParamsJson(const TraceQuery& q) {
  nlohmann::json attributes = nlohmann::json::object();
  for (const auto& [key, value] : q.attributes) attributes[key] = value;
  nlohmann::json j = {{"service", q.service_name},
                      {"operation", q.operation_name},
                      {"attributes", attributes},
                      {"start_min_unix_nano", q.start_time_min_unix_nano},
                      {"start_max_unix_nano", q.start_time_max_unix_nano},
                      {"limit", q.search_depth}};
  if (q.duration_min_nanos) j["duration_min_nanos"] = *q.duration_min_nanos;
  if (q.duration_max_nanos) j["duration_max_nanos"] = *q.duration_max_nanos;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Json(nlohmann::json j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

template <typename T>
absl::StatusOr<T> QueryService::Audited(const Principal& caller, std::string_view method,
                                        std::string params_json, absl::Time started,
                                        absl::StatusOr<T> result, Action action) {
  if (audit_ == nullptr) return result;
  AuditRecord record = RecordOf(caller, method);
  record.action = std::string(ActionName(action));
  record.params = std::move(params_json);
  record.allowed = !absl::IsPermissionDenied(result.status());
  if (!result.ok()) record.detail = std::string(result.status().message());
  if (result.ok()) record.result_count = CountOf(*result);
  record.latency = absl::Now() - started;
  if (absl::Status written = audit_->Append(std::move(record)); !written.ok()) return written;
  return result;
}

absl::StatusOr<std::vector<std::string>> QueryService::GetServices(const Principal& caller) {
  absl::Time started = absl::Now();
  auto services = [&]() -> absl::StatusOr<std::vector<std::string>> {
    if (absl::Status s = CheckCanRead(caller); !s.ok()) return s;
    auto all = reader_.GetServices();
    if (!all.ok() || caller.access->ReadsEverything()) return all;
    std::erase_if(
        *all, [&](const std::string& service) { return !caller.access->CanReadService(service); });
    return all;
  }();
  return Audited(caller, "GetServices", "{}", started, std::move(services));
}

absl::StatusOr<std::vector<Operation>> QueryService::GetOperations(const Principal& caller,
                                                                   const std::string& service,
                                                                   const std::string& span_kind) {
  absl::Time started = absl::Now();
  auto operations = [&]() -> absl::StatusOr<std::vector<Operation>> {
    if (absl::Status s = CheckCanRead(caller); !s.ok()) return s;
    // The answer for an unknown service, so the service's existence does not leak.
    if (!caller.access->CanReadService(service)) return std::vector<Operation>();
    return reader_.GetOperations(service, span_kind);
  }();
  return Audited(caller, "GetOperations", Json({{"service", service}, {"span_kind", span_kind}}),
                 started, std::move(operations));
}

absl::StatusOr<otlp::TracesData> QueryService::GetTrace(const Principal& caller,
                                                        const TraceId& trace_id) {
  absl::Time started = absl::Now();
  return Audited(caller, "GetTrace", Json({{"trace_id", trace_id.ToHex()}}), started,
                 ViewOf(caller, trace_id));
}

absl::StatusOr<otlp::TracesData> QueryService::ViewOf(const Principal& caller,
                                                      const TraceId& trace_id) {
  if (absl::Status s = CheckCanRead(caller); !s.ok()) return s;
  auto trace = reader_.GetTrace(trace_id);
  if (!trace.ok()) return trace.status();
  auto view = ViewTrace(*caller.access, std::move(*trace));
  if (!view) return TraceNotFound();
  return std::move(*view);
}

absl::Status QueryService::ArchiveTrace(const Principal& caller, const TraceId& trace_id) {
  absl::Time started = absl::Now();
  auto archived = [&]() -> absl::StatusOr<TraceId> {
    if (!caller.access->Allows(Action::kTracesArchive)) {
      return absl::PermissionDeniedError(PermissionDeniedMessage(caller, Action::kTracesArchive));
    }
    if (archive_ == nullptr) return absl::UnimplementedError("archive storage is not configured");
    if (auto view = ViewOf(caller, trace_id); !view.ok()) return view.status();
    if (absl::Status s = archive_->Archive(trace_id); !s.ok()) return s;
    return trace_id;
  }();
  return Audited(caller, "ArchiveTrace", Json({{"trace_id", trace_id.ToHex()}}), started,
                 std::move(archived), Action::kTracesArchive)
      .status();
}

// Not audited: the API layer asks it beside GetTrace, which is.
absl::StatusOr<bool> QueryService::IsPending(const Principal& caller, const TraceId& trace_id) {
  if (absl::Status s = CheckCanRead(caller); !s.ok()) return s;
  auto pending = reader_.IsPending(trace_id);
  // "Not pending" is also the answer for a missing trace: it tells nothing. "Pending" is
  // only told to a caller who may see the trace.
  if (!pending.ok() || !*pending || caller.access->ReadsEverything()) return pending;
  auto trace = ViewOf(caller, trace_id);
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
  absl::Time started = absl::Now();
  std::string params = QueryParamsJson(query);
  auto traces = [&]() -> absl::StatusOr<std::vector<otlp::TracesData>> {
    if (absl::Status s = CheckCanRead(caller); !s.ok()) return s;
    auto ids = FindIds(caller, std::move(query));
    if (!ids.ok()) return ids.status();
    std::vector<otlp::TracesData> found;
    for (const auto& id : *ids) {
      auto trace = reader_.GetTrace(id);
      if (absl::IsNotFound(trace.status())) continue;  // deleted since the index was read
      if (!trace.ok()) return trace.status();
      auto view = ViewTrace(*caller.access, std::move(*trace));
      if (view) found.push_back(std::move(*view));
    }
    return found;
  }();
  return Audited(caller, "FindTraces", std::move(params), started, std::move(traces));
}

absl::StatusOr<std::vector<TraceSummary>> QueryService::FindTraceSummaries(const Principal& caller,
                                                                           TraceQuery query) {
  absl::Time started = absl::Now();
  std::string params = QueryParamsJson(query);
  auto found = [&]() -> absl::StatusOr<std::vector<TraceSummary>> {
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
  }();
  return Audited(caller, "FindTraceSummaries", std::move(params), started, std::move(found));
}

namespace {

absl::Status NoSpanMetrics() {
  return absl::UnimplementedError("span metrics are not configured on this server");
}

std::string_view MetricKindName(spanmetrics::MetricKind kind) {
  switch (kind) {
    case spanmetrics::MetricKind::kLatencies:
      return "latencies";
    case spanmetrics::MetricKind::kCalls:
      return "calls";
    case spanmetrics::MetricKind::kErrors:
      return "errors";
  }
  return "";
}

}  // namespace

absl::StatusOr<std::vector<spanmetrics::DependencyLink>> QueryService::GetDependencies(
    const Principal& caller, absl::Time end, absl::Duration lookback, const std::string& service) {
  absl::Time started = absl::Now();
  auto links = [&]() -> absl::StatusOr<std::vector<spanmetrics::DependencyLink>> {
    if (absl::Status s = CheckCanRead(caller); !s.ok()) return s;
    if (span_metrics_ == nullptr) return NoSpanMetrics();
    auto all = span_metrics_->GetDependencies(end - lookback, end);
    if (!all.ok()) return all;
    std::erase_if(*all, [&](const spanmetrics::DependencyLink& link) {
      if (!service.empty() && link.parent != service && link.child != service) return true;
      return !caller.access->CanReadService(link.parent) ||
             !caller.access->CanReadService(link.child);
    });
    return all;
  }();
  return Audited(caller, "GetDependencies",
                 Json({{"end_unix_millis", absl::ToUnixMillis(end)},
                       {"lookback_millis", absl::ToInt64Milliseconds(lookback)},
                       {"service", service}}),
                 started, std::move(links));
}

absl::StatusOr<std::vector<spanmetrics::Series>> QueryService::GetMetrics(
    const Principal& caller, spanmetrics::MetricKind kind, spanmetrics::MetricsQuery query) {
  absl::Time started = absl::Now();
  nlohmann::json params = {{"metric", std::string(MetricKindName(kind))},
                           {"services", query.services},
                           {"span_kinds", query.span_kinds},
                           {"group_by_operation", query.group_by_operation},
                           {"end_unix_millis", absl::ToUnixMillis(query.end)},
                           {"lookback_millis", absl::ToInt64Milliseconds(query.lookback)},
                           {"step_millis", absl::ToInt64Milliseconds(query.step)},
                           {"rate_per_millis", absl::ToInt64Milliseconds(query.rate_per)}};
  if (kind == spanmetrics::MetricKind::kLatencies) params["quantile"] = query.quantile;
  auto series = [&]() -> absl::StatusOr<std::vector<spanmetrics::Series>> {
    if (absl::Status s = CheckCanRead(caller); !s.ok()) return s;
    if (span_metrics_ == nullptr) return NoSpanMetrics();
    std::set<std::string> services;
    for (const auto& s : query.services) {
      if (caller.access->CanReadService(s)) services.insert(s);
    }
    if (services.empty()) return std::vector<spanmetrics::Series>();
    auto minutes = span_metrics_->GetMetrics(spanmetrics::MetricsWindowStart(query), query.end,
                                             services, query.span_kinds);
    if (!minutes.ok()) return minutes.status();
    return spanmetrics::ComputeSeries(kind, query, *minutes);
  }();
  return Audited(caller, "GetMetrics", Json(std::move(params)), started, std::move(series));
}

namespace {

std::string FilterJson(const std::string& flow, const journeys::JourneyFilter& filter) {
  nlohmann::json j = {{"flow", flow}, {"limit", filter.limit}};
  if (filter.status) j["status"] = std::string(journeys::StatusName(*filter.status));
  if (filter.since != absl::InfinitePast())
    j["since_unix_millis"] = absl::ToUnixMillis(filter.since);
  return Json(std::move(j));
}

}  // namespace

absl::StatusOr<std::vector<std::string>> QueryService::ListFlows(const Principal& caller) const {
  if (absl::Status s = CheckCanRead(caller); !s.ok()) return s;
  std::vector<std::string> names;
  if (journeys_ == nullptr) return names;
  for (const journeys::Flow& f : journeys_->flows()) names.push_back(f.name);
  return names;
}

absl::StatusOr<const journeys::Flow*> QueryService::FindFlowDefinition(
    const std::string& flow) const {
  if (journeys_ == nullptr || journeys_->flows().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown flow \"", flow, "\": this server has no flows configured"));
  }
  std::vector<std::string> names;
  for (const journeys::Flow& f : journeys_->flows()) {
    if (f.name == flow) return &f;
    names.push_back(f.name);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown flow \"", flow, "\" (configured: ", absl::StrJoin(names, ", "), ")"));
}

absl::Status QueryService::CheckKept(JourneyView& view) {
  std::vector<TraceId> ids;
  for (const std::string& bytes : view.journey.state.AllTraceIds()) {
    auto id = TraceId::FromBytes(bytes);
    if (id.ok()) ids.push_back(*id);
  }
  auto summaries = reader_.GetSummaries(ids);
  if (!summaries.ok()) return summaries.status();
  std::set<TraceId> kept;
  for (const TraceSummary& s : *summaries) kept.insert(s.trace_id);
  for (const TraceId& id : ids) {
    JourneyTrace trace{id, kept.contains(id), false};
    if (!trace.kept) {
      auto pending = reader_.IsPending(id);
      if (!pending.ok()) return pending.status();
      trace.pending = *pending;
    }
    if (!trace.kept && !trace.pending) {
      // Kept between the two reads: asked again, after the pending answer.
      auto again = reader_.GetSummaries({id});
      if (!again.ok()) return again.status();
      trace.kept = !again->empty();
    }
    view.traces.push_back(trace);
  }
  return absl::OkStatus();
}

absl::StatusOr<JourneyView> QueryService::GetJourney(const Principal& caller,
                                                     const std::string& flow,
                                                     const std::string& key) {
  absl::Time started = absl::Now();
  auto found = [&]() -> absl::StatusOr<JourneyView> {
    if (absl::Status s = CheckCanRead(caller); !s.ok()) return s;
    auto f = FindFlowDefinition(flow);
    if (!f.ok()) return f.status();
    if (!IsWellFormedKey(key)) {
      return absl::InvalidArgumentError(
          "malformed key: it must be 1 to 256 bytes without control characters");
    }
    auto journey = journeys_->GetJourney(flow, key);
    if (!journey.ok()) return journey.status();
    auto view = ViewJourney(*caller.access, **f, *std::move(journey));
    if (!view) return absl::NotFoundError("no journey with this key");
    if (absl::Status s = CheckKept(*view); !s.ok()) return s;
    return *std::move(view);
  }();
  return Audited(caller, "GetJourney", Json({{"flow", flow}, {"key", key}}), started,
                 std::move(found));
}

absl::StatusOr<std::vector<JourneyView>> QueryService::ListJourneys(
    const Principal& caller, const std::string& flow, const journeys::JourneyFilter& filter) {
  absl::Time started = absl::Now();
  auto found = [&]() -> absl::StatusOr<std::vector<JourneyView>> {
    if (absl::Status s = CheckCanRead(caller); !s.ok()) return s;
    auto f = FindFlowDefinition(flow);
    if (!f.ok()) return f.status();
    // A restricted caller does not see every journey: read more, so a page is rarely short.
    journeys::JourneyFilter wide = filter;
    if (!caller.access->ReadsEverything()) wide.limit = std::min<size_t>(filter.limit * 4, 4000);
    auto journeys = journeys_->ListJourneys(flow, wide);
    if (!journeys.ok()) return journeys.status();
    std::vector<JourneyView> out;
    for (journeys::Journey& j : *journeys) {
      if (out.size() == filter.limit) break;
      auto view = ViewJourney(*caller.access, **f, std::move(j));
      if (view) out.push_back(*std::move(view));
    }
    return out;
  }();
  return Audited(caller, "ListJourneys", FilterJson(flow, filter), started, std::move(found));
}

}  // namespace spanvault
