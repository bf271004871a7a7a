#pragma once

// ClientMetricsTap: request rate and error ratio per client of a service (e.g. the sellers
// calling an API, by a `client_id` attribute), as /metrics gauges with bounded cardinality:
// the top N clients of the window plus "other". See docs/client_metrics.md.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/span_sink.h"
#include "spanmetrics/client_window.h"

namespace spanvault::spanmetrics {

// One entry of the `client_metrics` config section.
struct ClientMetricsSpec {
  // service.name of the SERVER spans counted. Required.
  std::string service;
  // The span attribute (else the resource attribute) naming the client. Required.
  std::string attribute;
  // Clients with their own series; the rest are summed as client="other". Default: 20.
  int top = 20;
  // The sliding window the rates and ratios cover. Default: 5m.
  absl::Duration window = absl::Minutes(5);
  // Distinct clients counted per tenth of the window (the memory bound); a client first seen
  // when a tenth is full counts as "other". Default: 1000.
  int max_clients = 1000;
};

inline constexpr int kMaxClientTop = 200;
inline constexpr int kMaxTrackedClients = 100000;
// Longer client ids are cut to this many bytes (at a UTF-8 boundary): memory stays bounded.
inline constexpr size_t kMaxClientIdBytes = 128;
// The client of a span without the attribute (or with an empty one).
inline constexpr char kUnknownClient[] = "unknown";

// kInvalidArgument naming `path`.FIELD when a field is out of range.
absl::Status ValidateClientMetricsSpec(const ClientMetricsSpec& spec, std::string_view path);

// One gauge sample pair for one client of one spec.
struct ClientRate {
  std::string service;
  std::string attribute;
  std::string client;
  double requests_per_second = 0;
  double error_ratio = 0;  // errors / requests; 0 without requests
};

// Forwards every batch to `next`; once `next` acknowledges it (OK), counts its SERVER spans of
// each spec's service per client: a request, and an error when the span's status is ERROR or
// its http.response.status_code (or http.status_code) is >= 500. Registers the gauges
// spanvault_client_requests_per_second and spanvault_client_error_ratio {service, attribute,
// client}, computed at scrape time: top N + 1 series per spec. Thread-safe.
class ClientMetricsTap final : public SpanSink {
 public:
  // `specs` are valid (ValidateClientMetricsSpec). `next`, `clock` and `metrics` must outlive
  // the tap.
  ClientMetricsTap(std::vector<ClientMetricsSpec> specs, SpanSink& next, Clock& clock,
                   MetricsRegistry& metrics);

  void Consume(SpanBatch batch, SpanSinkDone done) override;

  // Every spec's top clients and "other" at the clock's now (what the gauges show).
  std::vector<ClientRate> Rates() const ABSL_LOCKS_EXCLUDED(mu_);
  // Distinct clients held for spec `i` (the memory bound's measure).
  size_t TrackedClients(size_t i) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Hit {
    size_t spec;
    std::string client;
    bool error;
  };

  std::vector<Hit> HitsOf(const ExportRequest& request) const;
  void Apply(const std::vector<Hit>& hits) ABSL_LOCKS_EXCLUDED(mu_);
  GaugeSamples Samples(bool ratio) const;

  // Constant after construction.
  const std::vector<ClientMetricsSpec> specs_;
  SpanSink& next_;
  Clock& clock_;

  mutable absl::Mutex mu_;
  std::vector<ClientWindow> windows_ ABSL_GUARDED_BY(mu_);  // one per spec
};

}  // namespace spanvault::spanmetrics
