#pragma once

// Tail-sampling policies: what a policy sees of a complete trace (TraceView), the policy
// interface, and the configured list of policies with the OpenTelemetry Collector's rules for
// combining their decisions (PolicySet).
//
// Final decision (PolicySet::Evaluate), exactly the Collector's `tail_sampling` processor
// (contrib, 2025-2026):
//
//   0. With no policies at all, every trace is kept (sampling is off; `policy` is empty).
//   1. Drop policies run first (in configuration order), then every other policy in
//      configuration order. Evaluation stops at the first kDropped and, with
//      `sample_on_first_match`, at the first kSampled. Every other policy is evaluated, so a
//      stateful policy (rate_limiting, composite) is charged even for a trace another policy
//      already keeps.
//   2. Any kDropped                          -> drop  (decision kDropped; policy = that policy)
//   3. else any kInvertNotSampled            -> drop  (kNotSampled; the first such policy)
//   4. else any kSampled                     -> keep  (kSampled; the first such policy)
//   5. else any kInvertSampled and no policy
//      returned kNotSampled                  -> keep  (kSampled; the first kInvertSampled one)
//   6. else                                  -> drop  (kNotSampled; policy empty)
//
// An inverted result (`invert_match: true` on string/numeric/boolean_attribute) is therefore
// stronger than a plain match when it does not match ("key is present with a listed value"),
// and weaker than a plain kNotSampled when it matches. Inside `and`, `drop` and `composite`
// the inverted results are flattened: kInvertSampled counts as sampled, kInvertNotSampled as
// not sampled. The Collector deprecated inverted decisions in favour of `drop` policies.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "common/ids.h"
#include "common/otlp_util.h"

namespace spanvault::sampling {

// One policy's verdict on one trace.
enum class Decision {
  kNotSampled,
  kSampled,
  // invert_match results (deprecated in the Collector, still honoured): see the file comment.
  kInvertNotSampled,
  kInvertSampled,
  // Returned only by `drop` policies; beats everything.
  kDropped,
};

// "not_sampled", "sampled", "invert_not_sampled", "invert_sampled", "dropped": the names
// metrics and logs use.
std::string_view DecisionName(Decision decision);

// Where an attribute was found.
enum class AttributeSource { kResource, kSpan };

// A complete (or as complete as it got) trace as the policies see it: the spans with their
// resource and scope, plus facts precomputed in one pass so each policy is cheap. Borrows the
// TracesData, which must outlive the view. Immutable after construction except
// set_span_count(); thread-compatible.
class TraceView {
 public:
  // One span with the resource and scope it was exported under.
  struct SpanRef {
    const otlp::Resource* resource;
    const otlp::Scope* scope;
    const otlp::Span* span;
  };

  // Precomputes the facts of `data`, whose spans all belong to the trace `trace_id` (the
  // store's GetTrace returns exactly that).
  TraceView(const TraceId& trace_id, const otlp::TracesData& data);
  // Same, with the id taken from the first span whose trace id is valid (all zero if none).
  explicit TraceView(const otlp::TracesData& data);

  const TraceId& trace_id() const { return trace_id_; }
  const otlp::TracesData& data() const { return *data_; }
  const std::vector<SpanRef>& spans() const { return spans_; }

  // The number of spans rate_limiting, composite and span_count count: the spans in data()
  // unless the caller knows better (a trace whose excess spans were not stored).
  int64_t span_count() const { return span_count_; }
  void set_span_count(int64_t count) { span_count_ = count; }

  // Earliest non-zero span start and latest non-zero span end, in Unix nanoseconds; 0 when
  // there is none. Zero timestamps are ignored, as the Collector's latency policy does.
  uint64_t earliest_start_unix_nano() const { return earliest_start_; }
  uint64_t latest_end_unix_nano() const { return latest_end_; }
  // latest end - earliest start; 0 when either is missing or end < start.
  uint64_t duration_nanos() const;

  bool has_root_span() const { return has_root_; }
  // A span has status code `code` (STATUS_CODE_UNSET, _OK or _ERROR).
  bool HasStatusCode(otlp::Status::StatusCode code) const;
  bool has_error() const { return HasStatusCode(otlp::Status::STATUS_CODE_ERROR); }
  // A span has the W3C "sampled" trace flag (bit 0 of Span.flags).
  bool has_sampled_flag() const { return has_sampled_flag_; }

  // True when `match(value, source)` is true for some attribute named `key` of a resource (of a
  // ResourceSpans that has spans) or of a span. Resources are checked first, each resource once.
  bool AnyAttribute(std::string_view key,
                    absl::FunctionRef<bool(const otlp::AnyValue&, AttributeSource)> match) const;

 private:
  void Precompute();

  TraceId trace_id_;
  const otlp::TracesData* data_;
  std::vector<SpanRef> spans_;
  std::vector<const otlp::Resource*> resources_;
  int64_t span_count_ = 0;
  uint64_t earliest_start_ = 0;
  uint64_t latest_end_ = 0;
  uint8_t status_codes_seen_ = 0;  // bit n set: a span has status code n
  bool has_root_ = false;
  bool has_sampled_flag_ = false;
};

// A sampling policy: decides on one complete trace. Implementations are thread-safe:
// stateless ones trivially, stateful ones (rate_limiting, composite) under their own lock.
class Policy {
 public:
  explicit Policy(std::string name) : name_(std::move(name)) {}
  virtual ~Policy() = default;
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;

  // The policy's verdict. Never fails: what the Collector reports as an evaluation error
  // (a bad regex, a bad status code) is rejected when the configuration is parsed.
  virtual Decision Evaluate(const TraceView& trace) const = 0;

  // For a trace this policy does not keep now but might later (flow_status: an order still in
  // progress whose next step is due later): when to evaluate it again, after `now`. nullopt:
  // decide now. Only top-level policies are asked.
  virtual std::optional<absl::Time> RevisitAt(const TraceView& trace, absl::Time now) const {
    static_cast<void>(trace);
    static_cast<void>(now);
    return std::nullopt;
  }

  // The configured name ("" for an unnamed sub-policy).
  const std::string& name() const { return name_; }
  // The configured type ("latency", "drop", ...).
  virtual std::string_view type() const = 0;

 private:
  const std::string name_;
};

// What the policy set decided for one trace.
struct SamplingResult {
  bool keep = true;
  // kSampled (keep), kNotSampled or kDropped (both drop).
  Decision decision = Decision::kSampled;
  // The top-level policy that decided (see the file comment); the kept trace carries it as its
  // `sampling.policy` tag. Empty when no policy matched, or when there are no policies.
  std::string policy;
};

// The configured policy list and the Collector's final-decision rules (file comment).
// Thread-safe; the policies' rate state is shared by all callers.
class PolicySet {
 public:
  // Takes the top-level policies in configuration order. `drop` policies are moved to the
  // front (keeping their relative order). With `sample_on_first_match`, evaluation stops at
  // the first kSampled.
  explicit PolicySet(std::vector<std::unique_ptr<Policy>> policies,
                     bool sample_on_first_match = false);

  SamplingResult Evaluate(const TraceView& trace) const;
  // Same, and calls `observe(policy, decision)` for every policy evaluated, in evaluation
  // order (for per-policy metrics such as the Collector's count_traces_sampled).
  SamplingResult Evaluate(const TraceView& trace,
                          absl::FunctionRef<void(const Policy&, Decision)> observe) const;

  // The earliest RevisitAt of the top-level policies, if any is after `now`.
  std::optional<absl::Time> RevisitAt(const TraceView& trace, absl::Time now) const;

  // No policies: every trace is kept and the sampler can be bypassed.
  bool empty() const { return policies_.empty(); }
  // The policies in evaluation order (drop policies first).
  const std::vector<std::unique_ptr<Policy>>& policies() const { return policies_; }

 private:
  const std::vector<std::unique_ptr<Policy>> policies_;
  const bool sample_on_first_match_;
};

}  // namespace spanvault::sampling
