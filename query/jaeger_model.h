#pragma once

// The OTLP -> Jaeger mapping (reference/jaeger-query-api.md §2), written once: it builds the
// jaeger.api_v2 model (proto/jaeger/api_v2/model.proto), which the gRPC api_v2 serves as is
// and query/jaeger_trace_text.h renders as the UI's JSON.

#include "common/otlp_util.h"
#include "jaeger/api_v2/model.pb.h"

namespace spanvault {

namespace jaegerpb = ::jaeger::api_v2;

// Converts one trace, as TraceReader::GetTrace returns it. Spans are sorted by start time
// (microseconds, as the UI shows them), then span id; each carries a process_id ("p1", "p2",
// ... in order of first appearance; identical processes share one) that `process_map`
// resolves. `Span.process` is left unset. Never fails: every OTLP value has a mapping.
jaegerpb::Trace ToJaegerTrace(const otlp::TracesData& trace);

// The same, into `out`, which must be empty. Every part is built in place, so on an arena
// (google::protobuf::Arena::CreateMessage) the copies of a trace's spans cost few mallocs.
void ToJaegerTrace(const otlp::TracesData& trace, jaegerpb::Trace& out);

// The spans of `trace` with their `process` filled in from the process map, as the gRPC
// api_v2 sends them.
std::vector<jaegerpb::Span> SpansWithProcesses(const jaegerpb::Trace& trace);

}  // namespace spanvault
