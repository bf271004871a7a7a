#pragma once

// RuleSet: "keep every trace with attribute = value until it expires", added at run time.

#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "sampling/policy.h"
#include "storage/trace_store.h"

namespace spanvault::sampling {

struct SamplingRule {
  std::string id;
  std::string attribute_key;
  std::string attribute_value;
  absl::Time created_at;
  absl::Time expires_at;
  std::string reason;
  std::string created_by;
};

// The runtime rules, persisted in the store so they survive restarts. A rule keeps a trace
// when any span or resource attribute `attribute_key` has the value `attribute_value` (compared
// as strings, as search does), until `expires_at`. Thread-safe.
class RuleSet {
 public:
  // Longest a rule may apply.
  static constexpr absl::Duration kMaxDuration = absl::Hours(24 * 30);

  // `store` and `clock` must outlive the set.
  RuleSet(TraceStore& store, const Clock& clock) : store_(store), clock_(clock) {}

  // Loads the stored rules and deletes the expired ones.
  absl::Status Load() ABSL_LOCKS_EXCLUDED(mu_);
  // Adds and persists a rule. kInvalidArgument for an empty key or value or a duration not in
  // (0, kMaxDuration].
  absl::StatusOr<SamplingRule> Add(std::string key, std::string value, absl::Duration duration,
                                   std::string reason, std::string created_by)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The rules in force, soonest expiry first.
  std::vector<SamplingRule> List() const ABSL_LOCKS_EXCLUDED(mu_);
  // kNotFound for an unknown (or already expired) id.
  absl::Status Remove(const std::string& id) ABSL_LOCKS_EXCLUDED(mu_);
  // The id of a rule in force that keeps `trace`, if any.
  std::optional<std::string> Match(const TraceView& trace) const ABSL_LOCKS_EXCLUDED(mu_);
  // Deletes the expired rules from memory and the store.
  absl::Status Expire() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  TraceStore& store_;
  const Clock& clock_;
  mutable absl::Mutex mu_;
  std::vector<SamplingRule> rules_ ABSL_GUARDED_BY(mu_);
};

}  // namespace spanvault::sampling
