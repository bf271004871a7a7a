#include "sampling/policy.h"

#include <algorithm>
#include <array>
#include <utility>

namespace spanvault::sampling {

std::string_view DecisionName(Decision decision) {
  switch (decision) {
    case Decision::kNotSampled:
      return "not_sampled";
    case Decision::kSampled:
      return "sampled";
    case Decision::kInvertNotSampled:
      return "invert_not_sampled";
    case Decision::kInvertSampled:
      return "invert_sampled";
    case Decision::kDropped:
      return "dropped";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------------------------
// TraceView

namespace {

TraceId FirstTraceId(const otlp::TracesData& data) {
  for (const auto& rs : data.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans()) {
        absl::StatusOr<TraceId> id = TraceId::FromBytes(span.trace_id());
        if (id.ok()) return *id;
      }
    }
  }
  return TraceId();
}

}  // namespace

TraceView::TraceView(const TraceId& trace_id, const otlp::TracesData& data)
    : trace_id_(trace_id), data_(&data) {
  Precompute();
}

TraceView::TraceView(const otlp::TracesData& data) : TraceView(FirstTraceId(data), data) {}

void TraceView::Precompute() {
  for (const auto& rs : data_->resource_spans()) {
    bool resource_has_spans = false;
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans()) {
        resource_has_spans = true;
        spans_.push_back({&rs.resource(), &ss.scope(), &span});
        const uint64_t start = span.start_time_unix_nano();
        const uint64_t end = span.end_time_unix_nano();
        if (start != 0 && (earliest_start_ == 0 || start < earliest_start_))
          earliest_start_ = start;
        if (end != 0 && end > latest_end_) latest_end_ = end;
        const int code = span.status().code();
        if (code >= 0 && code < 8) status_codes_seen_ |= static_cast<uint8_t>(1u << code);
        if (span.parent_span_id().empty()) has_root_ = true;
        if ((span.flags() & 0x01u) != 0) has_sampled_flag_ = true;
      }
    }
    if (resource_has_spans) resources_.push_back(&rs.resource());
  }
  span_count_ = static_cast<int64_t>(spans_.size());
}

uint64_t TraceView::duration_nanos() const {
  if (earliest_start_ == 0 || latest_end_ == 0 || latest_end_ < earliest_start_) return 0;
  return latest_end_ - earliest_start_;
}

bool TraceView::HasStatusCode(otlp::Status::StatusCode code) const {
  const int c = static_cast<int>(code);
  return c >= 0 && c < 8 && (status_codes_seen_ & (1u << c)) != 0;
}

bool TraceView::AnyAttribute(
    std::string_view key,
    absl::FunctionRef<bool(const otlp::AnyValue&, AttributeSource)> match) const {
  for (const otlp::Resource* resource : resources_) {
    const otlp::AnyValue* value = FindAttribute(resource->attributes(), key);
    if (value != nullptr && match(*value, AttributeSource::kResource)) return true;
  }
  for (const SpanRef& ref : spans_) {
    const otlp::AnyValue* value = FindAttribute(ref.span->attributes(), key);
    if (value != nullptr && match(*value, AttributeSource::kSpan)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// PolicySet

namespace {

std::vector<std::unique_ptr<Policy>> DropPoliciesFirst(
    std::vector<std::unique_ptr<Policy>> policies) {
  std::stable_partition(policies.begin(), policies.end(),
                        [](const std::unique_ptr<Policy>& p) { return p->type() == "drop"; });
  return policies;
}

}  // namespace

PolicySet::PolicySet(std::vector<std::unique_ptr<Policy>> policies, bool sample_on_first_match)
    : policies_(DropPoliciesFirst(std::move(policies))),
      sample_on_first_match_(sample_on_first_match) {}

std::optional<absl::Time> PolicySet::RevisitAt(const TraceView& trace, absl::Time now) const {
  std::optional<absl::Time> earliest;
  for (const auto& policy : policies_) {
    std::optional<absl::Time> at = policy->RevisitAt(trace, now);
    if (at && *at > now && (!earliest || *at < *earliest)) earliest = at;
  }
  return earliest;
}

SamplingResult PolicySet::Evaluate(const TraceView& trace) const {
  return Evaluate(trace, [](const Policy&, Decision) {});
}

SamplingResult PolicySet::Evaluate(const TraceView& trace,
                                   absl::FunctionRef<void(const Policy&, Decision)> observe) const {
  if (policies_.empty()) return SamplingResult{.keep = true, .decision = Decision::kSampled};
  // The first policy that returned each decision, indexed by Decision.
  std::array<const Policy*, 5> first = {};
  for (const auto& policy : policies_) {
    const Decision d = policy->Evaluate(trace);
    observe(*policy, d);
    const auto i = static_cast<size_t>(d);
    if (first[i] == nullptr) first[i] = policy.get();
    if (d == Decision::kDropped) break;
    if (sample_on_first_match_ && d == Decision::kSampled) break;
  }
  auto seen = [&](Decision d) { return first[static_cast<size_t>(d)]; };
  if (const Policy* p = seen(Decision::kDropped)) {
    return SamplingResult{.keep = false, .decision = Decision::kDropped, .policy = p->name()};
  }
  if (const Policy* p = seen(Decision::kInvertNotSampled)) {
    return SamplingResult{.keep = false, .decision = Decision::kNotSampled, .policy = p->name()};
  }
  if (const Policy* p = seen(Decision::kSampled)) {
    return SamplingResult{.keep = true, .decision = Decision::kSampled, .policy = p->name()};
  }
  const Policy* inverted = seen(Decision::kInvertSampled);
  if (inverted != nullptr && seen(Decision::kNotSampled) == nullptr) {
    return SamplingResult{.keep = true, .decision = Decision::kSampled, .policy = inverted->name()};
  }
  return SamplingResult{.keep = false, .decision = Decision::kNotSampled};
}

}  // namespace spanvault::sampling
