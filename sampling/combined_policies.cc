#include "sampling/combined_policies.h"

#include <algorithm>
#include <utility>

namespace spanvault::sampling {
namespace {

bool IsSampled(Decision d) { return d == Decision::kSampled || d == Decision::kInvertSampled; }

// True when every sub-policy samples; stops at the first that does not.
bool AllSample(const std::vector<std::unique_ptr<Policy>>& sub_policies, const TraceView& trace) {
  for (const auto& sub : sub_policies) {
    if (!IsSampled(sub->Evaluate(trace))) return false;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// rate_limiting

RateLimitingPolicy::RateLimitingPolicy(std::string name, int64_t spans_per_second,
                                       int64_t burst_capacity, const Clock& clock)
    : Policy(std::move(name)),
      rate_(static_cast<double>(spans_per_second)),
      burst_(static_cast<double>(burst_capacity > 0 ? burst_capacity : 2 * spans_per_second)),
      clock_(clock),
      tokens_(burst_),
      last_(clock.Now()) {}

Decision RateLimitingPolicy::Evaluate(const TraceView& trace) const {
  const auto spans = static_cast<double>(trace.span_count());
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  if (now > last_) {
    tokens_ = std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * rate_);
    last_ = now;
  }
  if (spans > burst_ || spans > tokens_) return Decision::kNotSampled;
  tokens_ -= spans;
  return Decision::kSampled;
}

// ---------------------------------------------------------------------------------------------
// and, drop, not

AndPolicy::AndPolicy(std::string name, std::vector<std::unique_ptr<Policy>> sub_policies)
    : Policy(std::move(name)), sub_policies_(std::move(sub_policies)) {}

Decision AndPolicy::Evaluate(const TraceView& trace) const {
  return AllSample(sub_policies_, trace) ? Decision::kSampled : Decision::kNotSampled;
}

DropPolicy::DropPolicy(std::string name, std::vector<std::unique_ptr<Policy>> sub_policies)
    : Policy(std::move(name)), sub_policies_(std::move(sub_policies)) {}

Decision DropPolicy::Evaluate(const TraceView& trace) const {
  return AllSample(sub_policies_, trace) ? Decision::kDropped : Decision::kNotSampled;
}

NotPolicy::NotPolicy(std::string name, std::unique_ptr<Policy> sub_policy)
    : Policy(std::move(name)), sub_policy_(std::move(sub_policy)) {}

Decision NotPolicy::Evaluate(const TraceView& trace) const {
  const Decision d = sub_policy_->Evaluate(trace);
  if (d == Decision::kSampled) return Decision::kNotSampled;
  if (d == Decision::kNotSampled) return Decision::kSampled;
  return d;
}

// ---------------------------------------------------------------------------------------------
// composite

CompositePolicy::CompositePolicy(std::string name, int64_t max_total_spans_per_second,
                                 std::vector<SubPolicy> sub_policies, const Clock& clock)
    : Policy(std::move(name)),
      max_total_(max_total_spans_per_second),
      sub_policies_(std::move(sub_policies)),
      clock_(clock),
      spent_(sub_policies_.size(), 0) {}

void CompositePolicy::StartSecondLocked(int64_t second) const {
  if (second == current_second_) return;
  current_second_ = second;
  total_spent_ = 0;
  std::fill(spent_.begin(), spent_.end(), 0);
}

Decision CompositePolicy::Evaluate(const TraceView& trace) const {
  size_t chosen = 0;
  while (chosen < sub_policies_.size() &&
         !IsSampled(sub_policies_[chosen].policy->Evaluate(trace))) {
    ++chosen;
  }
  if (chosen == sub_policies_.size()) return Decision::kNotSampled;
  const int64_t spans = trace.span_count();
  const int64_t second = absl::ToUnixSeconds(clock_.Now());
  absl::MutexLock lock(&mu_);
  StartSecondLocked(second);
  // Over budget: not charged, so a smaller trace may still fit in this second.
  if (spent_[chosen] + spans > sub_policies_[chosen].spans_per_second ||
      total_spent_ + spans > max_total_) {
    return Decision::kNotSampled;
  }
  spent_[chosen] += spans;
  total_spent_ += spans;
  return Decision::kSampled;
}

}  // namespace spanvault::sampling
