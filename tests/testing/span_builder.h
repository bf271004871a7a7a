#pragma once

// Building OTLP requests in tests, and consuming them synchronously.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/otlp_util.h"
#include "common/span_batch.h"
#include "common/span_sink.h"

namespace spanvault::testing {

// A span described by the fields tests care about. Ids are hex.
struct TestSpan {
  std::string service = "shop-api";
  std::string trace_id;  // 32 hex digits
  std::string span_id;   // 16 hex digits
  std::string parent_span_id;
  std::string name = "GET /";
  int kind = 2;  // SPAN_KIND_SERVER
  uint64_t start_unix_nano = 1'700'000'000'000'000'000;
  uint64_t duration_nanos = 1'000'000;
  std::vector<std::pair<std::string, std::string>> attributes;           // string values
  std::vector<std::pair<std::string, std::string>> resource_attributes;  // besides service.name
  bool error = false;
};

// One ResourceSpans per span (resource = service.name + resource_attributes), scope "test".
ExportRequest MakeRequest(const std::vector<TestSpan>& spans);
SpanBatch MakeBatch(const std::vector<TestSpan>& spans);

// 32-digit trace id / 16-digit span id hex made from a small number.
std::string TraceHex(uint64_t n);
std::string SpanHex(uint64_t n);

// Building one OTLP trace field by field (for the trace mapping tests).
// The bytes of hex `hex` (a failed test when it is not hex).
std::string Bytes(std::string_view hex);
// Appends attribute `key` and returns its value to fill in.
otlp::AnyValue* AddValue(otlp::Attributes* attrs, std::string_view key);
// Appends a ResourceSpans with service.name and host.name (each left out when empty).
otlp::ResourceSpans* AddResource(otlp::TracesData& trace, std::string_view service,
                                 std::string_view host);
// Appends a span with these ids (hex; no parent when `parent_hex` is empty), name and times.
otlp::Span* AddSpan(otlp::ScopeSpans* ss, std::string_view trace_hex, std::string_view span_hex,
                    std::string_view parent_hex, std::string_view name, uint64_t start_ns,
                    uint64_t end_ns);

// Calls sink.Consume and waits for its `done`.
absl::Status ConsumeAndWait(SpanSink& sink, SpanBatch batch);

}  // namespace spanvault::testing
