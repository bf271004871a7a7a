#pragma once

// SpanBatch: the unit that travels along the ingest pipeline.

#include <cstddef>
#include <memory>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace spanvault {

using ExportRequest = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

// Move-only owner of validated OTLP spans. Every span in it has a valid trace id and span id
// (receivers drop the others before building a batch). Thread-compatible.
class SpanBatch {
 public:
  SpanBatch() : request_(std::make_unique<ExportRequest>()) {}
  explicit SpanBatch(std::unique_ptr<ExportRequest> request);

  SpanBatch(SpanBatch&&) = default;
  SpanBatch& operator=(SpanBatch&&) = default;
  SpanBatch(const SpanBatch&) = delete;
  SpanBatch& operator=(const SpanBatch&) = delete;

  const ExportRequest& request() const { return *request_; }
  ExportRequest& mutable_request() { return *request_; }
  // Number of spans, counted once at construction.
  size_t span_count() const { return span_count_; }

 private:
  std::unique_ptr<ExportRequest> request_;
  size_t span_count_ = 0;
};

// Counts the spans in an export request.
size_t CountSpans(const ExportRequest& request);

}  // namespace spanvault
