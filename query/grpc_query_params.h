#pragma once

// Validation of the Jaeger gRPC query requests (jaeger.api_v2 and jaeger.api_v3) and of the
// remote-storage requests jaeger-query sends (jaeger.storage.v1 and jaeger.storage.v2) into the
// query layer's vocabulary. Every error is kInvalidArgument with a message that names the
// request field ("query.start_time_min: ...").

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/ids.h"
#include "jaeger/api_v2/query.pb.h"
#include "jaeger/api_v3/query_service.pb.h"
#include "jaeger/storage/v1/storage.pb.h"
#include "jaeger/storage/v2/dependency_storage.pb.h"
#include "jaeger/storage/v2/trace_storage.pb.h"
#include "storage/trace_reader.h"

namespace spanvault {

// The default number of traces a search returns when search_depth is 0 (Jaeger's default).
inline constexpr int kDefaultSearchDepth = 100;

// api_v2 trace ids are 16 bytes (high then low half, big-endian), not all zero; the optional
// start_time/end_time must be valid and in order.
absl::StatusOr<TraceId> ParseGetTrace(const jaeger::api_v2::GetTraceRequest& request);
absl::StatusOr<TraceId> ParseArchiveTrace(const jaeger::api_v2::ArchiveTraceRequest& request);
// api_v3 trace ids are hex: 1 to 32 digits (a 16-digit id has a zero high half).
absl::StatusOr<TraceId> ParseGetTrace(const jaeger::api_v3::GetTraceRequest& request);

// The search of FindTraces. `query` is required. api_v2: start_time_min/max are optional (no
// bound when unset). api_v3: both are required, as in Jaeger, and a `filter` is refused (not
// supported). Both: min <= max for times and durations, durations not negative, search_depth
// not negative (0 means kDefaultSearchDepth), attribute keys not empty.
absl::StatusOr<TraceQuery> ParseFindTraces(const jaeger::api_v2::FindTracesRequest& request);
absl::StatusOr<TraceQuery> ParseFindTraces(const jaeger::api_v3::FindTracesRequest& request);
absl::StatusOr<TraceQuery> ParseFindTraces(
    const jaeger::api_v3::FindTraceSummariesRequest& request);

// The remote-storage requests. Jaeger's storage clients are Go programs that send an unset
// time as Go's zero time (0001-01-01T00:00:00Z) and an unset duration as 0 rather than leaving
// the field out: both mean "no bound" here. Times and durations are otherwise checked as for
// api_v2 (all optional).
//
// storage.v1: the trace id as for api_v2; num_traces is the search depth; tags must have
// non-empty keys.
absl::StatusOr<TraceId> ParseGetTrace(const jaeger::storage::v1::GetTraceRequest& request);
absl::StatusOr<TraceQuery> ParseFindTraces(const jaeger::storage::v1::FindTracesRequest& request);
absl::StatusOr<TraceQuery> ParseFindTraces(const jaeger::storage::v1::FindTraceIDsRequest& request);
// storage.v2: the ids of GetTraces in order, duplicates removed, each 16 bytes and not all
// zero ("query[2].trace_id: ..."), at most kMaxGetTracesIds of them. Attribute values of any
// type are matched by their string form (AnyValueToString); a `filter` is refused (the
// Capabilities service declares no filter support, so Jaeger never sends one).
inline constexpr int kMaxGetTracesIds = 10000;
absl::StatusOr<std::vector<TraceId>> ParseGetTraces(
    const jaeger::storage::v2::GetTracesRequest& request);
absl::StatusOr<TraceQuery> ParseFindTraces(const jaeger::storage::v2::FindTracesRequest& request);
absl::StatusOr<TraceQuery> ParseFindTraces(const jaeger::storage::v2::FindTraceIDsRequest& request);
absl::StatusOr<TraceQuery> ParseFindTraces(
    const jaeger::storage::v2::FindTraceSummariesRequest& request);

// GetOperations needs a service.
absl::Status ValidateGetOperations(std::string_view service);

// A time window [start, end] in Unix nanoseconds.
struct TimeWindow {
  uint64_t start_unix_nano = 0;
  uint64_t end_unix_nano = 0;
};

// The window as QueryService::GetDependencies takes it: its end (`now` when it has none) and
// the time from its start to that end.
std::pair<absl::Time, absl::Duration> EndAndLookback(const TimeWindow& window, absl::Time now);

// GetDependencies: api_v2 takes optional times (unset end: no bound); api_v3 requires both,
// with end after start, as Jaeger does.
absl::StatusOr<TimeWindow> ParseGetDependencies(
    const jaeger::api_v2::GetDependenciesRequest& request);
absl::StatusOr<TimeWindow> ParseGetDependencies(
    const jaeger::api_v3::GetDependenciesRequest& request);
// The remote-storage GetDependencies: both times optional (Go's zero time is unset).
absl::StatusOr<TimeWindow> ParseGetDependencies(
    const jaeger::storage::v1::GetDependenciesRequest& request);
absl::StatusOr<TimeWindow> ParseGetDependencies(
    const jaeger::storage::v2::GetDependenciesRequest& request);

}  // namespace spanvault
