#include "sampling/decision_cache.h"

namespace spanvault::sampling {

void DecisionCache::Add(const TraceId& trace, bool keep, absl::Time decided_at) {
  decisions_[trace] = Entry{keep, decided_at};
  order_.emplace_back(decided_at, trace);
}

std::optional<bool> DecisionCache::Find(const TraceId& trace) const {
  auto it = decisions_.find(trace);
  if (it == decisions_.end()) return std::nullopt;
  return it->second.keep;
}

void DecisionCache::Expire(absl::Time now) {
  while (!order_.empty() && (order_.front().first < now - ttl_ || order_.size() > capacity_)) {
    auto [decided_at, trace] = order_.front();
    order_.pop_front();
    auto it = decisions_.find(trace);
    // A trace decided again later keeps its newer entry.
    if (it != decisions_.end() && it->second.decided_at == decided_at) decisions_.erase(it);
  }
}

}  // namespace spanvault::sampling
