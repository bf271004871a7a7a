#include "query/jaeger_http_api.h"

#include <set>
#include <span>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "auth/login_throttle.h"
#include "common/otlp_json.h"
#include "common/wire_status.h"
#include "nlohmann/json.hpp"
#include "query/jaeger_trace_text.h"
#include "query/orders_http.h"
#include "query/orders_page.h"
#include "query/query_params.h"
#include "query/spm_http.h"

namespace spanvault {
namespace {

using json = nlohmann::json;

// Everything an API handler needs from the request.
struct ApiCall {
  const HttpRequest& request;
  QueryParams params;
  Principal caller;
  bool pretty = false;
};

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

HttpResponse ClassicOk(const ApiCall& call, json data, int total = 0) {
  return HttpResponse::Json(200, Dump(Envelope(std::move(data), total), call.pretty));
}

HttpResponse ClassicError(int http, std::string_view message) {
  json body = Envelope(nullptr, 0);
  body["errors"] = json::array({{{"code", http}, {"msg", std::string(message)}}});
  return HttpResponse::Json(http, Dump(body, false));
}

HttpResponse ClassicError(const absl::Status& status) {
  return ClassicError(HttpStatusFor(status), std::string(status.message()));
}

HttpResponse V3Ok(const ApiCall& call, const json& body) {
  return HttpResponse::Json(200, Dump(body, call.pretty));
}

HttpResponse V3Error(int http, std::string_view message) {
  json body = {{"error", {{"httpCode", http}, {"message", std::string(message)}}}};
  return HttpResponse::Json(http, Dump(body, false));
}

HttpResponse V3Error(const absl::Status& status) {
  return V3Error(HttpStatusFor(status), std::string(status.message()));
}

// The value of `name`, or "".
std::string Param(const ApiCall& call, std::string_view name) {
  for (const auto& [k, v] : call.params) {
    if (k == name) return v;
  }
  return "";
}

// kInvalidArgument for any parameter not in `allowed`.
absl::Status OnlyParams(const ApiCall& call, const std::set<std::string_view>& allowed) {
  for (const auto& [k, v] : call.params) {
    if (!allowed.count(k))
      return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", k, "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<TraceId> ParseTraceIdInPath(std::string_view text) {
  auto id = TraceId::FromJaegerHex(text);
  if (!id.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("malformed trace id: ", id.status().message()));
  }
  return id;
}

constexpr std::string_view kPendingWarnings[] = {
    "this trace is waiting for its tail-sampling decision: it is not searchable yet and may "
    "still be dropped"};

// Traces are rendered straight into the body (query/jaeger_trace_text.h): building them as a
// json document first cost most of a trace answer's time in allocations.
HttpResponse TracesOk(const ApiCall& call, std::span<const otlp::TracesData> traces,
                      std::span<const std::string_view> warnings) {
  return HttpResponse::Json(200, JaegerTracesBody(traces, warnings, {}, call.pretty));
}

// --- classic /api/* ---------------------------------------------------------------------

HttpResponse ClassicServices(QueryService& q, const ApiCall& call) {
  absl::Status allowed = OnlyParams(call, {"prettyPrint"});
  if (!allowed.ok()) return ClassicError(allowed);
  auto services = q.GetServices(call.caller);
  if (!services.ok()) return ClassicError(services.status());
  return ClassicOk(call, *services, static_cast<int>(services->size()));
}

HttpResponse ClassicServiceOperations(QueryService& q, const ApiCall& call,
                                      const std::string& service) {
  absl::Status allowed = OnlyParams(call, {"prettyPrint", "spanKind"});
  if (!allowed.ok()) return ClassicError(allowed);
  auto ops = q.GetOperations(call.caller, service, Param(call, "spanKind"));
  if (!ops.ok()) return ClassicError(ops.status());
  std::set<std::string> names;
  for (const auto& op : *ops) names.insert(op.name);
  return ClassicOk(call, json(names), static_cast<int>(names.size()));
}

HttpResponse ClassicOperations(QueryService& q, const ApiCall& call) {
  absl::Status allowed = OnlyParams(call, {"prettyPrint", "service", "spanKind"});
  if (!allowed.ok()) return ClassicError(allowed);
  std::string service = Param(call, "service");
  if (service.empty()) {
    return ClassicError(absl::InvalidArgumentError("parameter 'service' is required"));
  }
  auto ops = q.GetOperations(call.caller, service, Param(call, "spanKind"));
  if (!ops.ok()) return ClassicError(ops.status());
  json data = json::array();
  for (const auto& op : *ops) data.push_back({{"name", op.name}, {"spanKind", op.span_kind}});
  return ClassicOk(call, std::move(data), static_cast<int>(ops->size()));
}

HttpResponse ClassicTraceById(QueryService& q, const ApiCall& call, std::string_view id_text) {
  absl::Status allowed = OnlyParams(call, {"prettyPrint", "raw", "start", "end"});
  if (!allowed.ok()) return ClassicError(allowed);
  auto id = ParseTraceIdInPath(id_text);
  if (!id.ok()) return ClassicError(id.status());
  // Asked before and after the read: a decision committed in between would otherwise show the
  // spans as they were before it (no sampling.policy) without the pending warning.
  auto pending_before = q.IsPending(call.caller, *id);
  auto trace = q.GetTrace(call.caller, *id);
  if (!trace.ok()) return ClassicError(trace.status());
  if (!pending_before.ok()) return ClassicError(pending_before.status());
  auto pending_after = q.IsPending(call.caller, *id);
  if (!pending_after.ok()) return ClassicError(pending_after.status());
  std::span<const std::string_view> warnings;
  if (*pending_before || *pending_after) warnings = kPendingWarnings;
  return TracesOk(call, std::span(&*trace, 1), warnings);
}

// POST /api/archive/{id}: 200 with empty data, as Jaeger answers.
HttpResponse ClassicArchive(QueryService& q, const ApiCall& call, std::string_view id_text) {
  absl::Status allowed = OnlyParams(call, {"prettyPrint", "start", "end"});
  if (!allowed.ok()) return ClassicError(allowed);
  auto id = ParseTraceIdInPath(id_text);
  if (!id.ok()) return ClassicError(id.status());
  absl::Status archived = q.ArchiveTrace(call.caller, *id);
  if (!archived.ok()) return ClassicError(archived);
  json body = Envelope(json::array(), 0);
  body["errors"] = json::array();
  return HttpResponse::Json(200, Dump(body, call.pretty));
}

HttpResponse ClassicTracesByIds(QueryService& q, const ApiCall& call,
                                const std::vector<TraceId>& ids) {
  std::vector<otlp::TracesData> traces;
  std::vector<JaegerTraceError> errors;
  for (const auto& id : ids) {
    auto trace = q.GetTrace(call.caller, id);
    if (trace.ok()) {
      traces.push_back(*std::move(trace));
    } else if (absl::IsNotFound(trace.status())) {
      errors.push_back({.msg = "trace not found", .trace_id = id.ToJaegerHex()});
    } else {
      return ClassicError(trace.status());
    }
  }
  return HttpResponse::Json(200, JaegerTracesBody(traces, {}, errors, call.pretty));
}

HttpResponse ClassicSearchTraces(QueryService& q, const ApiCall& call) {
  auto search = ParseClassicSearch(call.params, absl::Now());
  if (!search.ok()) return ClassicError(search.status());
  if (!search->trace_ids.empty()) return ClassicTracesByIds(q, call, search->trace_ids);
  auto traces = q.FindTraces(call.caller, search->query);
  if (!traces.ok()) return ClassicError(traces.status());
  return TracesOk(call, *traces, {});
}

// --- /api/v3/* -----------------------------------------------------------------------------

// Parameters a v3 call may carry besides its own.
const std::set<std::string_view> kV3Common = {"prettyPrint"};

HttpResponse V3Services(QueryService& q, const ApiCall& call) {
  absl::Status allowed = OnlyParams(call, kV3Common);
  if (!allowed.ok()) return V3Error(allowed);
  auto services = q.GetServices(call.caller);
  if (!services.ok()) return V3Error(services.status());
  return V3Ok(call, {{"services", *services}});
}

HttpResponse V3Operations(QueryService& q, const ApiCall& call) {
  absl::Status allowed = OnlyParams(call, {"prettyPrint", "service", "spanKind", "span_kind"});
  if (!allowed.ok()) return V3Error(allowed);
  std::string service = Param(call, "service");
  if (service.empty())
    return V3Error(absl::InvalidArgumentError("parameter 'service' is required"));
  std::string kind = Param(call, "spanKind");
  if (kind.empty()) kind = Param(call, "span_kind");
  auto ops = q.GetOperations(call.caller, service, kind);
  if (!ops.ok()) return V3Error(ops.status());
  std::set<std::pair<std::string, std::string>> unique;
  for (const auto& op : *ops)
    unique.emplace(op.name, op.span_kind.empty() ? "internal" : op.span_kind);
  json operations = json::array();
  for (const auto& [name, span_kind] : unique) {
    operations.push_back({{"name", name}, {"spanKind", span_kind}});
  }
  return V3Ok(call, {{"operations", std::move(operations)}});
}

HttpResponse V3TraceById(QueryService& q, const ApiCall& call, std::string_view id_text) {
  absl::Status allowed = OnlyParams(call, {"prettyPrint", "startTime", "endTime", "rawTraces",
                                           "start_time", "end_time", "raw_traces"});
  if (!allowed.ok()) return V3Error(allowed);
  auto id = ParseTraceIdInPath(id_text);
  if (!id.ok()) return V3Error(id.status());
  auto trace = q.GetTrace(call.caller, *id);
  if (!trace.ok()) return V3Error(trace.status());
  return V3Ok(call, {{"result", TracesDataToJson(*trace)}});
}

// The api_v3 search parameters without prettyPrint, which ParseV3Search does not know.
QueryParams WithoutPretty(const QueryParams& params) {
  QueryParams out;
  for (const auto& p : params) {
    if (p.first != "prettyPrint") out.push_back(p);
  }
  return out;
}

HttpResponse V3FindTraces(QueryService& q, const ApiCall& call) {
  auto query = ParseV3Search(WithoutPretty(call.params));
  if (!query.ok()) return V3Error(query.status());
  auto traces = q.FindTraces(call.caller, *query);
  if (!traces.ok()) return V3Error(traces.status());
  if (traces->empty()) return V3Error(absl::NotFoundError("No traces found"));
  otlp::TracesData merged;
  for (auto& trace : *traces) {
    for (auto& rs : *trace.mutable_resource_spans()) *merged.add_resource_spans() = std::move(rs);
  }
  return V3Ok(call, {{"result", TracesDataToJson(merged)}});
}

json SummaryToJson(const TraceSummary& s) {
  json services = json::array();
  for (const auto& svc : s.services) {
    services.push_back({{"name", svc.name},
                        {"spanCount", svc.span_count},
                        {"errorSpanCount", svc.error_span_count}});
  }
  return {{"traceId", s.trace_id.ToHex()},
          {"rootServiceName", s.root_service_name},
          {"rootOperationName", s.root_operation_name},
          {"minStartTimeUnixNano", absl::StrCat(s.min_start_time_unix_nano)},
          {"maxEndTimeUnixNano", absl::StrCat(s.max_end_time_unix_nano)},
          {"spanCount", s.span_count},
          {"errorSpanCount", s.error_span_count},
          {"orphanSpanCount", 0},
          {"services", std::move(services)}};
}

HttpResponse V3TraceSummaries(QueryService& q, const ApiCall& call) {
  auto query = ParseV3Search(WithoutPretty(call.params));
  if (!query.ok()) return V3Error(query.status());
  auto summaries = q.FindTraceSummaries(call.caller, *query);
  if (!summaries.ok()) return V3Error(summaries.status());
  json out = json::array();
  for (const auto& s : *summaries) out.push_back(SummaryToJson(s));
  return V3Ok(call, {{"summaries", std::move(out)}});
}

bool IsPretty(const QueryParams& params) {
  for (const auto& [k, v] : params) {
    if (k == "prettyPrint") return !v.empty() && v != "false";
  }
  return false;
}

HttpResponse RouteV3(QueryService& q, const ApiCall& call, std::string_view rest) {
  if (rest == "services") return V3Services(q, call);
  if (rest == "operations") return V3Operations(q, call);
  if (rest == "traces") return V3FindTraces(q, call);
  if (rest == "trace-summaries") return V3TraceSummaries(q, call);
  if (rest.starts_with("traces/")) return V3TraceById(q, call, rest.substr(7));
  return V3Error(absl::NotFoundError(absl::StrCat("unknown API path /api/v3/", std::string(rest))));
}

HttpResponse RouteClassic(QueryService& q, const ApiCall& call, std::string_view rest) {
  if (rest == "services") return ClassicServices(q, call);
  if (rest == "operations") return ClassicOperations(q, call);
  if (rest == "traces") return ClassicSearchTraces(q, call);
  if (rest.starts_with("traces/")) return ClassicTraceById(q, call, rest.substr(7));
  if (rest == "flows") return FlowsResponse(q, call.caller, call.params, call.pretty);
  if (rest == "orders") return OrdersListResponse(q, call.caller, call.params, call.pretty);
  if (rest.starts_with("orders/")) {
    return OrderResponse(q, call.caller, PercentDecode(rest.substr(7), false), call.params,
                         call.pretty);
  }
  if (rest == "dependencies") return DependenciesResponse(q, call.caller, call.params, call.pretty);
  if (rest.starts_with("metrics/")) {
    return MetricsResponse(q, call.caller, rest.substr(8), call.params, call.pretty);
  }
  if (rest.starts_with("services/") && rest.ends_with("/operations")) {
    std::string_view service = rest.substr(9, rest.size() - 9 - 11);
    return ClassicServiceOperations(q, call, PercentDecode(service, false));
  }
  return ClassicError(
      absl::NotFoundError(absl::StrCat("unknown API path /api/", std::string(rest))));
}

// The answer to a request whose caller is not known: 401 with the Basic challenge, 429 with
// Retry-After while logins are throttled, else the status's own code.
HttpResponse AuthError(const HttpRequest& request, const absl::Status& status) {
  bool api = request.path.starts_with("/api/");
  bool v3 = request.path.starts_with("/api/v3/");
  HttpResponse r =
      !api ? HttpResponse::Text(HttpStatusFor(status), absl::StrCat(status.message(), "\n"))
      : v3 ? V3Error(status)
           : ClassicError(status);
  if (status.code() == absl::StatusCode::kUnauthenticated) {
    r.AddHeader("WWW-Authenticate", "Basic realm=\"spanvault\", charset=\"UTF-8\"");
  }
  if (auto retry = RetryAfterOf(status)) {
    r.AddHeader("Retry-After", absl::StrCat(std::max<int64_t>(1, absl::ToInt64Seconds(*retry))));
  }
  return r;
}

}  // namespace

HttpResponse JaegerHttpApi::Route(const HttpRequest& request, Principal caller) {
  caller.api = absl::StrCat("query_http ", request.method, " ", request.path);
  ApiCall call{request, ParseQueryString(request.query), std::move(caller)};
  call.pretty = IsPretty(call.params);
  std::string_view path = request.path;
  bool v3 = path.starts_with("/api/v3/");
  if (path.starts_with("/api/archive/")) {
    if (request.method != "POST") {
      return ClassicError(405, "method not allowed: use POST").AddHeader("Allow", "POST");
    }
    return ClassicArchive(queries_, call, path.substr(13));
  }
  if (request.method != "GET") {
    constexpr std::string_view kMessage = "method not allowed: use GET";
    return (v3 ? V3Error(405, kMessage) : ClassicError(405, kMessage))
        .AddHeader("Allow", "GET, HEAD");
  }
  if (v3) return RouteV3(queries_, call, path.substr(8));
  return RouteClassic(queries_, call, path.substr(5));
}

void JaegerHttpApi::Handle(HttpRequest request, HttpRespond respond) {
  absl::StatusOr<Principal> caller =
      caller_of_ ? caller_of_(request) : Principal::Anonymous(request.remote_address);
  if (!caller.ok()) return std::move(respond)(AuthError(request, caller.status()));
  if (IsOrdersPagePath(request.path)) return std::move(respond)(OrdersPageResponse(request));
  if (!request.path.starts_with("/api/")) {
    if (ui_ != nullptr) return ui_->Handle(std::move(request), std::move(respond));
    std::move(respond)(HttpResponse::Text(
        404, "not found: this spanvault serves no UI (start it with --ui-dir DIR)\n"));
    return;
  }
  std::move(respond)(Route(request, *std::move(caller)));
}

}  // namespace spanvault
