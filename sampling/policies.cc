#include "sampling/policies.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "re2/re2.h"

namespace spanvault::sampling {
namespace {

absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

Decision Matched(bool matched) { return matched ? Decision::kSampled : Decision::kNotSampled; }

// The attribute policies' result: for invert_match "something matched" is the bad outcome.
Decision AttributeDecision(bool matched, bool invert_match) {
  if (!invert_match) return Matched(matched);
  return matched ? Decision::kInvertNotSampled : Decision::kInvertSampled;
}

}  // namespace

Decision AlwaysSamplePolicy::Evaluate(const TraceView&) const { return Decision::kSampled; }

// ---------------------------------------------------------------------------------------------
// latency

LatencyPolicy::LatencyPolicy(std::string name, int64_t threshold_ms, int64_t upper_threshold_ms)
    : Policy(std::move(name)),
      threshold_ms_(threshold_ms),
      upper_threshold_ms_(upper_threshold_ms) {}

Decision LatencyPolicy::Evaluate(const TraceView& trace) const {
  if (trace.spans().empty()) return Decision::kNotSampled;  // no span to measure
  // Go's Duration.Milliseconds() truncates.
  const auto ms = static_cast<int64_t>(trace.duration_nanos() / 1'000'000);
  if (upper_threshold_ms_ == 0) return Matched(ms >= threshold_ms_);
  return Matched(threshold_ms_ < ms && ms <= upper_threshold_ms_);
}

// ---------------------------------------------------------------------------------------------
// status_code

StatusCodePolicy::StatusCodePolicy(std::string name, std::vector<otlp::Status::StatusCode> codes)
    : Policy(std::move(name)), codes_(std::move(codes)) {}

Decision StatusCodePolicy::Evaluate(const TraceView& trace) const {
  for (otlp::Status::StatusCode code : codes_) {
    if (trace.HasStatusCode(code)) return Decision::kSampled;
  }
  return Decision::kNotSampled;
}

// ---------------------------------------------------------------------------------------------
// string_attribute

StringAttributePolicy::StringAttributePolicy(std::string name, std::string key, bool invert_match)
    : Policy(std::move(name)), key_(std::move(key)), invert_match_(invert_match) {}

StringAttributePolicy::~StringAttributePolicy() = default;

absl::StatusOr<std::unique_ptr<StringAttributePolicy>> StringAttributePolicy::Create(
    std::string name, std::string key, const std::vector<std::string>& values, bool regex_matching,
    bool invert_match) {
  std::unique_ptr<StringAttributePolicy> policy(
      new StringAttributePolicy(std::move(name), std::move(key), invert_match));
  for (const std::string& value : values) {
    if (!regex_matching) {
      if (!value.empty()) policy->exact_.insert(value);
      continue;
    }
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_unique<RE2>(value, options);
    if (!re->ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid regular expression \"", value, "\": ", re->error()));
    }
    policy->patterns_.push_back(std::move(re));
  }
  return policy;
}

bool StringAttributePolicy::Matches(std::string_view value) const {
  if (patterns_.empty()) return exact_.contains(AbslView(value));
  const re2::StringPiece piece(value.data(), value.size());
  for (const auto& re : patterns_) {
    if (RE2::PartialMatch(piece, *re)) return true;
  }
  return false;
}

Decision StringAttributePolicy::Evaluate(const TraceView& trace) const {
  const bool matched = trace.AnyAttribute(key_, [&](const otlp::AnyValue& v, AttributeSource) {
    return v.value_case() == otlp::AnyValue::kStringValue && !v.string_value().empty() &&
           Matches(v.string_value());
  });
  return AttributeDecision(matched, invert_match_);
}

// ---------------------------------------------------------------------------------------------
// numeric_attribute

NumericAttributePolicy::NumericAttributePolicy(std::string name, std::string key,
                                               std::optional<int64_t> min_value,
                                               std::optional<int64_t> max_value, bool invert_match)
    : Policy(std::move(name)),
      key_(std::move(key)),
      min_(min_value.value_or(std::numeric_limits<int64_t>::min())),
      max_(max_value.value_or(std::numeric_limits<int64_t>::max())),
      invert_match_(invert_match) {}

Decision NumericAttributePolicy::Evaluate(const TraceView& trace) const {
  const bool matched = trace.AnyAttribute(key_, [&](const otlp::AnyValue& v, AttributeSource) {
    return v.value_case() == otlp::AnyValue::kIntValue && v.int_value() >= min_ &&
           v.int_value() <= max_;
  });
  return AttributeDecision(matched, invert_match_);
}

// ---------------------------------------------------------------------------------------------
// boolean_attribute

BooleanAttributePolicy::BooleanAttributePolicy(std::string name, std::string key, bool value,
                                               bool invert_match)
    : Policy(std::move(name)), key_(std::move(key)), value_(value), invert_match_(invert_match) {}

Decision BooleanAttributePolicy::Evaluate(const TraceView& trace) const {
  const bool matched = trace.AnyAttribute(key_, [&](const otlp::AnyValue& v, AttributeSource) {
    return v.value_case() == otlp::AnyValue::kBoolValue && v.bool_value() == value_;
  });
  return AttributeDecision(matched, invert_match_);
}

// ---------------------------------------------------------------------------------------------
// span_count

SpanCountPolicy::SpanCountPolicy(std::string name, int64_t min_spans, int64_t max_spans)
    : Policy(std::move(name)), min_spans_(min_spans), max_spans_(max_spans) {}

Decision SpanCountPolicy::Evaluate(const TraceView& trace) const {
  const int64_t n = trace.span_count();
  return Matched(n >= min_spans_ && (max_spans_ == 0 || n <= max_spans_));
}

// ---------------------------------------------------------------------------------------------
// trace_state

namespace {

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of `key` in a W3C tracestate ("k1=v1,k2=v2"), or nullopt when the key is absent or
// the header is malformed (a non-empty member without '=' or with an empty key).
std::optional<std::string_view> TraceStateValue(std::string_view header, std::string_view key) {
  std::optional<std::string_view> found;
  while (!header.empty()) {
    const size_t comma = header.find(',');
    const std::string_view member = TrimOws(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (member.empty()) continue;
    const size_t eq = member.find('=');
    if (eq == std::string_view::npos || eq == 0) return std::nullopt;
    if (!found.has_value() && member.substr(0, eq) == key) found = member.substr(eq + 1);
  }
  return found;
}

}  // namespace

TraceStatePolicy::TraceStatePolicy(std::string name, std::string key,
                                   const std::vector<std::string>& values)
    : Policy(std::move(name)), key_(std::move(key)) {
  for (const std::string& v : values) {
    if (!v.empty()) values_.insert(v);
  }
}

Decision TraceStatePolicy::Evaluate(const TraceView& trace) const {
  for (const TraceView::SpanRef& ref : trace.spans()) {
    const std::string& header = ref.span->trace_state();
    if (header.empty()) continue;
    std::optional<std::string_view> value = TraceStateValue(header, key_);
    if (value.has_value() && values_.contains(AbslView(*value))) return Decision::kSampled;
  }
  return Decision::kNotSampled;
}

// ---------------------------------------------------------------------------------------------
// trace_flags

Decision TraceFlagsPolicy::Evaluate(const TraceView& trace) const {
  return Matched(trace.has_sampled_flag());
}

// ---------------------------------------------------------------------------------------------
// probabilistic

ProbabilisticPolicy::ProbabilisticPolicy(std::string name, double sampling_percentage,
                                         std::string hash_salt)
    : Policy(std::move(name)),
      salt_(hash_salt.empty() ? std::string(kDefaultHashSalt) : std::move(hash_salt)),
      threshold_(ThresholdForRatio(sampling_percentage / 100)) {}

Decision ProbabilisticPolicy::Evaluate(const TraceView& trace) const {
  return Matched(HashTraceId(salt_, trace.trace_id().bytes()) <= threshold_);
}

uint64_t ProbabilisticPolicy::HashTraceId(std::string_view salt, std::string_view trace_id) {
  constexpr uint64_t kOffsetBasis = 0xcbf29ce484222325ull;
  constexpr uint64_t kPrime = 0x100000001b3ull;
  uint64_t hash = kOffsetBasis;
  for (std::string_view part : {salt, trace_id}) {
    for (char c : part) {
      hash ^= static_cast<uint8_t>(c);
      hash *= kPrime;
    }
  }
  return hash;
}

uint64_t ProbabilisticPolicy::ThresholdForRatio(double ratio) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  if (!(ratio > 0)) return 0;  // also NaN
  if (ratio >= 1) return kMax;
  // ratio = mantissa * 2^(exp - 53) exactly, with a 53-bit integer mantissa.
  int exp = 0;
  const double fraction = std::frexp(ratio, &exp);
  const auto mantissa = static_cast<uint64_t>(std::ldexp(fraction, 53));
  unsigned __int128 product = static_cast<unsigned __int128>(kMax) * mantissa;  // < 2^117
  const int shift = 53 - exp;  // >= 53 since ratio < 1
  // Round the product to 64 significant bits, nearest even, as big.Float with precision 64.
  int bits = 0;
  for (unsigned __int128 p = product; p != 0; p >>= 1) ++bits;
  if (bits > 64) {
    const int drop = bits - 64;
    const unsigned __int128 unit = static_cast<unsigned __int128>(1) << drop;
    const unsigned __int128 rest = product & (unit - 1);
    const unsigned __int128 half = unit >> 1;
    product -= rest;
    if (rest > half || (rest == half && ((product >> drop) & 1) != 0)) product += unit;
  }
  if (shift >= 128) return 0;
  return static_cast<uint64_t>(product >> shift);  // Float.Uint64 truncates toward zero
}

}  // namespace spanvault::sampling
