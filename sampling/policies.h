#pragma once

// The stateless sampling policies, one class per Collector policy type. Each decides from the
// TraceView alone; all are immutable after construction and thread-safe. docs/sampling.md
// describes each one from the user's side.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "sampling/policy.h"

namespace re2 {
class RE2;
}

namespace spanvault::sampling {

// `always_sample`: kSampled.
class AlwaysSamplePolicy final : public Policy {
 public:
  using Policy::Policy;
  Decision Evaluate(const TraceView& trace) const override;
  std::string_view type() const override { return "always_sample"; }
};

// `latency`: the trace's duration d (latest span end - earliest span start, in whole
// milliseconds, truncated) is d >= threshold_ms, or threshold_ms < d <= upper_threshold_ms
// when upper_threshold_ms is not 0.
class LatencyPolicy final : public Policy {
 public:
  LatencyPolicy(std::string name, int64_t threshold_ms, int64_t upper_threshold_ms);
  Decision Evaluate(const TraceView& trace) const override;
  std::string_view type() const override { return "latency"; }

 private:
  const int64_t threshold_ms_;
  const int64_t upper_threshold_ms_;
};

// `status_code`: some span has one of the codes.
class StatusCodePolicy final : public Policy {
 public:
  StatusCodePolicy(std::string name, std::vector<otlp::Status::StatusCode> codes);
  Decision Evaluate(const TraceView& trace) const override;
  std::string_view type() const override { return "status_code"; }

 private:
  const std::vector<otlp::Status::StatusCode> codes_;
};

// `string_attribute`: some resource or span has the string attribute `key` with one of
// `values` (exactly) or, with regex matching, a value that one of the RE2 patterns matches
// anywhere in it (unanchored, like Go's MatchString; write ^...$ for a whole-value match).
// Only string-typed values are compared, and empty values never match. With invert_match the
// result is kInvertNotSampled when something matches and kInvertSampled otherwise (so a trace
// without the key is kept).
class StringAttributePolicy final : public Policy {
 public:
  // kInvalidArgument naming the pattern when a regex does not compile.
  static absl::StatusOr<std::unique_ptr<StringAttributePolicy>> Create(
      std::string name, std::string key, const std::vector<std::string>& values,
      bool regex_matching, bool invert_match);
  ~StringAttributePolicy() override;

  Decision Evaluate(const TraceView& trace) const override;
  std::string_view type() const override { return "string_attribute"; }

 private:
  StringAttributePolicy(std::string name, std::string key, bool invert_match);
  bool Matches(std::string_view value) const;

  const std::string key_;
  const bool invert_match_;
  absl::flat_hash_set<std::string> exact_;
  std::vector<std::unique_ptr<re2::RE2>> patterns_;
};

// `numeric_attribute`: some resource or span has the int attribute `key` with
// min_value <= value <= max_value (an absent bound is unbounded). Only int-typed values are
// compared. invert_match as for StringAttributePolicy.
class NumericAttributePolicy final : public Policy {
 public:
  NumericAttributePolicy(std::string name, std::string key, std::optional<int64_t> min_value,
                         std::optional<int64_t> max_value, bool invert_match);
  Decision Evaluate(const TraceView& trace) const override;
  std::string_view type() const override { return "numeric_attribute"; }

 private:
  const std::string key_;
  const int64_t min_;
  const int64_t max_;
  const bool invert_match_;
};

// `boolean_attribute`: some resource or span has the bool attribute `key` equal to `value`.
// Only bool-typed values are compared. invert_match as for StringAttributePolicy.
class BooleanAttributePolicy final : public Policy {
 public:
  BooleanAttributePolicy(std::string name, std::string key, bool value, bool invert_match);
  Decision Evaluate(const TraceView& trace) const override;
  std::string_view type() const override { return "boolean_attribute"; }

 private:
  const std::string key_;
  const bool value_;
  const bool invert_match_;
};

// `span_count`: min_spans <= span count <= max_spans; max_spans 0 means no upper bound.
class SpanCountPolicy final : public Policy {
 public:
  SpanCountPolicy(std::string name, int64_t min_spans, int64_t max_spans);
  Decision Evaluate(const TraceView& trace) const override;
  std::string_view type() const override { return "span_count"; }

 private:
  const int64_t min_spans_;
  const int64_t max_spans_;
};

// `trace_state`: some span's W3C tracestate has `key` with one of `values`. A tracestate that
// does not parse (a member without '=') matches nothing.
class TraceStatePolicy final : public Policy {
 public:
  TraceStatePolicy(std::string name, std::string key, const std::vector<std::string>& values);
  Decision Evaluate(const TraceView& trace) const override;
  std::string_view type() const override { return "trace_state"; }

 private:
  const std::string key_;
  absl::flat_hash_set<std::string> values_;
};

// `trace_flags`: some span has the W3C sampled flag.
class TraceFlagsPolicy final : public Policy {
 public:
  using Policy::Policy;
  Decision Evaluate(const TraceView& trace) const override;
  std::string_view type() const override { return "trace_flags"; }
};

// `probabilistic`: the Collector's algorithm, so spanvault, its shards and a Collector with the
// same salt agree on every trace id: kSampled when FNV-1a-64(hash_salt bytes, then the 16 trace
// id bytes) <= floor(2^64-1 scaled by sampling_percentage/100, rounded to 64 significant bits).
// An empty salt means the Collector's default, "default-hash-seed". >= 100 % keeps everything.
class ProbabilisticPolicy final : public Policy {
 public:
  static constexpr std::string_view kDefaultHashSalt = "default-hash-seed";

  ProbabilisticPolicy(std::string name, double sampling_percentage, std::string hash_salt);
  Decision Evaluate(const TraceView& trace) const override;
  std::string_view type() const override { return "probabilistic"; }

  // FNV-1a 64-bit hash of `salt` followed by `trace_id`.
  static uint64_t HashTraceId(std::string_view salt, std::string_view trace_id);
  // The Collector's calculateThreshold: (2^64-1) * ratio with Go's big.Float semantics (64-bit
  // mantissa, round to nearest even, then truncation); 0 for ratio <= 0, 2^64-1 for >= 1.
  static uint64_t ThresholdForRatio(double ratio);

 private:
  const std::string salt_;
  const uint64_t threshold_;
};

}  // namespace spanvault::sampling
