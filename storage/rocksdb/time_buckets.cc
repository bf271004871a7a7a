#include "storage/rocksdb/time_buckets.h"

#include <algorithm>

namespace spanvault {

absl::Duration BucketWidthFor(absl::Duration retention) {
  if (retention <= absl::ZeroDuration()) return absl::Hours(24);
  absl::Duration width = absl::Trunc(retention / 7, absl::Seconds(1));
  return std::clamp(width, absl::Seconds(1), absl::Hours(24));
}

TimeBuckets::TimeBuckets(absl::Duration width, absl::Duration retention)
    : width_seconds_(static_cast<uint64_t>(std::max<int64_t>(1, absl::ToInt64Seconds(width)))),
      retention_(retention) {}

TimeBucket TimeBuckets::BucketFor(uint64_t start_unix_nano, absl::Time now, bool* live) const {
  auto start = absl::FromUnixNanos(
      static_cast<int64_t>(std::min<uint64_t>(start_unix_nano, static_cast<uint64_t>(INT64_MAX))));
  bool too_old = retention_ > absl::ZeroDuration() && start < now - retention_;
  if (start > now || too_old || start < absl::UnixEpoch()) start = now;
  auto second = static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixSeconds(start)));
  absl::MutexLock lock(&mu_);
  auto next = live_.upper_bound(second);  // the first bucket starting after `second`
  if (live != nullptr) *live = false;
  if (next != live_.begin()) {
    auto holding = std::prev(next);
    if (second < holding->second) {
      if (live != nullptr) *live = true;
      return {holding->first, holding->second};
    }
  }
  TimeBucket bucket{second - second % width_seconds_, 0};
  bucket.end = bucket.start + width_seconds_;
  if (next != live_.begin()) bucket.start = std::max(bucket.start, std::prev(next)->second);
  if (next != live_.end()) bucket.end = std::min(bucket.end, next->first);
  return bucket;
}

void TimeBuckets::Add(const TimeBucket& bucket) {
  absl::MutexLock lock(&mu_);
  live_[bucket.start] = bucket.end;
}

void TimeBuckets::Remove(uint64_t start) {
  absl::MutexLock lock(&mu_);
  live_.erase(start);
}

std::vector<uint64_t> TimeBuckets::NewestFirst() const {
  absl::MutexLock lock(&mu_);
  std::vector<uint64_t> out;
  for (auto it = live_.rbegin(); it != live_.rend(); ++it) out.push_back(it->first);
  return out;
}

std::vector<TimeBucket> TimeBuckets::Expired(absl::Time now) const {
  std::vector<TimeBucket> out;
  if (retention_ <= absl::ZeroDuration()) return out;
  int64_t cutoff = absl::ToUnixSeconds(now - retention_);
  absl::MutexLock lock(&mu_);
  for (const auto& [start, end] : live_) {
    if (static_cast<int64_t>(end) > cutoff) break;
    out.push_back({start, end});
  }
  return out;
}

std::vector<TimeBucket> TimeBuckets::OldestFirst() const {
  absl::MutexLock lock(&mu_);
  std::vector<TimeBucket> out;
  for (const auto& [start, end] : live_) out.push_back({start, end});
  return out;
}

}  // namespace spanvault
