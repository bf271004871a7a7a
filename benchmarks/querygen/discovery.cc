// Listing query targets through the Jaeger API (discovery.h).

#include "benchmarks/querygen/discovery.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace spanvault::bench {
namespace {

// The value of the first tag `key` of a Jaeger span, or "".
std::string TagValue(const nlohmann::json& span, std::string_view key) {
  const auto tags = span.find("tags");
  if (tags == span.end() || !tags->is_array()) return "";
  for (const auto& tag : *tags) {
    if (tag.value("key", "") == key && tag.contains("value") && tag["value"].is_string()) {
      return tag["value"].get<std::string>();
    }
  }
  return "";
}

TraceTarget ToTarget(const nlohmann::json& trace) {
  TraceTarget t;
  t.trace_id = trace.value("traceID", "");
  const nlohmann::json& spans = trace["spans"];
  t.spans = static_cast<int>(spans.size());
  t.start_us = INT64_MAX;
  for (const auto& span : spans) {
    t.start_us = std::min(t.start_us, span.value("startTime", INT64_MAX));
    if (t.order_id.empty()) t.order_id = TagValue(span, "order_id");
  }
  return t;
}

absl::StatusOr<std::vector<TraceTarget>> List(QueryClient& client, const std::string& path) {
  QueryAnswer answer = client.Get(path);
  if (answer.status == 0) {
    return absl::UnavailableError(absl::StrCat("GET ", path, ": no answer: ", answer.transport));
  }
  if (answer.status != 200) {
    return absl::UnavailableError(
        absl::StrCat("GET ", path, ": status ", answer.status, ": ", answer.body.substr(0, 200)));
  }
  auto targets = ParseTraces(answer.body);
  if (!targets.ok())
    return absl::InternalError(absl::StrCat("GET ", path, ": ", targets.status().message()));
  return targets;
}

std::string SearchPath(const DiscoveryOptions& o, int limit, int64_t start_us, int64_t end_us) {
  return absl::StrFormat("/api/traces?service=%s&start=%d&end=%d&limit=%d", UrlEncode(o.service),
                         start_us, end_us, limit);
}

}  // namespace

absl::StatusOr<std::vector<TraceTarget>> ParseTraces(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("data") || !j["data"].is_array()) {
    return absl::InternalError("not a Jaeger answer with a \"data\" array");
  }
  std::vector<TraceTarget> out;
  try {  // value() throws when a field has another type: the answer is not Jaeger's then
    for (const auto& trace : j["data"]) {
      if (!trace.is_object() || !trace.contains("spans") || !trace["spans"].is_array()) continue;
      out.push_back(ToTarget(trace));
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InternalError(absl::StrCat("unexpected Jaeger JSON: ", e.what()));
  }
  return out;
}

absl::StatusOr<Targets> Discover(QueryClient& client, const DiscoveryOptions& o, absl::Time now) {
  Targets targets;
  const int64_t now_us = absl::ToUnixMicros(now) + 60'000'000;  // clocks may differ a little
  const int64_t from_us = absl::ToUnixMicros(now - o.since);
  auto newest = List(client, SearchPath(o, o.newest, from_us, now_us));
  if (!newest.ok()) return newest.status();
  targets.newest = std::move(*newest);
  const int64_t step = std::max<int64_t>(1, (now_us - from_us) / std::max(1, o.slices));
  for (int64_t start = from_us; start < now_us; start += step) {
    auto slice = List(client, SearchPath(o, o.per_slice, start, std::min(start + step, now_us)));
    if (!slice.ok()) return slice.status();
    targets.spread.insert(targets.spread.end(), slice->begin(), slice->end());
  }
  if (targets.newest.empty() && targets.spread.empty()) {
    return absl::NotFoundError(absl::StrCat("no trace of service ", o.service, " found"));
  }
  return targets;
}

std::string UrlEncode(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

}  // namespace spanvault::bench
