#pragma once

// Parsing of the Jaeger search parameters (classic /api/traces and /api/v3/*) into TraceQuery.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/duration.h"  // ParseGoDurationNanos, used with these parameters
#include "common/ids.h"
#include "storage/trace_reader.h"

namespace spanvault {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// GET /api/traces: either a search or a list of trace ids.
struct ClassicSearch {
  TraceQuery query;
  std::vector<TraceId> trace_ids;  // non-empty: fetch these, ignore the search
  bool raw = false;
};

// Parses the classic parameters (service, operation, tags as JSON (repeatable, merged), tag as
// key:value (repeatable), minDuration, maxDuration (Go durations), start, end (Unix
// microseconds; default end = now, start = end - 2 days), lookback (accepted, ignored), limit
// (default 100), traceID (repeatable, 1-32 hex digits), raw, prettyPrint). Returns
// kInvalidArgument with Jaeger's message for a bad value (e.g. `malformed 'tag' parameter,
// expecting key:value`), for a missing service when no traceID is given (`parameter 'service'
// is required`), and `unknown parameter 'x'` for any other name. As Go's FormValue does, the
// first value of a repeated single-valued parameter wins and an empty value means "not given".
// Attributes from tags/tag are sorted by key; for a repeated key the later value wins.
absl::StatusOr<ClassicSearch> ParseClassicSearch(const QueryParams& params, absl::Time now);

// Parses the api_v3 search parameters of /api/v3/traces and /api/v3/trace-summaries
// (query.serviceName, query.operationName, query.startTimeMin and query.startTimeMax (RFC 3339,
// both required), query.durationMin, query.durationMax, query.searchDepth, query.attributes
// (JSON object of strings), query.rawTraces; each also under its snake_case alias, and
// query.num_traces for searchDepth). A canonical name wins over its aliases; empty values mean
// "not given"; query.rawTraces is validated only (TraceQuery has no field for it).
// kInvalidArgument naming the parameter otherwise.
absl::StatusOr<TraceQuery> ParseV3Search(const QueryParams& params);

// Parses an RFC 3339 timestamp with optional fractional seconds ("2026-01-02T03:04:05.123Z",
// "...+02:00"; lowercase t/z accepted; at most 9 fraction digits) into Unix nanoseconds.
// kInvalidArgument otherwise, also for times before 1970 or past uint64 nanoseconds.
absl::StatusOr<uint64_t> ParseRfc3339Nanos(std::string_view text);

}  // namespace spanvault
