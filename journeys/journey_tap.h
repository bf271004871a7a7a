#pragma once

// JourneyTap: the journey tap between the receivers and the sampler, beside the span-metrics
// tap. It sees every acknowledged span before sampling, so a journey is whole however few of
// its traces are kept, and keeps per business key (order) and flow a small state: when it was
// first seen, each step reached, errors, its trace ids.

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/kv_store.h"
#include "common/metrics.h"
#include "common/span_sink.h"
#include "journeys/journey_reader.h"
#include "journeys/trace_membership.h"

namespace spanvault::journeys {

struct JourneyTapOptions {
  MembershipOptions membership;
  // How often the background thread writes the journeys changed since the last write.
  // Default: 5 s (what a crash can lose; a graceful shutdown loses nothing).
  absl::Duration flush_interval = absl::Seconds(5);
  // Journeys not updated for this long are deleted. Default: 8 days (like span metrics).
  absl::Duration retention = absl::Hours(24 * 8);
  // How often the stuck journeys are counted for the metrics (a scan of the open journeys'
  // index entries). Default: 10 s.
  absl::Duration stuck_scan_interval = absl::Seconds(10);
  // The stuck share (spanvault_journeys_stuck_share) counts the journeys updated within this
  // long. Default: 1 h.
  absl::Duration share_window = absl::Hours(1);
};

// Forwards every batch to `next`; once `next` acknowledges it (OK), and before the
// acknowledgement goes back, adds the spans of each flow's journeys to in-memory deltas
// (trace membership: journeys/trace_membership.h). A background thread merges the deltas into
// `store` every flush_interval (read, merge, write, with the "s" and "t" indexes of
// journeys/journey_codec.h) and deletes journeys past the retention; Shutdown() writes the
// rest. Reads merge the store with what is not written yet, so a span counts as soon as its
// batch is acknowledged. Start() rebuilds the trace -> key map from the journeys updated within
// membership.trace_memory, so a restart keeps joining spans of traces already known.
// Thread-safe.
class JourneyTap final : public SpanSink, public JourneyReader {
 public:
  // `next`, `store`, `clock` and `metrics` must outlive the tap. `flows` must be valid
  // (ParseFlows).
  JourneyTap(JourneyTapOptions options, std::vector<Flow> flows, SpanSink& next, KvStore& store,
             Clock& clock, MetricsRegistry& metrics);
  ~JourneyTap() override;

  // Rebuilds the trace map and starts the flush thread. kDataLoss or kUnavailable when the
  // stored journeys cannot be read.
  absl::Status Start() ABSL_LOCKS_EXCLUDED(mu_);
  // Stops the flush thread and writes what is left. Idempotent. Call it after `next` has
  // answered every batch.
  absl::Status Shutdown() ABSL_LOCKS_EXCLUDED(mu_);
  // Writes the journeys changed so far (the flush thread's step; tests call it directly).
  absl::Status Flush() ABSL_LOCKS_EXCLUDED(mu_);
  // Counts the stuck journeys for the metrics (the flush thread's other step).
  absl::Status CountStuck() ABSL_LOCKS_EXCLUDED(mu_);

  void Consume(SpanBatch batch, SpanSinkDone done) override;

  const std::vector<Flow>& flows() const override { return flows_; }
  absl::StatusOr<Journey> GetJourney(const std::string& flow, const std::string& key) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::vector<Journey>> ListJourneys(const std::string& flow,
                                                    const JourneyFilter& filter) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::vector<Journey>> JourneysOfTrace(std::string_view trace_id) override
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // (flow index, key) -> what arrived since the last flush.
  using Deltas = std::map<std::pair<size_t, std::string>, JourneyState>;
  // The counters of one flow.
  struct FlowMetrics {
    Counter& started;
    Counter& completed;
    Counter& failed;
    Counter& stuck;
    std::atomic<double> stuck_now{0};
    std::atomic<double> stuck_share{0};
  };

  std::vector<JourneySpan> SpansOf(const ExportRequest& request) const;
  void Apply(const std::vector<JourneySpan>& spans) ABSL_LOCKS_EXCLUDED(mu_);
  void PublishGaugesLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteDeltas(const Deltas& deltas);
  absl::Status DeleteExpired(absl::Time now);
  void FlushLoop() ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t AwaitQuietLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::optional<size_t> FlowIndex(const std::string& flow) const;
  // The stored state of (flow, key); nullopt when none.
  absl::StatusOr<std::optional<JourneyState>> ReadStored(size_t flow, const std::string& key);
  // Stored states merged with `pending` for the keys listed (one consistent read).
  absl::StatusOr<std::vector<Journey>> Candidates(
      size_t flow, const JourneyFilter& filter, const std::map<std::string, JourneyState>& pending,
      absl::Time now);
  // Observes the step-to-step gaps that `after` has and `before` had not.
  void ObserveNewSteps(const Flow& flow, const JourneyState* before, const JourneyState& after);

  // Constant after construction.
  const JourneyTapOptions options_;
  const std::vector<Flow> flows_;
  // What makes a span worth extracting: a step's service, a key attribute, or a link.
  const std::set<std::string> step_services_;
  const std::set<std::string> key_attributes_;
  SpanSink& next_;
  KvStore& store_;
  Clock& clock_;
  std::vector<std::unique_ptr<FlowMetrics>> flow_metrics_;  // by flow index
  HistogramFamily* gaps_ = nullptr;                         // set once in the constructor
  Counter& flush_errors_;
  CounterFamily& evicted_;
  std::atomic<double> tracked_traces_{0};
  std::atomic<double> waiting_spans_{0};

  absl::Mutex mu_;
  std::vector<TraceMembership> membership_ ABSL_GUARDED_BY(mu_);  // by flow index
  MembershipEvictions published_evictions_ ABSL_GUARDED_BY(mu_);
  Deltas deltas_ ABSL_GUARDED_BY(mu_);
  // Odd while a flush writes.
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_retention_ ABSL_GUARDED_BY(mu_);
  absl::Time last_stuck_scan_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::thread flusher_;

  // Serializes stuck counts; the journeys found stuck by the last one, by flow index.
  absl::Mutex scan_mu_;
  std::vector<std::set<std::string>> stuck_keys_ ABSL_GUARDED_BY(scan_mu_);
};

}  // namespace spanvault::journeys
