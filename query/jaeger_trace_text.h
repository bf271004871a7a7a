#pragma once

// The Jaeger UI's JSON for traces (reference/jaeger-query-api.md §1.3), rendered from the
// jaeger.api_v2 model (query/jaeger_model.h) straight into the response text. The text is
// byte-identical to what TraceToJaegerJson (query/jaeger_json.h) dumps with the HTTP API's
// arguments, which stays as the tests' and the fuzz target's oracle.

#include <span>
#include <string>
#include <string_view>

#include "common/otlp_util.h"
#include "query/json_writer.h"

namespace spanvault {

// Writes one trace as `{"processes": {...}, "spans": [...], "traceID", "warnings"}`; spans
// sorted by start time as ToJaegerTrace sorts them. `warnings` null when empty. Never fails.
void WriteJaegerTrace(const otlp::TracesData& trace, std::span<const std::string_view> warnings,
                      JsonWriter& out);

// One entry of the classic envelope's "errors": a trace asked for by id that was not found.
struct JaegerTraceError {
  std::string msg;
  std::string trace_id;  // as the caller may read it back: TraceId::ToJaegerHex
};

// The classic API's answer carrying traces:
// `{"data": [traces...], "errors": [...] or null, "limit": 0, "offset": 0, "total": 0}`.
// Every trace carries `warnings` (the trace-by-id answer's pending-decision warning).
// Compact, or pretty-printed with 4 spaces as ?prettyPrint asks. Never fails.
std::string JaegerTracesBody(std::span<const otlp::TracesData> traces,
                             std::span<const std::string_view> warnings,
                             std::span<const JaegerTraceError> errors, bool pretty);

}  // namespace spanvault
