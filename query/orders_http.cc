#include "query/orders_http.h"

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/duration.h"
#include "common/wire_status.h"
#include "nlohmann/json.hpp"

namespace spanvault {
namespace {

using json = nlohmann::json;
using journeys::JourneyStatus;

std::string Dump(const json& body, bool pretty) {
  return body.dump(pretty ? 4 : -1, ' ', false, json::error_handler_t::replace);
}

json Envelope(json data, int total) {
  return json{{"data", std::move(data)},
              {"total", total},
              {"limit", 0},
              {"offset", 0},
              {"errors", nullptr}};
}

HttpResponse Error(const absl::Status& status) {
  int http = HttpStatusFor(status);
  json body = Envelope(nullptr, 0);
  body["errors"] = json::array({{{"code", http}, {"msg", std::string(status.message())}}});
  return HttpResponse::Json(http, Dump(body, false));
}

absl::Status BadParam(const std::string& name, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat("parameter '", name, "': ", message));
}

// The value of `name`, or nullopt.
std::optional<std::string> Param(const QueryParams& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return std::nullopt;
}

absl::Status OnlyParams(const QueryParams& params, const std::set<std::string_view>& allowed) {
  for (const auto& [k, v] : params) {
    if (!allowed.contains(k)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", k, "'"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> FlowParam(const QueryParams& params) {
  auto flow = Param(params, "flow");
  if (!flow || flow->empty())
    return BadParam("flow", "is required (the name of a configured flow)");
  return *flow;
}

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

HttpResponse OrderResponse(QueryService& queries, const Principal& caller, const std::string& key,
                           const QueryParams& params, bool pretty) {
  if (absl::Status s = OnlyParams(params, {"flow", "prettyPrint"}); !s.ok()) return Error(s);
  auto flow = FlowParam(params);
  if (!flow.ok()) return Error(flow.status());
  auto view = queries.GetJourney(caller, *flow, key);
  if (!view.ok()) return Error(view.status());
  auto definition = queries.FindFlowDefinition(*flow);
  if (!definition.ok()) return Error(definition.status());
  return HttpResponse::Json(200, Dump(Envelope(JourneyJson(**definition, *view), 1), pretty));
}

HttpResponse OrdersListResponse(QueryService& queries, const Principal& caller,
                                const QueryParams& params, bool pretty) {
  absl::Status allowed = OnlyParams(params, {"flow", "status", "since", "limit", "prettyPrint"});
  if (!allowed.ok()) return Error(allowed);
  auto flow = FlowParam(params);
  if (!flow.ok()) return Error(flow.status());
  auto filter = ParseFilter(params, absl::Now());
  if (!filter.ok()) return Error(filter.status());
  auto views = queries.ListJourneys(caller, *flow, *filter);
  if (!views.ok()) return Error(views.status());
  auto definition = queries.FindFlowDefinition(*flow);
  if (!definition.ok()) return Error(definition.status());
  json data = json::array();
  for (const JourneyView& view : *views) data.push_back(SummaryJson(**definition, view));
  return HttpResponse::Json(
      200, Dump(Envelope(std::move(data), static_cast<int>(views->size())), pretty));
}

HttpResponse FlowsResponse(QueryService& queries, const Principal& caller,
                           const QueryParams& params, bool pretty) {
  if (absl::Status s = OnlyParams(params, {"prettyPrint"}); !s.ok()) return Error(s);
  auto names = queries.ListFlows(caller);
  if (!names.ok()) return Error(names.status());
  int total = static_cast<int>(names->size());
  return HttpResponse::Json(200, Dump(Envelope(*std::move(names), total), pretty));
}

}  // namespace spanvault
