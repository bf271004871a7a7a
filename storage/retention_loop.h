#pragma once

// RetentionLoop: runs the store's retention pass (TraceStore::EnforceRetention) in the
// background and reports what it removed on /metrics.

#include <atomic>
#include <cstdint>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "storage/trace_store.h"

namespace spanvault {

struct RetentionLoopOptions {
  // Time between passes. Default: 1 minute.
  absl::Duration interval = absl::Minutes(1);
  // Disk budget of the trace store; 0: none.
  uint64_t max_disk_bytes = 0;
};

// How often to run the pass for a retention: a quarter of a time bucket, between 100 ms and a
// minute (a bucket past the retention goes within that much of its time).
absl::Duration RetentionIntervalFor(absl::Duration retention);

// Thread-safe.
class RetentionLoop {
 public:
  // `store`, `clock` and `metrics` must outlive the loop.
  RetentionLoop(RetentionLoopOptions options, TraceStore& store, Clock& clock,
                MetricsRegistry& metrics);
  ~RetentionLoop() { Shutdown(); }

  // Runs a first pass at once, then one every interval.
  void Start();
  // Stops the loop (a pass in progress finishes first). Idempotent.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);
  // One pass (the loop's step), with its metrics.
  void RunOnce();

 private:
  const RetentionLoopOptions options_;
  TraceStore& store_;
  Clock& clock_;
  CounterFamily& dropped_;
  Counter& bytes_freed_;
  Counter& failures_;
  std::atomic<double> oldest_data_unix_{0};
  std::thread thread_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace spanvault
