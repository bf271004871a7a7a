#pragma once

// DecisionCache: the recent sampling decisions late spans follow, bounded in age and count.

#include <cstddef>
#include <deque>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "common/ids.h"

namespace spanvault::sampling {

// Not thread-safe; the TailSampler guards it with its own mutex.
class DecisionCache {
 public:
  // Decisions older than `ttl`, or beyond the newest `capacity`, are forgotten.
  DecisionCache(absl::Duration ttl, size_t capacity) : ttl_(ttl), capacity_(capacity) {}

  void Add(const TraceId& trace, bool keep, absl::Time decided_at);
  // Whether the trace was kept, if it was decided and is still remembered.
  std::optional<bool> Find(const TraceId& trace) const;
  void Erase(const TraceId& trace) { decisions_.erase(trace); }
  // Forgets what is older than `now - ttl` or over capacity.
  void Expire(absl::Time now);
  size_t size() const { return decisions_.size(); }

 private:
  struct Entry {
    bool keep;
    absl::Time decided_at;
  };
  const absl::Duration ttl_;
  const size_t capacity_;
  absl::flat_hash_map<TraceId, Entry> decisions_;
  std::deque<std::pair<absl::Time, TraceId>> order_;  // oldest first
};

}  // namespace spanvault::sampling
