#pragma once

// Policies over other policies (`and`, `drop`, `not`, `composite`) and the rate-based ones
// (`rate_limiting`, `composite`). Rate budgets are per spanvault process and read time from an
// injected Clock, so tests advance a FakeClock instead of sleeping. All are thread-safe: the
// rate state sits under a mutex, which is never held while a sub-policy is evaluated.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "sampling/policy.h"

namespace spanvault::sampling {

// `rate_limiting`: a token bucket in spans, like the Collector's (golang.org/x/time/rate):
// it refills continuously at spans_per_second up to burst_capacity (0 means 2 x
// spans_per_second) and starts full. A trace is kSampled when the bucket holds at least its
// span count, which is then taken out; otherwise kNotSampled and nothing is taken. A trace with
// more spans than the burst capacity never passes.
class RateLimitingPolicy final : public Policy {
 public:
  // `clock` must outlive the policy.
  RateLimitingPolicy(std::string name, int64_t spans_per_second, int64_t burst_capacity,
                     const Clock& clock);
  Decision Evaluate(const TraceView& trace) const override ABSL_LOCKS_EXCLUDED(mu_);
  std::string_view type() const override { return "rate_limiting"; }

 private:
  const double rate_;   // tokens per second
  const double burst_;  // bucket size
  const Clock& clock_;
  mutable absl::Mutex mu_;
  mutable double tokens_ ABSL_GUARDED_BY(mu_);
  mutable absl::Time last_ ABSL_GUARDED_BY(mu_);
};

// `and`: kSampled when every sub-policy samples (kSampled or kInvertSampled); kNotSampled at
// the first that does not (later sub-policies are not evaluated, so not charged).
class AndPolicy final : public Policy {
 public:
  AndPolicy(std::string name, std::vector<std::unique_ptr<Policy>> sub_policies);
  Decision Evaluate(const TraceView& trace) const override;
  std::string_view type() const override { return "and"; }

 private:
  const std::vector<std::unique_ptr<Policy>> sub_policies_;
};

// `drop`: kDropped when every sub-policy samples, else kNotSampled (as `and`).
class DropPolicy final : public Policy {
 public:
  DropPolicy(std::string name, std::vector<std::unique_ptr<Policy>> sub_policies);
  Decision Evaluate(const TraceView& trace) const override;
  std::string_view type() const override { return "drop"; }

 private:
  const std::vector<std::unique_ptr<Policy>> sub_policies_;
};

// `not`: kSampled <-> kNotSampled of its one sub-policy; inverted results pass unchanged (as in
// the Collector).
class NotPolicy final : public Policy {
 public:
  NotPolicy(std::string name, std::unique_ptr<Policy> sub_policy);
  Decision Evaluate(const TraceView& trace) const override;
  std::string_view type() const override { return "not"; }

 private:
  const std::unique_ptr<Policy> sub_policy_;
};

// `composite`: sub-policies are tried in order; the first that samples (kSampled or
// kInvertSampled) decides: kSampled if the trace's spans fit both that sub-policy's budget for
// the current wall-clock second and the composite's total budget for it (both are then
// charged), else kNotSampled. None samples -> kNotSampled. Budgets restart at every Unix second
// of the clock, as the Collector's do.
class CompositePolicy final : public Policy {
 public:
  struct SubPolicy {
    std::unique_ptr<Policy> policy;
    int64_t spans_per_second;  // this sub-policy's budget
  };
  // `sub_policies` in evaluation order; `clock` must outlive the policy.
  CompositePolicy(std::string name, int64_t max_total_spans_per_second,
                  std::vector<SubPolicy> sub_policies, const Clock& clock);
  Decision Evaluate(const TraceView& trace) const override ABSL_LOCKS_EXCLUDED(mu_);
  std::string_view type() const override { return "composite"; }

 private:
  void StartSecondLocked(int64_t second) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int64_t max_total_;
  const std::vector<SubPolicy> sub_policies_;
  const Clock& clock_;
  mutable absl::Mutex mu_;
  mutable int64_t current_second_ ABSL_GUARDED_BY(mu_) = -1;
  mutable int64_t total_spent_ ABSL_GUARDED_BY(mu_) = 0;
  mutable std::vector<int64_t> spent_ ABSL_GUARDED_BY(mu_);  // per sub-policy
};

}  // namespace spanvault::sampling
