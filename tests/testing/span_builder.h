#pragma once

// Building OTLP requests in tests, and consuming them synchronously.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
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

// Calls sink.Consume and waits for its `done`.
absl::Status ConsumeAndWait(SpanSink& sink, SpanBatch batch);

}  // namespace spanvault::testing
