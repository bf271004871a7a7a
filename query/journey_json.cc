#include "query/journey_json.h"

#include <optional>
#include <set>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/duration.h"

namespace spanvault {
namespace {

using json = nlohmann::json;
using journeys::JourneyStatus;

std::string Time(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

double Millis(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

std::string TraceHex(const std::string& bytes) {
  auto id = TraceId::FromBytes(bytes);
  return id.ok() ? id->ToHex() : "";
}

json VerdictJson(const journeys::Verdict& v) {
  json out = {{"status", std::string(journeys::StatusName(v.status))}};
  out["step"] = v.step.empty() ? json(nullptr) : json(v.step);
  if (v.status == JourneyStatus::kStuck) {
    out["after"] = v.after;
    out["waitingMs"] = Millis(v.waiting);
  }
  if (!v.message.empty()) out["message"] = v.message;
  return out;
}

json StepJson(const journeys::FlowStep& step, const journeys::JourneyState& state,
              const std::set<std::string>& hidden, const journeys::StepHit** previous) {
  json out = {{"name", step.name}};
  auto it = state.steps.find(step.name);
  if (it == state.steps.end()) {
    out["reached"] = hidden.contains(step.name);
    if (hidden.contains(step.name)) out["hidden"] = true;
    return out;
  }
  const journeys::StepHit& hit = it->second;
  std::string trace = TraceHex(hit.trace_id);
  out["reached"] = true;
  out["service"] = hit.service;
  out["operation"] = hit.operation;
  out["spanKind"] = std::string(SpanKindName(hit.kind));
  out["start"] = Time(hit.start);
  out["startUnixMicros"] = absl::ToUnixMicros(hit.start);
  out["durationMs"] = Millis(hit.duration);
  auto error = state.errors.find(step.name);
  out["status"] = error == state.errors.end() ? "ok" : "error";
  if (error != state.errors.end()) out["error"] = error->second.error_message;
  out["gapMs"] =
      *previous == nullptr ? json(nullptr) : json(Millis(hit.start - (*previous)->start));
  out["traceID"] = trace;
  out["spanID"] = BytesToHex(hit.span_id);
  out["traceUrl"] = absl::StrCat("/trace/", trace);
  *previous = &hit;
  return out;
}

json SummaryJson(const journeys::Flow& flow, const JourneyView& view) {
  const journeys::Journey& j = view.journey;
  json out = {{"flow", j.flow},
              {"key", j.key},
              {"verdict", VerdictJson(j.verdict)},
              {"firstSeen", Time(j.state.first_seen)},
              {"updated", Time(j.state.updated)}};
  auto last = journeys::LastReached(flow, j.state);
  out["lastStep"] = last ? json(flow.steps[*last].name) : json(nullptr);
  return out;
}

json JourneyJson(const journeys::Flow& flow, const JourneyView& view) {
  json out = SummaryJson(flow, view);
  std::set<std::string> hidden(view.hidden_steps.begin(), view.hidden_steps.end());
  json steps = json::array();
  const journeys::StepHit* previous = nullptr;
  for (const journeys::FlowStep& step : flow.steps) {
    steps.push_back(StepJson(step, view.journey.state, hidden, &previous));
  }
  out["steps"] = std::move(steps);
  json traces = json::array();
  for (const JourneyTrace& t : view.traces) {
    std::string hex = t.trace_id.ToHex();
    traces.push_back({{"traceID", hex},
                      {"url", absl::StrCat("/trace/", hex)},
                      {"kept", t.kept},
                      {"pending", t.pending}});
  }
  out["traces"] = std::move(traces);
  return out;
}

absl::StatusOr<journeys::JourneyFilter> ParseFilter(const QueryParams& params, absl::Time now) {
  journeys::JourneyFilter filter;
  if (auto status = Param(params, "status"); status && !status->empty()) {
    filter.status = journeys::StatusFromName(*status);
    if (!filter.status) {
      return BadParam("status", absl::StrCat("unknown status \"", *status,
                                             "\" (one of stuck, failed, in_progress, completed)"));
    }
  }
  if (auto since = Param(params, "since"); since && !since->empty()) {
    auto nanos = ParseGoDurationNanos(*since);
    if (!nanos.ok()) {
      return BadParam("since",
                      absl::StrCat("must be a duration such as 1h: ", nanos.status().message()));
    }
    absl::Duration d = absl::Nanoseconds(static_cast<int64_t>(*nanos));
    if (d <= absl::ZeroDuration() || d > kMaxOrdersSince) {
      return BadParam("since", "out of range: a duration above 0 and at most 192h (8 days)");
    }
    filter.since = now - d;
  }
  if (auto limit = Param(params, "limit"); limit && !limit->empty()) {
    int n = 0;
    if (!absl::SimpleAtoi(*limit, &n) || n < 1 || n > kMaxOrdersLimit) {
      return BadParam("limit", absl::StrCat("must be an integer from 1 to ", kMaxOrdersLimit));
    }
    filter.limit = static_cast<size_t>(n);
  }
  return filter;
}

}  // namespace

absl::StatusOr<json> OrderData(QueryService& queries, const Principal& caller,
                               const std::string& flow, const std::string& key) {
  auto view = queries.GetJourney(caller, flow, key);
  if (!view.ok()) return view.status();
  auto definition = queries.FindFlowDefinition(flow);
  if (!definition.ok()) return definition.status();
  return JourneyJson(**definition, *view);
}

absl::StatusOr<json> OrdersListData(QueryService& queries, const Principal& caller,
                                    const std::string& flow, const QueryParams& filter,
                                    absl::Time now) {
  auto parsed = ParseFilter(filter, now);
  if (!parsed.ok()) return parsed.status();
  auto views = queries.ListJourneys(caller, flow, *parsed);
  if (!views.ok()) return views.status();
  auto definition = queries.FindFlowDefinition(flow);
  if (!definition.ok()) return definition.status();
  json data = json::array();
  for (const JourneyView& view : *views) data.push_back(SummaryJson(**definition, view));
  return data;
}

absl::Status BadParam(const std::string& name, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat("parameter '", name, "': ", message));
}

std::optional<std::string> Param(const QueryParams& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::string DumpJson(const json& body, bool pretty) {
  return body.dump(pretty ? 4 : -1, ' ', false, json::error_handler_t::replace);
}

}  // namespace spanvault
