#include "collector/ingest_metrics.h"

#include "common/wire_status.h"

namespace spanvault {

IngestMetrics::IngestMetrics(MetricsRegistry& registry)
    : requests_(registry.AddCounter("spanvault_export_requests_total",
                                    "OTLP export requests handled, by receiver.", {"receiver"})),
      received_(registry.AddCounter("spanvault_spans_received_total",
                                    "Spans received, by receiver.", {"receiver"})),
      accepted_(registry.AddCounter("spanvault_spans_accepted_total",
                                    "Spans durably written, by receiver.", {"receiver"})),
      rejected_(registry.AddCounter("spanvault_spans_rejected_total",
                                    "Spans not accepted, by receiver and reason.",
                                    {"receiver", "reason"})),
      latency_(registry.AddHistogram(
          "spanvault_export_request_duration_seconds",
          "Time from receiving an export request to answering it, by receiver.", {"receiver"},
          {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})) {}

void IngestMetrics::Record(const std::string& receiver, int64_t received, int64_t accepted,
                           int64_t rejected, const std::string& reason, absl::Duration latency) {
  requests_.With({receiver}).Increment();
  if (received > 0) received_.With({receiver}).Increment(static_cast<double>(received));
  if (accepted > 0) accepted_.With({receiver}).Increment(static_cast<double>(accepted));
  if (rejected > 0) rejected_.With({receiver, reason}).Increment(static_cast<double>(rejected));
  latency_.With({receiver}).Observe(absl::ToDoubleSeconds(latency));
}

std::string IngestMetrics::ReasonFor(const absl::Status& status) {
  if (IsRetryable(status)) return "overloaded";
  if (absl::IsInvalidArgument(status)) return "invalid_request";
  return "store_error";
}

}  // namespace spanvault
