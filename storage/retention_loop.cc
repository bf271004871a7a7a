#include "storage/retention_loop.h"

#include <algorithm>
#include <string>

#include "spdlog/spdlog.h"
#include "storage/rocksdb/time_buckets.h"

namespace spanvault {

absl::Duration RetentionIntervalFor(absl::Duration retention) {
  return std::clamp(BucketWidthFor(retention) / 4, absl::Milliseconds(100), absl::Minutes(1));
}

RetentionLoop::RetentionLoop(RetentionLoopOptions options, TraceStore& store, Clock& clock,
                             MetricsRegistry& metrics)
    : options_(options),
      store_(store),
      clock_(clock),
      dropped_(metrics.AddCounter("spanvault_retention_buckets_dropped_total",
                                  "Time buckets of spans removed, by reason (age: past the "
                                  "retention; disk: over --max-disk-bytes).",
                                  {"reason"})),
      bytes_freed_(metrics
                       .AddCounter("spanvault_retention_bytes_freed_total",
                                   "Disk bytes the trace store gave back in retention passes.", {})
                       .With({})),
      failures_(metrics
                    .AddCounter("spanvault_retention_failures_total",
                                "Retention passes that failed (retried at the next interval).", {})
                    .With({})) {
  metrics.AddGauge("spanvault_retention_oldest_data_timestamp_seconds",
                   "Start of the oldest time bucket of spans still stored (Unix seconds; 0: none).",
                   [this] { return oldest_data_unix_.load(); });
}

void RetentionLoop::Start() {
  thread_ = std::thread([this] {
    while (true) {
      RunOnce();
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.interval)) return;
    }
  });
}

void RetentionLoop::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void RetentionLoop::RunOnce() {
  auto report = store_.EnforceRetention(clock_.Now(), options_.max_disk_bytes);
  if (!report.ok()) {
    failures_.Increment();
    spdlog::error("retention pass failed: {}", std::string(report.status().message()));
    return;
  }
  if (report->buckets_dropped_for_age > 0)
    dropped_.With({"age"}).Increment(report->buckets_dropped_for_age);
  if (report->buckets_dropped_for_disk > 0)
    dropped_.With({"disk"}).Increment(report->buckets_dropped_for_disk);
  if (report->bytes_before > report->bytes_after) {
    bytes_freed_.Increment(static_cast<double>(report->bytes_before - report->bytes_after));
  }
  oldest_data_unix_.store(
      report->oldest_data ? absl::ToDoubleSeconds(*report->oldest_data - absl::UnixEpoch()) : 0);
  int dropped = report->buckets_dropped_for_age + report->buckets_dropped_for_disk;
  if (dropped > 0) {
    spdlog::info(
        "retention: dropped {} time bucket(s) ({} past the retention, {} over the disk budget); {} "
        "-> {} bytes",
        dropped, report->buckets_dropped_for_age, report->buckets_dropped_for_disk,
        report->bytes_before, report->bytes_after);
  }
}

}  // namespace spanvault
