#pragma once

// TimeBuckets: the live time buckets of the trace column families (key_codec.h). A span lands
// in the bucket of its start time, so retention drops old data a whole bucket at a time.

#include <cstdint>
#include <map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace spanvault {

// [start, end) in Unix seconds; `start` is the bucket's id in keys.
struct TimeBucket {
  uint64_t start = 0;
  uint64_t end = 0;

  friend bool operator==(const TimeBucket& a, const TimeBucket& b) {
    return a.start == b.start && a.end == b.end;
  }
};

// The bucket width for a retention: a seventh of it (so about eight buckets are live), whole
// seconds, at least 1 s and at most a day. A retention of zero (keep forever) gets a day.
absl::Duration BucketWidthFor(absl::Duration retention);

// Thread-safe.
class TimeBuckets {
 public:
  TimeBuckets(absl::Duration width, absl::Duration retention);

  // The bucket a span starting at `start_unix_nano` belongs in at `now`: the live one holding
  // that second, else a new one of the configured width (aligned to it, and clipped so it never
  // overlaps a live bucket). A start in the future or older than the retention counts as `now`
  // (late or skewed spans still stay for the whole retention). New buckets are not live until
  // Add(); with `live`, says whether the bucket returned is live already (one lock per span on
  // the writer's path).
  TimeBucket BucketFor(uint64_t start_unix_nano, absl::Time now, bool* live = nullptr) const
      ABSL_LOCKS_EXCLUDED(mu_);

  void Add(const TimeBucket& bucket) ABSL_LOCKS_EXCLUDED(mu_);
  void Remove(uint64_t start) ABSL_LOCKS_EXCLUDED(mu_);

  // Live bucket ids, newest first.
  std::vector<uint64_t> NewestFirst() const ABSL_LOCKS_EXCLUDED(mu_);
  // Live buckets that ended at or before `now` minus the retention, oldest first; none when
  // the retention is zero.
  std::vector<TimeBucket> Expired(absl::Time now) const ABSL_LOCKS_EXCLUDED(mu_);
  // Every live bucket, oldest first.
  std::vector<TimeBucket> OldestFirst() const ABSL_LOCKS_EXCLUDED(mu_);

  absl::Duration retention() const { return retention_; }

 private:
  const uint64_t width_seconds_;
  const absl::Duration retention_;
  mutable absl::Mutex mu_;
  std::map<uint64_t, uint64_t> live_ ABSL_GUARDED_BY(mu_);  // start -> end
};

}  // namespace spanvault
