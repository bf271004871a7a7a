#pragma once

// The ingest metrics every receiver reports.

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/metrics.h"

namespace spanvault {

// Thread-safe. Borrows the registry's families.
class IngestMetrics {
 public:
  explicit IngestMetrics(MetricsRegistry& registry);

  // Records one export request of `receiver` ("otlp_grpc", "otlp_http"): spans received and
  // accepted, spans rejected for `reason` ("invalid_span", "invalid_request", "too_large",
  // "unsupported_media_type", "overloaded", "store_error"), and its latency.
  void Record(const std::string& receiver, int64_t received, int64_t accepted, int64_t rejected,
              const std::string& reason, absl::Duration latency);

  // The rejection reason for a failed write.
  static std::string ReasonFor(const absl::Status& status);

 private:
  CounterFamily& requests_;
  CounterFamily& received_;
  CounterFamily& accepted_;
  CounterFamily& rejected_;
  HistogramFamily& latency_;
};

}  // namespace spanvault
