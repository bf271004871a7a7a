// The stateless policies, one test suite per Collector policy type.

#include "sampling/policies.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/sampling/test_trace.h"

namespace spanvault::sampling {
namespace {

using ::spanvault::testing::StatusIs;
using testing::Bool;
using testing::Double;
using ::testing::HasSubstr;
using testing::Int;
using testing::SetStatus;
using testing::Str;
using testing::TestTrace;

constexpr Decision kSampled = Decision::kSampled;
constexpr Decision kNotSampled = Decision::kNotSampled;
constexpr Decision kInvertSampled = Decision::kInvertSampled;
constexpr Decision kInvertNotSampled = Decision::kInvertNotSampled;

// ---------------------------------------------------------------------------------------------
// always_sample, trace_flags

TEST(AlwaysSamplePolicyTest, SamplesEverything) {
  AlwaysSamplePolicy policy("all");
  TestTrace empty;
  EXPECT_EQ(policy.Evaluate(empty.View()), kSampled);
  TestTrace trace;
  trace.Span();
  EXPECT_EQ(policy.Evaluate(trace.View()), kSampled);
  EXPECT_EQ(policy.name(), "all");
  EXPECT_EQ(policy.type(), "always_sample");
}

TEST(TraceFlagsPolicyTest, SamplesWhenAnySpanHasTheSampledFlag) {
  TraceFlagsPolicy policy("flags");
  TestTrace unsampled;
  unsampled.Span().set_flags(0x100);  // other bits, not the W3C sampled flag
  EXPECT_EQ(policy.Evaluate(unsampled.View()), kNotSampled);
  TestTrace sampled;
  sampled.Span();
  sampled.Span().set_flags(0x301);
  EXPECT_EQ(policy.Evaluate(sampled.View()), kSampled);
}

// ---------------------------------------------------------------------------------------------
// latency

Decision Latency(int64_t threshold, int64_t upper, double duration_ms) {
  TestTrace trace;
  trace.Span(0, duration_ms);
  return LatencyPolicy("slow", threshold, upper).Evaluate(trace.View());
}

TEST(LatencyPolicyTest, LowerBoundIsInclusiveInWholeMilliseconds) {
  EXPECT_EQ(Latency(1000, 0, 1000), kSampled);
  EXPECT_EQ(Latency(1000, 0, 5000), kSampled);
  EXPECT_EQ(Latency(1000, 0, 999), kNotSampled);
  // Go's Duration.Milliseconds() truncates: 999.999 ms is 999 ms.
  EXPECT_EQ(Latency(1000, 0, 999.999), kNotSampled);
  EXPECT_EQ(Latency(0, 0, 0), kSampled);
}

TEST(LatencyPolicyTest, UpperBoundMakesTheLowerBoundExclusive) {
  EXPECT_EQ(Latency(100, 200, 100), kNotSampled);
  EXPECT_EQ(Latency(100, 200, 101), kSampled);
  EXPECT_EQ(Latency(100, 200, 200), kSampled);
  EXPECT_EQ(Latency(100, 200, 201), kNotSampled);
}

TEST(LatencyPolicyTest, MeasuresFromEarliestStartToLatestEndAcrossSpans) {
  TestTrace trace;
  trace.Span(0, 600);
  trace.Span(300, 400);
  trace.Span(800, 200);  // ends at 1000 ms; no span is 1 s long on its own
  EXPECT_EQ(LatencyPolicy("slow", 1000, 0).Evaluate(trace.View()), kSampled);
  EXPECT_EQ(LatencyPolicy("slow", 1001, 0).Evaluate(trace.View()), kNotSampled);
}

TEST(LatencyPolicyTest, IgnoresZeroTimestampsAndEmptyTraces) {
  TestTrace trace;
  trace.Span(0, 10);
  otlp::Span& unset = trace.Span();
  unset.set_start_time_unix_nano(0);
  unset.set_end_time_unix_nano(0);
  EXPECT_EQ(LatencyPolicy("slow", 1000, 0).Evaluate(trace.View()), kNotSampled);
  TestTrace empty;
  EXPECT_EQ(LatencyPolicy("slow", 0, 0).Evaluate(empty.View()), kNotSampled);
}

// ---------------------------------------------------------------------------------------------
// status_code

TEST(StatusCodePolicyTest, SamplesWhenAnySpanHasAListedCode) {
  StatusCodePolicy errors("errors", {otlp::Status::STATUS_CODE_ERROR});
  TestTrace ok;
  SetStatus(ok.Span(), otlp::Status::STATUS_CODE_OK);
  ok.Span();  // UNSET
  EXPECT_EQ(errors.Evaluate(ok.View()), kNotSampled);

  TestTrace failed;
  SetStatus(failed.Span(), otlp::Status::STATUS_CODE_OK);
  SetStatus(failed.Span(), otlp::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(errors.Evaluate(failed.View()), kSampled);

  StatusCodePolicy unset_or_ok("u",
                               {otlp::Status::STATUS_CODE_OK, otlp::Status::STATUS_CODE_UNSET});
  TestTrace plain;
  plain.Span();
  EXPECT_EQ(unset_or_ok.Evaluate(plain.View()), kSampled);
  TestTrace only_errors;
  SetStatus(only_errors.Span(), otlp::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(unset_or_ok.Evaluate(only_errors.View()), kNotSampled);
}

// ---------------------------------------------------------------------------------------------
// string_attribute

std::unique_ptr<StringAttributePolicy> StringPolicy(std::vector<std::string> values,
                                                    bool regex = false, bool invert = false) {
  auto policy = StringAttributePolicy::Create("watched", "order_id", values, regex, invert);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *std::move(policy);
}

TEST(StringAttributePolicyTest, ExactMatchOnSpanAttributes) {
  auto policy = StringPolicy({"A-1001", "A-1002"});
  TestTrace hit;
  hit.SpanWith({{"other", Str("A-1001")}});
  hit.SpanWith({{"order_id", Str("A-1002")}});
  EXPECT_EQ(policy->Evaluate(hit.View()), kSampled);

  TestTrace miss;
  miss.SpanWith({{"order_id", Str("A-10011")}});
  miss.SpanWith({{"other", Str("A-1001")}});
  EXPECT_EQ(policy->Evaluate(miss.View()), kNotSampled);
}

TEST(StringAttributePolicyTest, MatchesResourceAttributes) {
  auto policy = StringPolicy({"A-1001"});
  TestTrace trace;
  trace.Resource("shop-api", {{"order_id", Str("A-1001")}});
  trace.Span();
  EXPECT_EQ(policy->Evaluate(trace.View()), kSampled);
}

TEST(StringAttributePolicyTest, ComparesOnlyNonEmptyStringValues) {
  auto policy = StringPolicy({"500", ""});
  TestTrace int_value;
  int_value.SpanWith({{"order_id", Int(500)}});
  EXPECT_EQ(policy->Evaluate(int_value.View()), kNotSampled);
  TestTrace empty_value;
  empty_value.SpanWith({{"order_id", Str("")}});
  EXPECT_EQ(policy->Evaluate(empty_value.View()), kNotSampled);
}

TEST(StringAttributePolicyTest, RegexMatchesAnywhereUnlessAnchored) {
  auto unanchored = StringPolicy({"100"}, /*regex=*/true);
  auto anchored = StringPolicy({"^A-1\\d{3}$"}, /*regex=*/true);
  TestTrace trace;
  trace.SpanWith({{"order_id", Str("A-1001")}});
  EXPECT_EQ(unanchored->Evaluate(trace.View()), kSampled);
  EXPECT_EQ(anchored->Evaluate(trace.View()), kSampled);

  TestTrace longer;
  longer.SpanWith({{"order_id", Str("XA-10010")}});
  EXPECT_EQ(unanchored->Evaluate(longer.View()), kSampled);
  EXPECT_EQ(anchored->Evaluate(longer.View()), kNotSampled);
}

TEST(StringAttributePolicyTest, RegexAnyOfSeveralPatterns) {
  auto policy = StringPolicy({"^/health$", "^/metrics"}, /*regex=*/true);
  TestTrace metrics;
  metrics.SpanWith({{"order_id", Str("/metrics/prom")}});
  EXPECT_EQ(policy->Evaluate(metrics.View()), kSampled);
  TestTrace other;
  other.SpanWith({{"order_id", Str("/api/health")}});
  EXPECT_EQ(policy->Evaluate(other.View()), kNotSampled);
}

TEST(StringAttributePolicyTest, InvalidRegexIsAnError) {
  EXPECT_THAT(StringAttributePolicy::Create("p", "k", {"ok", "(unclosed"}, true, false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"(unclosed\"")));
  // Without regex matching the same text is a plain value.
  EXPECT_TRUE(StringAttributePolicy::Create("p", "k", {"(unclosed"}, false, false).ok());
}

TEST(StringAttributePolicyTest, InvertMatch) {
  auto policy = StringPolicy({"A-1001"}, /*regex=*/false, /*invert=*/true);
  TestTrace listed;
  listed.SpanWith({{"order_id", Str("A-2000")}});
  listed.SpanWith({{"order_id", Str("A-1001")}});
  EXPECT_EQ(policy->Evaluate(listed.View()), kInvertNotSampled);

  TestTrace other_value;
  other_value.SpanWith({{"order_id", Str("A-2000")}});
  EXPECT_EQ(policy->Evaluate(other_value.View()), kInvertSampled);

  TestTrace no_key;
  no_key.Span();
  EXPECT_EQ(policy->Evaluate(no_key.View()), kInvertSampled);

  TestTrace resource;
  resource.Resource("svc", {{"order_id", Str("A-1001")}});
  resource.Span();
  EXPECT_EQ(policy->Evaluate(resource.View()), kInvertNotSampled);

  auto regex = StringPolicy({"^A-1"}, /*regex=*/true, /*invert=*/true);
  EXPECT_EQ(regex->Evaluate(listed.View()), kInvertNotSampled);
  EXPECT_EQ(regex->Evaluate(other_value.View()), kInvertSampled);
}

// ---------------------------------------------------------------------------------------------
// numeric_attribute

Decision Numeric(std::optional<int64_t> min, std::optional<int64_t> max, const otlp::AnyValue& v,
                 bool invert = false) {
  TestTrace trace;
  trace.SpanWith({{"http.response.status_code", v}});
  return NumericAttributePolicy("5xx", "http.response.status_code", min, max, invert)
      .Evaluate(trace.View());
}

TEST(NumericAttributePolicyTest, InclusiveRange) {
  EXPECT_EQ(Numeric(500, 599, Int(500)), kSampled);
  EXPECT_EQ(Numeric(500, 599, Int(503)), kSampled);
  EXPECT_EQ(Numeric(500, 599, Int(599)), kSampled);
  EXPECT_EQ(Numeric(500, 599, Int(499)), kNotSampled);
  EXPECT_EQ(Numeric(500, 599, Int(600)), kNotSampled);
}

TEST(NumericAttributePolicyTest, AbsentBoundIsUnbounded) {
  EXPECT_EQ(Numeric(500, std::nullopt, Int(int64_t{1} << 62)), kSampled);
  EXPECT_EQ(Numeric(500, std::nullopt, Int(499)), kNotSampled);
  EXPECT_EQ(Numeric(std::nullopt, 0, Int(-(int64_t{1} << 62))), kSampled);
  EXPECT_EQ(Numeric(std::nullopt, 0, Int(1)), kNotSampled);
}

TEST(NumericAttributePolicyTest, ComparesOnlyIntValues) {
  EXPECT_EQ(Numeric(500, 599, Str("503")), kNotSampled);
  EXPECT_EQ(Numeric(500, 599, Double(503)), kNotSampled);
  EXPECT_EQ(Numeric(-1, 1, Bool(false)), kNotSampled);
}

TEST(NumericAttributePolicyTest, ResourceAttributesAndInvert) {
  NumericAttributePolicy policy("p", "tier", 1, 2, /*invert_match=*/false);
  TestTrace trace;
  trace.Resource("svc", {{"tier", Int(2)}});
  trace.Span();
  EXPECT_EQ(policy.Evaluate(trace.View()), kSampled);

  EXPECT_EQ(Numeric(500, 599, Int(503), /*invert=*/true), kInvertNotSampled);
  EXPECT_EQ(Numeric(500, 599, Int(200), /*invert=*/true), kInvertSampled);
  TestTrace no_key;
  no_key.Span();
  EXPECT_EQ(NumericAttributePolicy("p", "k", 1, 2, true).Evaluate(no_key.View()), kInvertSampled);
}

// ---------------------------------------------------------------------------------------------
// boolean_attribute

TEST(BooleanAttributePolicyTest, ExactBoolMatch) {
  BooleanAttributePolicy wants_true("p", "app.force_sample", true, false);
  BooleanAttributePolicy wants_false("p", "app.force_sample", false, false);
  TestTrace t;
  t.SpanWith({{"app.force_sample", Bool(true)}});
  EXPECT_EQ(wants_true.Evaluate(t.View()), kSampled);
  EXPECT_EQ(wants_false.Evaluate(t.View()), kNotSampled);
  TestTrace as_string;
  as_string.SpanWith({{"app.force_sample", Str("true")}});
  EXPECT_EQ(wants_true.Evaluate(as_string.View()), kNotSampled);
  // A non-bool value is not "false" either.
  EXPECT_EQ(wants_false.Evaluate(as_string.View()), kNotSampled);
  TestTrace resource;
  resource.Resource("svc", {{"app.force_sample", Bool(false)}});
  resource.Span();
  EXPECT_EQ(wants_false.Evaluate(resource.View()), kSampled);
}

TEST(BooleanAttributePolicyTest, InvertMatch) {
  BooleanAttributePolicy policy("p", "app.do_not_sample", true, /*invert_match=*/true);
  TestTrace flagged;
  flagged.SpanWith({{"app.do_not_sample", Bool(true)}});
  EXPECT_EQ(policy.Evaluate(flagged.View()), kInvertNotSampled);
  TestTrace unflagged;
  unflagged.SpanWith({{"app.do_not_sample", Bool(false)}});
  EXPECT_EQ(policy.Evaluate(unflagged.View()), kInvertSampled);
  TestTrace absent;
  absent.Span();
  EXPECT_EQ(policy.Evaluate(absent.View()), kInvertSampled);
}

// ---------------------------------------------------------------------------------------------
// span_count

TEST(SpanCountPolicyTest, InclusiveBoundsAndUnboundedMax) {
  SpanCountPolicy two_to_three("p", 2, 3);
  SpanCountPolicy at_least_two("p", 2, 0);
  for (int spans = 1; spans <= 4; ++spans) {
    TestTrace trace;
    for (int i = 0; i < spans; ++i) trace.Span();
    EXPECT_EQ(two_to_three.Evaluate(trace.View()),
              spans >= 2 && spans <= 3 ? kSampled : kNotSampled)
        << spans;
    EXPECT_EQ(at_least_two.Evaluate(trace.View()), spans >= 2 ? kSampled : kNotSampled) << spans;
  }
}

TEST(SpanCountPolicyTest, UsesTheViewsSpanCount) {
  TestTrace trace;
  trace.Span();
  TraceView view = trace.View();
  view.set_span_count(150'000);  // the sampler counted spans it did not keep
  EXPECT_EQ(SpanCountPolicy("p", 100'000, 0).Evaluate(view), kSampled);
}

// ---------------------------------------------------------------------------------------------
// trace_state

Decision TraceState(const std::string& header) {
  TestTrace trace;
  trace.Span();
  trace.Span().set_trace_state(header);
  return TraceStatePolicy("p", "vendor", {"x", "y"}).Evaluate(trace.View());
}

TEST(TraceStatePolicyTest, MatchesTheValueOfTheKey) {
  EXPECT_EQ(TraceState("vendor=x"), kSampled);
  EXPECT_EQ(TraceState("a=b,vendor=y"), kSampled);
  EXPECT_EQ(TraceState("a=b , vendor=x ,c=d"), kSampled);
  EXPECT_EQ(TraceState("vendor=z"), kNotSampled);
  EXPECT_EQ(TraceState("vendorx=x"), kNotSampled);
  EXPECT_EQ(TraceState("other=x"), kNotSampled);
  EXPECT_EQ(TraceState(""), kNotSampled);
}

TEST(TraceStatePolicyTest, MalformedTraceStateMatchesNothing) {
  EXPECT_EQ(TraceState("garbage,vendor=x"), kNotSampled);
  EXPECT_EQ(TraceState("=x,vendor=x"), kNotSampled);
}

}  // namespace
}  // namespace spanvault::sampling
