#include "query/grpc_query_params.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace spanvault {
namespace {

using google::protobuf::Duration;
using google::protobuf::Timestamp;

constexpr uint64_t kNoBound = std::numeric_limits<uint64_t>::max();
// 9999-12-31T23:59:59Z, the largest second google.protobuf.Timestamp allows.
constexpr int64_t kMaxTimestampSeconds = 253402300799;
constexpr int32_t kNanosPerSecond = 1'000'000'000;

absl::Status Invalid(std::string_view field, std::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(problem)));
}

absl::StatusOr<uint64_t> TimestampNanos(const Timestamp& t, std::string_view field) {
  if (t.nanos() < 0 || t.nanos() >= kNanosPerSecond) {
    return Invalid(field, "nanos must be in [0, 999999999]");
  }
  if (t.seconds() < 0) return Invalid(field, "is before 1970");
  if (t.seconds() > kMaxTimestampSeconds) return Invalid(field, "is after year 9999");
  return static_cast<uint64_t>(t.seconds()) * kNanosPerSecond + static_cast<uint64_t>(t.nanos());
}

// An optional timestamp field: nullopt when unset.
absl::StatusOr<std::optional<uint64_t>> OptionalTime(bool present, const Timestamp& t,
                                                     std::string_view field) {
  if (!present) return std::nullopt;
  SV_ASSIGN_OR_RETURN(uint64_t nanos, TimestampNanos(t, field));
  return nanos;
}

absl::StatusOr<std::optional<uint64_t>> OptionalDuration(bool present, const Duration& d,
                                                         std::string_view field) {
  if (!present) return std::nullopt;
  if (d.seconds() < 0 || d.nanos() < 0) return Invalid(field, "must not be negative");
  if (d.nanos() >= kNanosPerSecond) return Invalid(field, "nanos must be in [0, 999999999]");
  constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / kNanosPerSecond - 1;
  if (d.seconds() > kMaxSeconds) return Invalid(field, "is too long");
  return static_cast<uint64_t>(d.seconds()) * kNanosPerSecond + static_cast<uint64_t>(d.nanos());
}

// Checks an optional [start, end] pair: each valid, start not after end.
absl::StatusOr<TimeWindow> Window(bool has_start, const Timestamp& start,
                                  std::string_view start_name, bool has_end, const Timestamp& end,
                                  std::string_view end_name) {
  SV_ASSIGN_OR_RETURN(std::optional<uint64_t> from, OptionalTime(has_start, start, start_name));
  SV_ASSIGN_OR_RETURN(std::optional<uint64_t> to, OptionalTime(has_end, end, end_name));
  TimeWindow window{from.value_or(0), to.value_or(kNoBound)};
  if (window.start_unix_nano > window.end_unix_nano) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(start_name), " must not be after ", std::string(end_name)));
  }
  return window;
}

template <typename Request>
absl::Status CheckOptionalWindow(const Request& request) {
  return Window(request.has_start_time(), request.start_time(), "start_time",
                request.has_end_time(), request.end_time(), "end_time")
      .status();
}

absl::StatusOr<TraceId> TraceIdFromBytes(std::string_view bytes) {
  if (bytes.empty()) return Invalid("trace_id", "is required");
  if (bytes.size() != TraceId::kSize) {
    return Invalid("trace_id", absl::StrCat("must be 16 bytes, got ", bytes.size()));
  }
  auto id = TraceId::FromBytes(bytes);
  if (!id.ok()) return Invalid("trace_id", "must not be all zeros");
  return id;
}

std::vector<std::pair<std::string, std::string>> SortedAttributes(
    const google::protobuf::Map<std::string, std::string>& map) {
  std::vector<std::pair<std::string, std::string>> out(map.begin(), map.end());
  std::sort(out.begin(), out.end());
  return out;
}

// The fields TraceQueryParameters of api_v2 and api_v3 share (same names and numbers).
template <typename Params>
absl::Status ParseCommon(const Params& p, bool times_required, TraceQuery& query) {
  if (times_required && (!p.has_start_time_min() || !p.has_start_time_max())) {
    return absl::InvalidArgumentError("query.start_time_min and query.start_time_max are required");
  }
  SV_ASSIGN_OR_RETURN(TimeWindow window,
                      Window(p.has_start_time_min(), p.start_time_min(), "query.start_time_min",
                             p.has_start_time_max(), p.start_time_max(), "query.start_time_max"));
  query.start_time_min_unix_nano = window.start_unix_nano;
  query.start_time_max_unix_nano = window.end_unix_nano;
  SV_ASSIGN_OR_RETURN(
      query.duration_min_nanos,
      OptionalDuration(p.has_duration_min(), p.duration_min(), "query.duration_min"));
  SV_ASSIGN_OR_RETURN(
      query.duration_max_nanos,
      OptionalDuration(p.has_duration_max(), p.duration_max(), "query.duration_max"));
  if (query.duration_min_nanos && query.duration_max_nanos &&
      *query.duration_min_nanos > *query.duration_max_nanos) {
    return absl::InvalidArgumentError(
        "query.duration_min must not be greater than query.duration_max");
  }
  if (p.search_depth() < 0) return Invalid("query.search_depth", "must not be negative");
  query.search_depth = p.search_depth() == 0 ? kDefaultSearchDepth : p.search_depth();
  query.service_name = p.service_name();
  query.operation_name = p.operation_name();
  return absl::OkStatus();
}

absl::Status CheckAttributeKeys(const std::vector<std::pair<std::string, std::string>>& attributes,
                                std::string_view field) {
  for (const auto& [key, value] : attributes) {
    if (key.empty()) return Invalid(field, "a key is empty");
  }
  return absl::OkStatus();
}

absl::StatusOr<TraceQuery> ParseV3Query(bool has_query,
                                        const jaeger::api_v3::TraceQueryParameters& p) {
  if (!has_query) return Invalid("query", "is required");
  if (p.has_filter()) {
    return Invalid("query.filter",
                   "structured filters are not supported; use query.attributes, "
                   "query.service_name, query.operation_name and the durations");
  }
  TraceQuery query;
  SV_RETURN_IF_ERROR(ParseCommon(p, /*times_required=*/true, query));
  query.attributes = SortedAttributes(p.attributes());
  SV_RETURN_IF_ERROR(CheckAttributeKeys(query.attributes, "query.attributes"));
  return query;
}

}  // namespace

absl::StatusOr<TraceId> ParseGetTrace(const jaeger::api_v2::GetTraceRequest& request) {
  SV_ASSIGN_OR_RETURN(TraceId id, TraceIdFromBytes(request.trace_id()));
  SV_RETURN_IF_ERROR(CheckOptionalWindow(request));
  return id;
}

absl::StatusOr<TraceId> ParseArchiveTrace(const jaeger::api_v2::ArchiveTraceRequest& request) {
  SV_ASSIGN_OR_RETURN(TraceId id, TraceIdFromBytes(request.trace_id()));
  SV_RETURN_IF_ERROR(CheckOptionalWindow(request));
  return id;
}

absl::StatusOr<TraceId> ParseGetTrace(const jaeger::api_v3::GetTraceRequest& request) {
  if (request.trace_id().empty()) return Invalid("trace_id", "is required");
  auto id = TraceId::FromJaegerHex(request.trace_id());
  if (!id.ok()) return Invalid("trace_id", std::string(id.status().message()));
  SV_RETURN_IF_ERROR(CheckOptionalWindow(request));
  return id;
}

absl::StatusOr<TraceQuery> ParseFindTraces(const jaeger::api_v2::FindTracesRequest& request) {
  if (!request.has_query()) return Invalid("query", "is required");
  const auto& p = request.query();
  TraceQuery query;
  SV_RETURN_IF_ERROR(ParseCommon(p, /*times_required=*/false, query));
  query.attributes = SortedAttributes(p.tags());
  SV_RETURN_IF_ERROR(CheckAttributeKeys(query.attributes, "query.tags"));
  return query;
}

absl::StatusOr<TraceQuery> ParseFindTraces(const jaeger::api_v3::FindTracesRequest& request) {
  return ParseV3Query(request.has_query(), request.query());
}

absl::StatusOr<TraceQuery> ParseFindTraces(
    const jaeger::api_v3::FindTraceSummariesRequest& request) {
  return ParseV3Query(request.has_query(), request.query());
}

absl::Status ValidateGetOperations(std::string_view service) {
  if (service.empty()) return Invalid("service", "is required");
  return absl::OkStatus();
}

std::pair<absl::Time, absl::Duration> EndAndLookback(const TimeWindow& window, absl::Time now) {
  const absl::Time start = absl::FromUnixNanos(static_cast<int64_t>(
      std::min<uint64_t>(window.start_unix_nano, std::numeric_limits<int64_t>::max())));
  const absl::Time end = window.end_unix_nano >= kNoBound
                             ? now
                             : absl::FromUnixNanos(static_cast<int64_t>(std::min<uint64_t>(
                                   window.end_unix_nano, std::numeric_limits<int64_t>::max())));
  return {end, std::max(end - start, absl::ZeroDuration())};
}

absl::StatusOr<TimeWindow> ParseGetDependencies(
    const jaeger::api_v2::GetDependenciesRequest& request) {
  return Window(request.has_start_time(), request.start_time(), "start_time",
                request.has_end_time(), request.end_time(), "end_time");
}

absl::StatusOr<TimeWindow> ParseGetDependencies(
    const jaeger::api_v3::GetDependenciesRequest& request) {
  if (!request.has_start_time() || !request.has_end_time()) {
    return absl::InvalidArgumentError("start_time and end_time are required");
  }
  SV_ASSIGN_OR_RETURN(TimeWindow window, Window(true, request.start_time(), "start_time", true,
                                                request.end_time(), "end_time"));
  if (window.start_unix_nano == window.end_unix_nano) {
    return absl::InvalidArgumentError("end_time must be after start_time");
  }
  return window;
}

}  // namespace spanvault
