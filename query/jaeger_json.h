#pragma once

// The Jaeger UI's JSON trace model (reference/jaeger-query-api.md §1.3), built from OTLP spans
// with the OTLP -> Jaeger mapping of §2, as an nlohmann::json document. The HTTP API renders
// traces with query/jaeger_trace_text.h instead (no document, far fewer allocations); this
// stays as the oracle its tests and the fuzz target compare that text with, byte for byte.

#include "common/otlp_util.h"
#include "nlohmann/json.hpp"

namespace spanvault {

// Converts one trace, as TraceReader::GetTrace returns it, to
// `{"traceID", "spans": [...], "processes": {"p1": ...}, "warnings": null}`. Spans are sorted
// by start time. Never throws.
nlohmann::json TraceToJaegerJson(const otlp::TracesData& trace);

}  // namespace spanvault
