// BuildPolicySet / BuildPolicy (declared in sampling_config.h): evaluators from parsed specs.

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "sampling/combined_policies.h"
#include "sampling/flow_status_policy.h"
#include "sampling/policies.h"
#include "sampling/sampling_config.h"

namespace spanvault::sampling {
namespace {

absl::StatusOr<std::vector<std::unique_ptr<Policy>>> BuildAll(const std::vector<PolicySpec>& specs,
                                                              const Clock& clock,
                                                              const JourneySource* journeys) {
  std::vector<std::unique_ptr<Policy>> out;
  out.reserve(specs.size());
  for (const PolicySpec& spec : specs) {
    SV_ASSIGN_OR_RETURN(std::unique_ptr<Policy> policy, BuildPolicy(spec, clock, journeys));
    out.push_back(std::move(policy));
  }
  return out;
}

// The budget of each composite sub-policy, as the Collector computes it: percent of the total,
// or an equal share for percent 0. A sub-policy without an allocation is bounded by the total
// budget only (the Collector gives it none, so it never samples, although its README suggests
// an unallocated always_sample "to fill the remaining capacity": that is what this does).
int64_t AllocatedSpansPerSecond(const PolicySpec::Composite& composite, const std::string& name,
                                size_t sub_policy_count) {
  const auto total = static_cast<double>(composite.max_total_spans_per_second);
  for (const auto& allocation : composite.rate_allocation) {
    if (allocation.policy != name) continue;
    if (allocation.percent > 0) {
      return static_cast<int64_t>(static_cast<double>(allocation.percent) / 100 * total);
    }
    return static_cast<int64_t>(total / static_cast<double>(sub_policy_count));
  }
  return composite.max_total_spans_per_second;
}

// Sub-policy indices in evaluation order: policy_order first, then the rest as configured.
std::vector<size_t> CompositeOrder(const PolicySpec& spec) {
  std::vector<size_t> order;
  for (const std::string& name : spec.composite.policy_order) {
    for (size_t i = 0; i < spec.sub_policies.size(); ++i) {
      if (spec.sub_policies[i].name == name &&
          std::find(order.begin(), order.end(), i) == order.end()) {
        order.push_back(i);
      }
    }
  }
  for (size_t i = 0; i < spec.sub_policies.size(); ++i) {
    if (std::find(order.begin(), order.end(), i) == order.end()) order.push_back(i);
  }
  return order;
}

absl::StatusOr<std::unique_ptr<Policy>> BuildComposite(const PolicySpec& spec, const Clock& clock) {
  std::vector<CompositePolicy::SubPolicy> subs;
  for (size_t i : CompositeOrder(spec)) {
    const PolicySpec& sub = spec.sub_policies[i];
    SV_ASSIGN_OR_RETURN(std::unique_ptr<Policy> policy, BuildPolicy(sub, clock));
    subs.push_back(CompositePolicy::SubPolicy{
        .policy = std::move(policy),
        .spans_per_second =
            AllocatedSpansPerSecond(spec.composite, sub.name, spec.sub_policies.size())});
  }
  return std::make_unique<CompositePolicy>(spec.name, spec.composite.max_total_spans_per_second,
                                           std::move(subs), clock);
}

absl::StatusOr<std::unique_ptr<Policy>> BuildCombined(const PolicySpec& spec, const Clock& clock) {
  if (spec.type == PolicyType::kComposite) return BuildComposite(spec, clock);
  SV_ASSIGN_OR_RETURN(std::vector<std::unique_ptr<Policy>> subs,
                      BuildAll(spec.sub_policies, clock, nullptr));
  switch (spec.type) {
    case PolicyType::kAnd:
      return std::make_unique<AndPolicy>(spec.name, std::move(subs));
    case PolicyType::kDrop:
      return std::make_unique<DropPolicy>(spec.name, std::move(subs));
    case PolicyType::kNot:
      if (subs.size() != 1) {
        return absl::InvalidArgumentError(
            absl::StrCat("policy \"", spec.name, "\": not needs exactly one sub-policy"));
      }
      return std::make_unique<NotPolicy>(spec.name, std::move(subs.front()));
    default:
      return absl::InternalError("not a combining policy type");
  }
}

absl::StatusOr<std::unique_ptr<Policy>> BuildFlowStatus(const PolicySpec& spec,
                                                        const JourneySource* journeys) {
  if (journeys == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("sampling policy \"", spec.name,
                     "\" (flow_status) needs the journeys of the flows section"));
  }
  std::set<journeys::JourneyStatus> statuses;
  for (const std::string& name : spec.flow_status.statuses) {
    std::optional<journeys::JourneyStatus> status = journeys::StatusFromName(name);
    if (!status) return absl::InvalidArgumentError(absl::StrCat("unknown journey status ", name));
    statuses.insert(*status);
  }
  std::set<std::string> flows(spec.flow_status.flows.begin(), spec.flow_status.flows.end());
  return std::make_unique<FlowStatusPolicy>(spec.name, std::move(flows), std::move(statuses),
                                            spec.flow_status.max_wait, *journeys);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Policy>> BuildPolicy(const PolicySpec& spec, const Clock& clock,
                                                    const JourneySource* journeys) {
  const std::string& name = spec.name;
  switch (spec.type) {
    case PolicyType::kAlwaysSample:
      return std::make_unique<AlwaysSamplePolicy>(name);
    case PolicyType::kLatency:
      return std::make_unique<LatencyPolicy>(name, spec.latency.threshold_ms,
                                             spec.latency.upper_threshold_ms);
    case PolicyType::kStatusCode:
      return std::make_unique<StatusCodePolicy>(name, spec.status_code.status_codes);
    case PolicyType::kStringAttribute: {
      const auto& c = spec.string_attribute;
      SV_ASSIGN_OR_RETURN(std::unique_ptr<StringAttributePolicy> policy,
                          StringAttributePolicy::Create(name, c.key, c.values,
                                                        c.enabled_regex_matching, c.invert_match));
      return std::unique_ptr<Policy>(std::move(policy));
    }
    case PolicyType::kNumericAttribute: {
      const auto& c = spec.numeric_attribute;
      return std::make_unique<NumericAttributePolicy>(name, c.key, c.min_value, c.max_value,
                                                      c.invert_match);
    }
    case PolicyType::kBooleanAttribute: {
      const auto& c = spec.boolean_attribute;
      return std::make_unique<BooleanAttributePolicy>(name, c.key, c.value, c.invert_match);
    }
    case PolicyType::kSpanCount:
      return std::make_unique<SpanCountPolicy>(name, spec.span_count.min_spans,
                                               spec.span_count.max_spans);
    case PolicyType::kTraceState:
      return std::make_unique<TraceStatePolicy>(name, spec.trace_state.key,
                                                spec.trace_state.values);
    case PolicyType::kTraceFlags:
      return std::make_unique<TraceFlagsPolicy>(name);
    case PolicyType::kProbabilistic:
      return std::make_unique<ProbabilisticPolicy>(name, spec.probabilistic.sampling_percentage,
                                                   spec.probabilistic.hash_salt);
    case PolicyType::kRateLimiting:
      return std::make_unique<RateLimitingPolicy>(name, spec.rate_limiting.spans_per_second,
                                                  spec.rate_limiting.burst_capacity, clock);
    case PolicyType::kAnd:
    case PolicyType::kNot:
    case PolicyType::kDrop:
    case PolicyType::kComposite:
      return BuildCombined(spec, clock);
    case PolicyType::kFlowStatus:
      return BuildFlowStatus(spec, journeys);
  }
  return absl::InvalidArgumentError("unknown policy type");
}

absl::StatusOr<std::unique_ptr<PolicySet>> BuildPolicySet(const SamplingConfig& config,
                                                          const Clock& clock,
                                                          const JourneySource* journeys) {
  SV_ASSIGN_OR_RETURN(std::vector<std::unique_ptr<Policy>> policies,
                      BuildAll(config.policies, clock, journeys));
  return std::make_unique<PolicySet>(std::move(policies), config.sample_on_first_match);
}

}  // namespace spanvault::sampling
