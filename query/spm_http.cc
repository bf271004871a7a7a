#include "query/spm_http.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/wire_status.h"
#include "nlohmann/json.hpp"
#include "query/spm_params.h"

namespace spanvault {
namespace {

using json = nlohmann::json;
using spanmetrics::MetricKind;

// The finest step the aggregates resolve (minute buckets).
constexpr int64_t kMinStepMillis = 60'000;

std::string Dump(const json& body, bool pretty) {
  return body.dump(pretty ? 4 : -1, ' ', false, json::error_handler_t::replace);
}

json Envelope(json data) {
  return json{
      {"data", std::move(data)}, {"total", 0}, {"limit", 0}, {"offset", 0}, {"errors", nullptr}};
}

HttpResponse Error(const absl::Status& status) {
  int http = HttpStatusFor(status);
  if (status.code() == absl::StatusCode::kUnimplemented) http = 501;  // Jaeger's "disabled"
  json body = Envelope(nullptr);
  body["errors"] = json::array({{{"code", http}, {"msg", std::string(status.message())}}});
  return HttpResponse::Json(http, Dump(body, false));
}

// RFC 3339 in UTC as jsonpb writes a Timestamp (0 or 3 fraction digits here: times are ms).
std::string Timestamp(absl::Time t) {
  bool whole = absl::ToUnixMillis(t) % 1000 == 0;
  return absl::FormatTime(whole ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%dT%H:%M:%E3SZ", t,
                          absl::UTCTimeZone());
}

struct FamilyText {
  std::string name;
  std::string help;
};

FamilyText NameAndHelp(MetricKind kind, const spanmetrics::MetricsQuery& q) {
  std::string by = q.group_by_operation ? "service & operation" : "service";
  std::string prefix = q.group_by_operation ? "service_operation_" : "service_";
  switch (kind) {
    case MetricKind::kLatencies:
      return {prefix + "latencies",
              absl::StrCat(q.quantile, "th quantile latency, grouped by ", by)};
    case MetricKind::kCalls:
      return {prefix + "call_rate", absl::StrCat("calls/sec, grouped by ", by)};
    case MetricKind::kErrors:
      return {prefix + "error_rate",
              absl::StrCat("error rate, computed as a fraction of errors/sec over calls/sec, "
                           "grouped by ",
                           by)};
  }
  return {};
}

json FamilyJson(MetricKind kind, const spanmetrics::MetricsQuery& q,
                const std::vector<spanmetrics::Series>& series) {
  FamilyText text = NameAndHelp(kind, q);
  json metrics = json::array();
  for (const auto& s : series) {
    json labels = json::array({{{"name", "service_name"}, {"value", s.service}}});
    if (q.group_by_operation) labels.push_back({{"name", "operation"}, {"value", s.operation}});
    json points = json::array();
    for (const auto& p : s.points) {
      points.push_back(
          {{"gaugeValue", {{"doubleValue", p.value}}}, {"timestamp", Timestamp(p.time)}});
    }
    metrics.push_back({{"labels", std::move(labels)}, {"metricPoints", std::move(points)}});
  }
  return {{"name", text.name}, {"type", "GAUGE"}, {"help", text.help}, {"metrics", metrics}};
}

}  // namespace

HttpResponse DependenciesResponse(QueryService& queries, const Principal& caller,
                                  const QueryParams& params, bool pretty) {
  auto request = ParseDependencies(params, absl::Now());
  if (!request.ok()) return Error(request.status());
  auto links = queries.GetDependencies(caller, request->end, request->lookback, request->service);
  if (!links.ok()) return Error(links.status());
  json data = json::array();
  for (const auto& link : *links) {
    data.push_back(
        {{"parent", link.parent}, {"child", link.child}, {"callCount", link.call_count}});
  }
  return HttpResponse::Json(200, Dump(Envelope(std::move(data)), pretty));
}

HttpResponse MetricsResponse(QueryService& queries, const Principal& caller, std::string_view which,
                             const QueryParams& params, bool pretty) {
  if (which == "minstep") {
    return HttpResponse::Json(200, Dump(Envelope(kMinStepMillis), pretty));
  }
  MetricKind kind;
  if (which == "latencies") {
    kind = MetricKind::kLatencies;
  } else if (which == "calls") {
    kind = MetricKind::kCalls;
  } else if (which == "errors") {
    kind = MetricKind::kErrors;
  } else {
    return Error(
        absl::NotFoundError(absl::StrCat("unknown API path /api/metrics/", std::string(which))));
  }
  auto query = ParseMetricsQuery(params, kind == MetricKind::kLatencies, absl::Now());
  if (!query.ok()) return Error(query.status());
  auto series = queries.GetMetrics(caller, kind, *query);
  if (!series.ok()) return Error(series.status());
  return HttpResponse::Json(200, Dump(FamilyJson(kind, *query, *series), pretty));
}

}  // namespace spanvault
