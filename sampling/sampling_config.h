#pragma once

// The `sampling` section of the spanvault YAML config: the sampler's timing and limits, and the
// policies in the OpenTelemetry Collector's `tail_sampling` syntax, so users can paste their
// Collector policies. docs/sampling.md is the user's description of every key.
//
//   sampling:
//     decision_wait: 10s
//     policies:
//       - name: errors
//         type: status_code
//         status_code: {status_codes: [ERROR]}
//
// Parsing validates everything once, at load, with messages that name the field path
// (`sampling.policies[2].latency.threshold_ms: must be a non-negative integer`). Unknown keys
// are errors, so a typo never passes silently. With no `sampling` section, or no policies,
// sampling is off: every trace is kept and searchable at once (SamplingConfig::enabled()).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/otlp_util.h"
#include "sampling/policy.h"

namespace YAML {
class Node;
}

namespace spanvault::sampling {

class JourneySource;  // sampling/flow_status_policy.h

// The policy types spanvault evaluates, by their Collector names.
enum class PolicyType {
  kAlwaysSample,
  kLatency,
  kStatusCode,
  kStringAttribute,
  kNumericAttribute,
  kBooleanAttribute,
  kSpanCount,
  kTraceState,
  kTraceFlags,
  kProbabilistic,
  kRateLimiting,
  kAnd,
  kNot,
  kDrop,
  kComposite,
  // spanvault's own: keeps the traces of orders (flows) that are stuck or failed.
  kFlowStatus,
};

// "always_sample", "latency", ...
std::string_view PolicyTypeName(PolicyType type);

// One configured policy, mirroring the Collector's PolicyCfg: `name`, `type` and the fields of
// that type (the other fields keep their defaults). Value type.
struct PolicySpec {
  std::string name;  // unique among top-level policies; may be empty in and/drop/not
  PolicyType type = PolicyType::kAlwaysSample;

  struct Latency {
    int64_t threshold_ms = 0;
    int64_t upper_threshold_ms = 0;  // 0: no upper bound
  } latency;
  struct StatusCode {
    std::vector<otlp::Status::StatusCode> status_codes;
  } status_code;
  struct StringAttribute {
    std::string key;
    std::vector<std::string> values;
    bool enabled_regex_matching = false;
    int64_t cache_max_size = 0;  // accepted for compatibility; RE2 needs no result cache
    bool invert_match = false;
  } string_attribute;
  struct NumericAttribute {
    std::string key;
    std::optional<int64_t> min_value;  // absent: unbounded
    std::optional<int64_t> max_value;
    bool invert_match = false;
  } numeric_attribute;
  struct BooleanAttribute {
    std::string key;
    bool value = false;
    bool invert_match = false;
  } boolean_attribute;
  struct SpanCount {
    int64_t min_spans = 0;
    int64_t max_spans = 0;  // 0: no upper bound
  } span_count;
  struct TraceState {
    std::string key;
    std::vector<std::string> values;
  } trace_state;
  struct Probabilistic {
    double sampling_percentage = 0;
    std::string hash_salt;  // empty: the Collector's default salt
  } probabilistic;
  struct RateLimiting {
    int64_t spans_per_second = 0;
    int64_t burst_capacity = 0;  // 0: 2 x spans_per_second
  } rate_limiting;
  struct Composite {
    int64_t max_total_spans_per_second = 0;
    std::vector<std::string> policy_order;  // sub-policy names tried first, in this order
    struct RateAllocation {
      std::string policy;
      int64_t percent = 0;  // 0: an equal share (max_total / number of sub-policies)
    };
    // Sub-policies without an entry are bounded only by max_total_spans_per_second.
    std::vector<RateAllocation> rate_allocation;
  } composite;

  // spanvault's own (docs/sampling.md): the traces of journeys (the `flows` section) whose
  // verdict is one of `statuses`. Top level only.
  struct FlowStatus {
    std::vector<std::string> flows;                           // empty: every configured flow
    std::vector<std::string> statuses = {"stuck", "failed"};  // journey verdict names
    // How far ahead a trace of an order still in progress may be looked at again (when its
    // next step is overdue) instead of being decided now.
    absl::Duration max_wait = absl::Minutes(15);
  } flow_status;

  // and_sub_policy, drop_sub_policy, composite_sub_policy (in configuration order), or the one
  // not_sub_policy.
  std::vector<PolicySpec> sub_policies;
};

// The whole `sampling` section, with its defaults. Value type.
struct SamplingConfig {
  // A trace is decided this long after its first span arrived. Default 10 s.
  absl::Duration decision_wait = absl::Seconds(10);
  // ... or earlier, once its root span has arrived and no span came for this long. Default 2 s;
  // 0 turns the early decision off. At most decision_wait.
  absl::Duration decision_quiet = absl::Seconds(2);
  // How long a decision is remembered for late spans. Default 1 h.
  absl::Duration decision_cache_ttl = absl::Hours(1);
  // Undecided traces held at once; above it exports are refused with a retryable status.
  // Default 1,000,000 (100 s of 10,000 new traces/s at the default decision_wait).
  uint64_t max_pending_traces = 1'000'000;
  // Bytes of undecided span data held at once (on disk); above it exports are refused with a
  // retryable status. Default 4 GiB.
  uint64_t max_pending_bytes = uint64_t{4} << 30;
  // A trace is decided early once it has this many spans; later spans are counted, not kept.
  // Default 100,000.
  uint64_t max_spans_per_trace = 100'000;
  // The Collector's `sample_on_first_match`: stop evaluating at the first kSampled policy.
  bool sample_on_first_match = false;
  // Top-level policies in configuration order. Empty: sampling is off.
  std::vector<PolicySpec> policies;
  // Keys accepted for compatibility with a pasted Collector config but not used by spanvault
  // (`num_traces`, `decision_cache`, ...), one sentence each; the caller logs them at start.
  std::vector<std::string> warnings;

  // False when there are no policies: the sampler is bypassed and every trace is kept.
  bool enabled() const { return !policies.empty(); }
};

// Parses the value of the `sampling` key (a mapping; a null node means "no section"). Returns
// kInvalidArgument with a message that starts with the path of the bad field
// (`sampling.policies[1].string_attribute.values: ...`) for a wrong type or value, a missing
// required field, an unknown key, an unknown or misplaced policy type (the message lists the
// supported ones), duplicate policy names, or a regex RE2 rejects. Does not throw.
absl::StatusOr<SamplingConfig> ParseSamplingConfig(const YAML::Node& sampling_section);

// Same, from YAML text holding the section's value (what follows `sampling:`); kInvalidArgument
// also for text that is not YAML.
absl::StatusOr<SamplingConfig> ParseSamplingConfigText(std::string_view section_yaml);

// Builds the evaluators of `config.policies`. rate_limiting and composite read `clock`, which
// must outlive the set. kInvalidArgument for a spec ParseSamplingConfig would have rejected (a
// regex that does not compile); a parsed config always builds.
// flow_status reads `journeys` (borrowed; required for a flow_status policy, else
// kInvalidArgument).
absl::StatusOr<std::unique_ptr<PolicySet>> BuildPolicySet(const SamplingConfig& config,
                                                          const Clock& clock,
                                                          const JourneySource* journeys = nullptr);

// One policy (and its sub-policies) from its spec; the same errors as BuildPolicySet.
absl::StatusOr<std::unique_ptr<Policy>> BuildPolicy(const PolicySpec& spec, const Clock& clock,
                                                    const JourneySource* journeys = nullptr);

}  // namespace spanvault::sampling
