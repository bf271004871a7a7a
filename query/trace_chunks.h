#pragma once

// How the gRPC APIs stream one trace in several messages: api_v2 and storage.v1 as groups of
// Jaeger spans, api_v3 and storage.v2 as OTLP TracesData of bounded size. Pure functions.

#include <cstddef>
#include <vector>

#include "common/otlp_util.h"
#include "jaeger/api_v2/model.pb.h"

namespace spanvault {

// Chunks of a trace's OTLP TracesData stay under this size (gRPC clients refuse messages over
// 4 MiB by default; jaeger-query's storage.v2 client does).
inline constexpr size_t kMaxTraceChunkBytes = 1 << 20;

// The spans of `trace` as ToJaegerTrace and SpansWithProcesses give them (in order, each with
// its process), in consecutive groups of at most `max_spans` (> 0) spans that serialize to at
// most about `max_bytes` (a single larger span makes a group of its own). No group is empty; a
// trace without spans has none.
std::vector<std::vector<::jaeger::api_v2::Span>> ChunkJaegerSpans(
    const otlp::TracesData& trace, int max_spans, size_t max_bytes = kMaxTraceChunkBytes);

// `trace` split into consecutive TracesData whose spans, with their resource and scope,
// serialize to at most about `max_bytes` each; a single span larger than that travels alone.
// Each chunk repeats the resource and scope of its spans and holds at least one span; resource
// and scope groups without spans are dropped, so a trace without spans gives no chunk. The
// spans keep their order.
std::vector<otlp::TracesData> SplitTrace(otlp::TracesData trace,
                                         size_t max_bytes = kMaxTraceChunkBytes);

}  // namespace spanvault
