#include "query/grpc_query_params.h"

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/otlp_util.h"
#include "common/status_macros.h"

namespace spanvault {
namespace {

using google::protobuf::Duration;
using google::protobuf::Timestamp;

constexpr uint64_t kNoBound = std::numeric_limits<uint64_t>::max();
// 9999-12-31T23:59:59Z, the largest second google.protobuf.Timestamp allows.
constexpr int64_t kMaxTimestampSeconds = 253402300799;
constexpr int32_t kNanosPerSecond = 1'000'000'000;
// 0001-01-01T00:00:00Z, Go's zero time.Time.
constexpr int64_t kGoZeroTimeSeconds = -62135596800;

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

absl::StatusOr<TraceId> TraceIdFromBytes(std::string_view bytes,
                                         std::string_view field = "trace_id") {
  if (bytes.empty()) return Invalid(field, "is required");
  if (bytes.size() != TraceId::kSize) {
    return Invalid(field, absl::StrCat("must be 16 bytes, got ", bytes.size()));
  }
  auto id = TraceId::FromBytes(bytes);
  if (!id.ok()) return Invalid(field, "must not be all zeros");
  return id;
}

std::vector<std::pair<std::string, std::string>> SortedAttributes(
    const google::protobuf::Map<std::string, std::string>& map) {
  std::vector<std::pair<std::string, std::string>> out(map.begin(), map.end());
  std::sort(out.begin(), out.end());
  return out;
}

// How a request's TraceQueryParameters are read.
struct QueryRules {
  // start_time_min and start_time_max must be given (api_v3).
  bool times_required = false;
  // Go's zero time and a zero duration mean "unset" (the remote-storage clients).
  bool go_zero_is_unset = false;
};

// Whether a Go client meant a timestamp: gogoproto's non-nullable times and timestamppb.New
// encode Go's zero time.Time as 0001-01-01T00:00:00Z instead of leaving the field out.
bool HasTime(bool present, const Timestamp& t, bool go_zero_is_unset) {
  return present && !(go_zero_is_unset && t.seconds() == kGoZeroTimeSeconds && t.nanos() == 0);
}

bool HasDuration(bool present, const Duration& d, bool go_zero_is_unset) {
  return present && !(go_zero_is_unset && d.seconds() == 0 && d.nanos() == 0);
}

// The fields the TraceQueryParameters of api_v2, api_v3, storage.v1 and storage.v2 share (same
// names and numbers); the search depth is `depth` of field `depth_field` (storage.v1 calls it
// num_traces).
template <typename Params>
absl::Status ParseCommon(const Params& p, QueryRules rules, int32_t depth,
                         std::string_view depth_field, TraceQuery& query) {
  const bool zero = rules.go_zero_is_unset;
  const bool has_min = HasTime(p.has_start_time_min(), p.start_time_min(), zero);
  const bool has_max = HasTime(p.has_start_time_max(), p.start_time_max(), zero);
  if (rules.times_required && (!has_min || !has_max)) {
    return absl::InvalidArgumentError("query.start_time_min and query.start_time_max are required");
  }
  SV_ASSIGN_OR_RETURN(TimeWindow window,
                      Window(has_min, p.start_time_min(), "query.start_time_min", has_max,
                             p.start_time_max(), "query.start_time_max"));
  query.start_time_min_unix_nano = window.start_unix_nano;
  query.start_time_max_unix_nano = window.end_unix_nano;
  SV_ASSIGN_OR_RETURN(query.duration_min_nanos,
                      OptionalDuration(HasDuration(p.has_duration_min(), p.duration_min(), zero),
                                       p.duration_min(), "query.duration_min"));
  SV_ASSIGN_OR_RETURN(query.duration_max_nanos,
                      OptionalDuration(HasDuration(p.has_duration_max(), p.duration_max(), zero),
                                       p.duration_max(), "query.duration_max"));
  if (query.duration_min_nanos && query.duration_max_nanos &&
      *query.duration_min_nanos > *query.duration_max_nanos) {
    return absl::InvalidArgumentError(
        "query.duration_min must not be greater than query.duration_max");
  }
  if (depth < 0) return Invalid(depth_field, "must not be negative");
  query.search_depth = depth == 0 ? kDefaultSearchDepth : depth;
  query.service_name = p.service_name();
  query.operation_name = p.operation_name();
  return absl::OkStatus();
}

// The optional [start_time, end_time] of a remote-storage request (`prefix` names the
// enclosing field, e.g. "query[0]."), Go's zero time meaning unset.
template <typename Request>
absl::StatusOr<TimeWindow> StorageWindow(const Request& r, const std::string& prefix = "") {
  return Window(HasTime(r.has_start_time(), r.start_time(), true), r.start_time(),
                absl::StrCat(prefix, "start_time"), HasTime(r.has_end_time(), r.end_time(), true),
                r.end_time(), absl::StrCat(prefix, "end_time"));
}

// storage.v2 attributes: the AnyValue is a copy of OTLP's (same field numbers), so it is read
// as one and matched by its string form, as stored attributes are.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> StorageAttributes(
    const google::protobuf::RepeatedPtrField<jaeger::storage::v2::KeyValue>& list) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : list) {
    if (kv.key().empty()) return Invalid("query.attributes", "a key is empty");
    otlp::AnyValue value;
    if (!value.ParseFromString(kv.value().SerializeAsString())) {
      return Invalid("query.attributes", absl::StrCat("the value of ", kv.key(), " is malformed"));
    }
    out.emplace_back(kv.key(), AnyValueToString(value));
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<TraceQuery> ParseStorageV2Query(bool has_query,
                                               const jaeger::storage::v2::TraceQueryParameters& p) {
  if (!has_query) return Invalid("query", "is required");
  if (p.has_filter()) {
    return Invalid("query.filter",
                   "structured filters are not supported (GetCapabilities declares none); use "
                   "query.attributes, query.service_name, query.operation_name and the durations");
  }
  TraceQuery query;
  SV_RETURN_IF_ERROR(
      ParseCommon(p, {.go_zero_is_unset = true}, p.search_depth(), "query.search_depth", query));
  SV_ASSIGN_OR_RETURN(query.attributes, StorageAttributes(p.attributes()));
  return query;
}

absl::Status CheckAttributeKeys(const std::vector<std::pair<std::string, std::string>>& attributes,
                                std::string_view field) {
  for (const auto& [key, value] : attributes) {
    if (key.empty()) return Invalid(field, "a key is empty");
  }
  return absl::OkStatus();
}

absl::StatusOr<TraceQuery> ParseStorageV1Query(bool has_query,
                                               const jaeger::storage::v1::TraceQueryParameters& p) {
  if (!has_query) return Invalid("query", "is required");
  TraceQuery query;
  SV_RETURN_IF_ERROR(
      ParseCommon(p, {.go_zero_is_unset = true}, p.num_traces(), "query.num_traces", query));
  query.attributes = SortedAttributes(p.tags());
  SV_RETURN_IF_ERROR(CheckAttributeKeys(query.attributes, "query.tags"));
  return query;
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
  SV_RETURN_IF_ERROR(
      ParseCommon(p, {.times_required = true}, p.search_depth(), "query.search_depth", query));
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
  SV_RETURN_IF_ERROR(ParseCommon(p, {}, p.search_depth(), "query.search_depth", query));
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

absl::StatusOr<TraceId> ParseGetTrace(const jaeger::storage::v1::GetTraceRequest& request) {
  SV_ASSIGN_OR_RETURN(TraceId id, TraceIdFromBytes(request.trace_id()));
  SV_RETURN_IF_ERROR(StorageWindow(request).status());
  return id;
}

absl::StatusOr<TraceQuery> ParseFindTraces(const jaeger::storage::v1::FindTracesRequest& request) {
  return ParseStorageV1Query(request.has_query(), request.query());
}

absl::StatusOr<TraceQuery> ParseFindTraces(
    const jaeger::storage::v1::FindTraceIDsRequest& request) {
  return ParseStorageV1Query(request.has_query(), request.query());
}

absl::StatusOr<std::vector<TraceId>> ParseGetTraces(
    const jaeger::storage::v2::GetTracesRequest& request) {
  if (request.query_size() > kMaxGetTracesIds) {
    return Invalid("query", absl::StrCat("at most ", kMaxGetTracesIds, " trace ids, got ",
                                         request.query_size()));
  }
  std::vector<TraceId> ids;
  std::set<TraceId> seen;
  for (int i = 0; i < request.query_size(); ++i) {
    const auto& params = request.query(i);
    const std::string prefix = absl::StrCat("query[", i, "].");
    SV_ASSIGN_OR_RETURN(TraceId id,
                        TraceIdFromBytes(params.trace_id(), absl::StrCat(prefix, "trace_id")));
    SV_RETURN_IF_ERROR(StorageWindow(params, prefix).status());
    if (seen.insert(id).second) ids.push_back(id);
  }
  return ids;
}

absl::StatusOr<TraceQuery> ParseFindTraces(const jaeger::storage::v2::FindTracesRequest& request) {
  return ParseStorageV2Query(request.has_query(), request.query());
}

absl::StatusOr<TraceQuery> ParseFindTraces(
    const jaeger::storage::v2::FindTraceIDsRequest& request) {
  return ParseStorageV2Query(request.has_query(), request.query());
}

absl::StatusOr<TraceQuery> ParseFindTraces(
    const jaeger::storage::v2::FindTraceSummariesRequest& request) {
  return ParseStorageV2Query(request.has_query(), request.query());
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

absl::StatusOr<TimeWindow> ParseGetDependencies(
    const jaeger::storage::v1::GetDependenciesRequest& request) {
  return StorageWindow(request);
}

absl::StatusOr<TimeWindow> ParseGetDependencies(
    const jaeger::storage::v2::GetDependenciesRequest& request) {
  return StorageWindow(request);
}

}  // namespace spanvault
