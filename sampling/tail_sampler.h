#pragma once

// TailSampler: durable tail sampling between the receivers and the store.

#include <cstdint>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/span_sink.h"
#include "sampling/decision_cache.h"
#include "sampling/policy.h"
#include "sampling/rule_set.h"
#include "sampling/sampling_config.h"
#include "storage/trace_store.h"

namespace spanvault::sampling {

struct TailSamplerOptions {
  // Timing and limits (decision_wait, decision_quiet, decision_cache_ttl, max_pending_traces,
  // max_pending_bytes, max_spans_per_trace); its policies are not read here.
  SamplingConfig sampling;
  // Decisions remembered in memory at most (older ones are reloaded only after a restart).
  // Default: 1,000,000.
  size_t max_cached_decisions = 1'000'000;
  // How often the decision thread looks for due traces. Default: 100 ms.
  absl::Duration tick = absl::Milliseconds(100);
  // Traces whose decision is put off at once (a policy such as flow_status may keep them
  // later: PolicySet::RevisitAt); past it, they are decided at once. Each wait lasts at most
  // decision_wait, then the trace is looked at again. Default: 100,000.
  size_t max_deferred_traces = 100'000;
  // Start the decision thread. Tests leave it off and call DecideDue() after moving a fake
  // clock. Default: true.
  bool run_thread = true;
};

// Routes each span by its trace's state: spans of undecided traces are written durably as
// pending (TraceStore::ConsumePending) and acknowledged then; spans of kept traces go to the
// store as usual (indexed at once); spans of dropped traces are acknowledged and discarded.
// A trace is decided `decision_wait` after its first span, or `decision_quiet` after its latest
// span once its root span has arrived; the policies see every span stored by then. Memory holds
// a small fixed state per pending trace and the recent decisions; span bodies stay on disk, and
// pending traces with their deadlines survive a restart (Start() reloads them).
// Thread-safe.
class TailSampler final : public SpanSink {
 public:
  // Everything borrowed must outlive the sampler. `rules` (nullable) are checked before the
  // policies: a trace a rule matches is kept, with `rule:<id>` as its policy.
  TailSampler(TailSamplerOptions options, const PolicySet& policies, const RuleSet* rules,
              TraceStore& store, const Clock& clock, MetricsRegistry& metrics);
  ~TailSampler() override;

  // Reloads pending traces and recent decisions from the store, then starts the decision
  // thread (if configured). Errors are the store's.
  absl::Status Start() ABSL_LOCKS_EXCLUDED(mu_);
  // Stops the decision thread. Pending traces stay on disk and are decided after a restart.
  // Idempotent.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

  // Answers kResourceExhausted at once when the batch would take the pending traces or bytes
  // over their limits; otherwise `done` runs once every routed part is durable.
  void Consume(SpanBatch batch, SpanSinkDone done) override ABSL_LOCKS_EXCLUDED(mu_);

  // Decides every pending trace whose deadline is at or before the clock's now, and waits
  // until the decisions are durable. Returns how many traces were decided.
  absl::StatusOr<int> DecideDue() ABSL_LOCKS_EXCLUDED(mu_);

  size_t pending_traces() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct State {
    PendingTrace persisted;
    absl::Time deadline;
    int64_t excess_spans = 0;
    // Pending writes of this trace not yet answered: the spans they retried are not yet
    // uncounted, so span_count may be too high to end the trace on max_spans_per_trace.
    int writes_in_flight = 0;
  };
  // What one batch brings to one trace.
  struct Arrival {
    int64_t spans = 0;
    int64_t bytes = 0;
    bool root = false;
  };
  enum Route { kKeep = 0, kPending = 1, kDiscard = 2 };
  // A decision, or when to look at the trace again.
  struct Outcome {
    SamplingDecision decision;
    std::optional<absl::Time> revisit;
  };
  struct Metrics;

  absl::Time DeadlineOf(const State& state) const;
  void Schedule(const TraceId& trace, State& state, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckLimitsLocked(const absl::flat_hash_map<TraceId, Arrival>& arrivals) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Route RouteLocked(const TraceId& trace, const Arrival& arrival, absl::Time now,
                    std::vector<PendingTrace>* states) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes back the spans a pending write found stored already (retries).
  void Uncount(const std::vector<DuplicateSpans>& duplicates) ABSL_LOCKS_EXCLUDED(mu_);
  // Takes back what the failed pending writes counted (a full disk: nothing of them was
  // stored); DecideDue does it before it takes due traces. A trace left with no stored span is
  // forgotten, so it is not decided (dropped) while empty and the exporter's retry starts it
  // afresh.
  void UnrouteFailedWritesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts the answered pending writes out of writes_in_flight (and reschedules).
  void ApplyAnsweredWritesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<std::pair<TraceId, State>> TakeDueLocked(absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Outcome Evaluate(const TraceId& trace, const State& state, absl::Time now);
  // Splits the outcomes of `due` into decisions (returned, with their traces left in `due`)
  // and deferrals (put back as pending, at most max_deferred_traces of them).
  std::vector<SamplingDecision> DeferLocked(std::vector<std::pair<TraceId, State>>& due,
                                            std::vector<Outcome>& outcomes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RequeueLocked(const TraceId& trace, const State& state, absl::Time when)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Requeue(const std::vector<std::pair<TraceId, State>>& due, absl::Time when)
      ABSL_LOCKS_EXCLUDED(mu_);
  void DecisionLoop() ABSL_LOCKS_EXCLUDED(mu_);

  // Constant after construction.
  const TailSamplerOptions options_;
  const PolicySet& policies_;
  const RuleSet* const rules_;
  TraceStore& store_;
  const Clock& clock_;
  std::unique_ptr<Metrics> metrics_;
  std::thread thread_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<TraceId, State> pending_ ABSL_GUARDED_BY(mu_);
  // Traces taken for a decision that is not queued yet: their new spans are written as
  // pending, and the store's Decide (queued after them) keeps or deletes them too.
  absl::flat_hash_set<TraceId> deciding_ ABSL_GUARDED_BY(mu_);
  // Pending traces whose decision was put off (Outcome::revisit).
  absl::flat_hash_set<TraceId> deferred_ ABSL_GUARDED_BY(mu_);
  std::set<std::pair<absl::Time, TraceId>> deadlines_ ABSL_GUARDED_BY(mu_);
  uint64_t pending_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  DecisionCache decisions_ ABSL_GUARDED_BY(mu_);
  absl::Time next_forget_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The last decision write failed (logged once until one succeeds again).
  bool decisions_failing_ ABSL_GUARDED_BY(mu_) = false;
  // What the store's answers to pending writes leave to do. A lock of its own: a write refused
  // at once answers while Consume holds mu_.
  absl::Mutex answers_mu_ ABSL_ACQUIRED_AFTER(mu_);
  // What failed pending writes counted, for UnrouteFailedWritesLocked.
  std::vector<std::pair<TraceId, Arrival>> failed_arrivals_ ABSL_GUARDED_BY(answers_mu_);
  // The traces of every answered pending write, for ApplyAnsweredWritesLocked.
  std::vector<TraceId> answered_writes_ ABSL_GUARDED_BY(answers_mu_);
};

}  // namespace spanvault::sampling
