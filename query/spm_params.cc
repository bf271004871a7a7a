#include "query/spm_params.h"

#include <optional>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace spanvault {
namespace {

absl::Status Bad(std::string_view name, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("unable to parse param '", std::string(name), "': ", std::string(why)));
}

// The first non-empty value of `name` (Go's FormValue), or nullopt.
std::optional<std::string> First(const QueryParams& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name && !v.empty()) return v;
  }
  return std::nullopt;
}

absl::Status OnlyKnown(const QueryParams& params, const std::set<std::string_view>& known) {
  for (const auto& [k, v] : params) {
    if (!known.contains(k)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", k, "'"));
    }
  }
  return absl::OkStatus();
}

// A millisecond parameter: a time (>= 0) or a duration (> 0), or `fallback` when absent.
absl::StatusOr<int64_t> Millis(const QueryParams& params, std::string_view name, int64_t fallback,
                               bool positive) {
  std::optional<std::string> text = First(params, name);
  if (!text) return fallback;
  int64_t ms = 0;
  if (!absl::SimpleAtoi(*text, &ms)) {
    return Bad(name, absl::StrCat("not an integer number of milliseconds: \"", *text, "\""));
  }
  if (positive ? ms <= 0 : ms < 0) {
    return Bad(name, positive ? "must be greater than 0" : "must not be negative");
  }
  if (ms > int64_t{1} << 50) return Bad(name, "out of range");
  return ms;
}

absl::StatusOr<std::set<std::string>> SpanKinds(const QueryParams& params) {
  std::set<std::string> kinds;
  for (const auto& [k, v] : params) {
    if (k != "spanKind" || v.empty()) continue;
    bool known = false;
    for (const char* name : spanmetrics::kSpanKindNames) known = known || v == name;
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("unable to parse param 'spanKind': unsupported span kind \"", v,
                       "\" (one of unspecified, internal, server, client, producer, consumer)"));
    }
    kinds.insert(v);
  }
  if (kinds.empty()) kinds.insert("server");
  return kinds;
}

absl::Status ParseQuantile(const QueryParams& params, spanmetrics::MetricsQuery& query) {
  std::optional<std::string> text = First(params, "quantile");
  if (!text) {
    return absl::InvalidArgumentError(
        "please provide a quantile between (0, 1]: parameter "
        "'quantile' is required");
  }
  double q = 0;
  if (!absl::SimpleAtod(*text, &q) || !(q > 0 && q <= 1)) {
    return Bad("quantile", absl::StrCat("must be a number in (0, 1], got \"", *text, "\""));
  }
  query.quantile = q;
  return absl::OkStatus();
}

absl::Status ParseGroupBy(const QueryParams& params, spanmetrics::MetricsQuery& query) {
  std::optional<std::string> text = First(params, "groupByOperation");
  if (!text) return absl::OkStatus();
  if (*text == "true" || *text == "1" || *text == "True" || *text == "TRUE" || *text == "t") {
    query.group_by_operation = true;
  } else if (*text == "false" || *text == "0" || *text == "False" || *text == "FALSE" ||
             *text == "f") {
    query.group_by_operation = false;
  } else {
    return Bad("groupByOperation", absl::StrCat("not a boolean: \"", *text, "\""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DependenciesRequest> ParseDependencies(const QueryParams& params, absl::Time now) {
  absl::Status known = OnlyKnown(params, {"endTs", "lookback", "service", "prettyPrint"});
  if (!known.ok()) return known;
  DependenciesRequest out;
  auto end = Millis(params, "endTs", absl::ToUnixMillis(now), /*positive=*/false);
  if (!end.ok()) return end.status();
  auto lookback = Millis(params, "lookback", 24 * 3600 * 1000, /*positive=*/true);
  if (!lookback.ok()) return lookback.status();
  out.end = absl::FromUnixMillis(*end);
  out.lookback = absl::Milliseconds(*lookback);
  out.service = First(params, "service").value_or("");
  return out;
}

absl::StatusOr<spanmetrics::MetricsQuery> ParseMetricsQuery(const QueryParams& params,
                                                            bool latencies, absl::Time now) {
  // The Jaeger UI sends its quantile to calls and errors too; only latencies reads it.
  std::set<std::string_view> known = {"service",    "groupByOperation", "endTs",    "lookback",
                                      "step",       "ratePer",          "spanKind", "quantile",
                                      "prettyPrint"};
  absl::Status allowed = OnlyKnown(params, known);
  if (!allowed.ok()) return allowed;
  spanmetrics::MetricsQuery query;
  for (const auto& [k, v] : params) {
    if (k == "service" && !v.empty()) query.services.push_back(v);
  }
  if (query.services.empty()) {
    return absl::InvalidArgumentError("please provide at least one service name");
  }
  if (absl::Status s = ParseGroupBy(params, query); !s.ok()) return s;
  auto end = Millis(params, "endTs", absl::ToUnixMillis(now), false);
  if (!end.ok()) return end.status();
  auto lookback = Millis(params, "lookback", 3600 * 1000, true);
  if (!lookback.ok()) return lookback.status();
  auto step = Millis(params, "step", 5 * 1000, true);
  if (!step.ok()) return step.status();
  auto rate_per = Millis(params, "ratePer", 600 * 1000, true);
  if (!rate_per.ok()) return rate_per.status();
  if (*lookback / *step + 1 > kMaxMetricPoints) {
    return Bad("step", absl::StrCat("lookback / step gives more than ", kMaxMetricPoints,
                                    " points; use a larger step"));
  }
  auto kinds = SpanKinds(params);
  if (!kinds.ok()) return kinds.status();
  query.span_kinds = *std::move(kinds);
  query.end = absl::FromUnixMillis(*end);
  query.lookback = absl::Milliseconds(*lookback);
  query.step = absl::Milliseconds(*step);
  query.rate_per = absl::Milliseconds(*rate_per);
  if (latencies) {
    if (absl::Status s = ParseQuantile(params, query); !s.ok()) return s;
  }
  return query;
}

}  // namespace spanvault
