#pragma once

// SpanMetricsTap: the RED-metrics and dependency tap between the receivers and the sampler. It
// sees every acknowledged span before sampling, so rates and links stay true however few
// traces are kept.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/kv_store.h"
#include "common/metrics.h"
#include "common/span_sink.h"
#include "spanmetrics/dependency_linker.h"
#include "spanmetrics/span_metrics_reader.h"

namespace spanvault::spanmetrics {

struct SpanMetricsTapOptions {
  LinkerOptions linker;
  // How often the background thread writes the aggregates gathered since the last write.
  // Default: 5 s (what a crash can lose; a graceful shutdown loses nothing).
  absl::Duration flush_interval = absl::Seconds(5);
  // Aggregates older than this are deleted. Default: 8 days (the UI asks for a week of links).
  absl::Duration retention = absl::Hours(24 * 8);
};

// Forwards every batch to `next`; once `next` acknowledges it (OK), and before the
// acknowledgement goes back, adds its spans to in-memory aggregates: calls, errors and a
// latency sketch per (minute, service, operation, span kind), and service links per hour
// (DependencyLinker). A background thread merges what was gathered into `store` every
// flush_interval (read, merge, write: late spans of an old bucket are added to it), and
// Shutdown() writes the rest. Reads merge the store with what is not written yet, so a span
// counts as soon as its batch is acknowledged. Spans whose start is more than 10 minutes in
// the future or older than the retention count at the time they arrive.
// Thread-safe.
class SpanMetricsTap final : public SpanSink, public SpanMetricsReader {
 public:
  // `next`, `store`, `clock` and `metrics` must outlive the tap.
  SpanMetricsTap(SpanMetricsTapOptions options, SpanSink& next, KvStore& store, Clock& clock,
                 MetricsRegistry& metrics);
  ~SpanMetricsTap() override;

  // Starts the flush thread.
  void Start();
  // Stops the flush thread and writes what is left. Idempotent. Call it after `next` has
  // answered every batch.
  absl::Status Shutdown() ABSL_LOCKS_EXCLUDED(mu_);
  // Writes the aggregates gathered so far (the flush thread's step; tests call it directly).
  absl::Status Flush() ABSL_LOCKS_EXCLUDED(mu_);

  void Consume(SpanBatch batch, SpanSinkDone done) override;

  absl::StatusOr<std::vector<DependencyLink>> GetDependencies(absl::Time start,
                                                              absl::Time end) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::vector<MinuteMetrics>> GetMetrics(
      absl::Time start, absl::Time end, const std::set<std::string>& services,
      const std::set<std::string>& span_kinds) override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  using MetricDeltas = std::map<std::pair<absl::Time, SeriesKey>, MinuteCell>;
  using DependencyDeltas = std::map<std::tuple<absl::Time, std::string, std::string>, uint64_t>;

  void Apply(const std::vector<SpanFacts>& spans) ABSL_LOCKS_EXCLUDED(mu_);
  void AddSpanLocked(const SpanFacts& span, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PublishGaugesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteDeltas(const MetricDeltas& metrics, const DependencyDeltas& links);
  absl::Status DeleteExpired(absl::Time now);
  void FlushLoop() ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until no flush is writing, then returns the flush epoch (for a consistent read of
  // the store plus memory: a read is retried when the epoch moved).
  uint64_t AwaitQuietLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  const SpanMetricsTapOptions options_;
  SpanSink& next_;
  KvStore& store_;
  Clock& clock_;
  CounterFamily& evicted_;
  Counter& flush_errors_;
  std::atomic<double> tracked_spans_{0};
  std::atomic<double> waiting_children_{0};

  absl::Mutex mu_;
  DependencyLinker linker_ ABSL_GUARDED_BY(mu_);
  LinkerEvictions published_evictions_ ABSL_GUARDED_BY(mu_);
  MetricDeltas metrics_ ABSL_GUARDED_BY(mu_);
  DependencyDeltas links_ ABSL_GUARDED_BY(mu_);
  // Odd while a flush writes.
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_retention_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::thread flusher_;
};

}  // namespace spanvault::spanmetrics
