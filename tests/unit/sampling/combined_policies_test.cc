// and, drop, not, rate_limiting and composite, with a fake clock (never sleeping).

#include "sampling/combined_policies.h"

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "sampling/policies.h"
#include "sampling/sampling_config.h"
#include "tests/testing/fake_clock.h"
#include "tests/unit/sampling/test_trace.h"

namespace spanvault::sampling {
namespace {

using ::spanvault::testing::FakeClock;
using testing::TestTrace;

constexpr Decision kSampled = Decision::kSampled;
constexpr Decision kNotSampled = Decision::kNotSampled;

// Returns a fixed decision and counts its evaluations.
class FixedPolicy final : public Policy {
 public:
  FixedPolicy(std::string name, Decision d, std::atomic<int>* calls = nullptr)
      : Policy(std::move(name)), decision_(d), calls_(calls) {}
  Decision Evaluate(const TraceView&) const override {
    if (calls_ != nullptr) ++*calls_;
    return decision_;
  }
  std::string_view type() const override { return "fixed"; }

 private:
  const Decision decision_;
  std::atomic<int>* const calls_;
};

std::vector<std::unique_ptr<Policy>> Fixed(std::vector<Decision> decisions) {
  std::vector<std::unique_ptr<Policy>> out;
  for (Decision d : decisions) out.push_back(std::make_unique<FixedPolicy>("sub", d));
  return out;
}

// A trace of `spans` spans.
TestTrace TraceOf(int spans, uint64_t id = 1) {
  TestTrace trace(id);
  for (int i = 0; i < spans; ++i) trace.Span();
  return trace;
}

// ---------------------------------------------------------------------------------------------
// and, drop, not

TEST(AndPolicyTest, SampledOnlyWhenEverySubPolicySamples) {
  const TestTrace t = TraceOf(1);
  EXPECT_EQ(AndPolicy("and", Fixed({kSampled, kSampled})).Evaluate(t.View()), kSampled);
  EXPECT_EQ(AndPolicy("and", Fixed({kSampled, kNotSampled})).Evaluate(t.View()), kNotSampled);
  EXPECT_EQ(AndPolicy("and", Fixed({kNotSampled, kSampled})).Evaluate(t.View()), kNotSampled);
}

TEST(AndPolicyTest, FlattensInvertedDecisions) {
  const TestTrace t = TraceOf(1);
  EXPECT_EQ(AndPolicy("and", Fixed({kSampled, Decision::kInvertSampled})).Evaluate(t.View()),
            kSampled);
  EXPECT_EQ(AndPolicy("and", Fixed({kSampled, Decision::kInvertNotSampled})).Evaluate(t.View()),
            kNotSampled);
}

TEST(AndPolicyTest, StopsAtTheFirstNotSampled) {
  std::atomic<int> calls = 0;
  std::vector<std::unique_ptr<Policy>> subs = Fixed({kNotSampled});
  subs.push_back(std::make_unique<FixedPolicy>("counted", kSampled, &calls));
  AndPolicy policy("and", std::move(subs));
  EXPECT_EQ(policy.Evaluate(TraceOf(1).View()), kNotSampled);
  EXPECT_EQ(calls, 0);
}

TEST(AndPolicyTest, RealSubPolicies) {
  std::vector<std::unique_ptr<Policy>> subs;
  subs.push_back(
      std::make_unique<StatusCodePolicy>("errors", std::vector{otlp::Status::STATUS_CODE_ERROR}));
  subs.push_back(std::make_unique<NumericAttributePolicy>("5xx", "http.response.status_code", 500,
                                                          599, false));
  AndPolicy policy("seller-5xx-errors", std::move(subs));
  TestTrace both;
  testing::SetStatus(both.SpanWith({{"http.response.status_code", testing::Int(502)}}),
                     otlp::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(policy.Evaluate(both.View()), kSampled);
  TestTrace only_5xx;
  only_5xx.SpanWith({{"http.response.status_code", testing::Int(502)}});
  EXPECT_EQ(policy.Evaluate(only_5xx.View()), kNotSampled);
}

TEST(DropPolicyTest, DroppedWhenEverySubPolicySamples) {
  const TestTrace t = TraceOf(1);
  EXPECT_EQ(DropPolicy("drop", Fixed({kSampled, kSampled})).Evaluate(t.View()), Decision::kDropped);
  EXPECT_EQ(DropPolicy("drop", Fixed({kSampled, Decision::kInvertSampled})).Evaluate(t.View()),
            Decision::kDropped);
  EXPECT_EQ(DropPolicy("drop", Fixed({kSampled, kNotSampled})).Evaluate(t.View()), kNotSampled);
  EXPECT_EQ(DropPolicy("drop", Fixed({Decision::kInvertNotSampled})).Evaluate(t.View()),
            kNotSampled);
  EXPECT_EQ(DropPolicy("drop", Fixed({})).type(), "drop");
}

TEST(NotPolicyTest, FlipsPlainDecisionsAndPassesInvertedOnes) {
  const TestTrace t = TraceOf(1);
  auto not_of = [&](Decision d) {
    return NotPolicy("not", std::make_unique<FixedPolicy>("sub", d)).Evaluate(t.View());
  };
  EXPECT_EQ(not_of(kSampled), kNotSampled);
  EXPECT_EQ(not_of(kNotSampled), kSampled);
  EXPECT_EQ(not_of(Decision::kInvertSampled), Decision::kInvertSampled);
  EXPECT_EQ(not_of(Decision::kInvertNotSampled), Decision::kInvertNotSampled);
}

// ---------------------------------------------------------------------------------------------
// rate_limiting

TEST(RateLimitingPolicyTest, TokenBucketStartsFullWithTwiceTheRate) {
  FakeClock clock;
  RateLimitingPolicy policy("rate", 10, 0, clock);             // burst 20
  EXPECT_EQ(policy.Evaluate(TraceOf(15).View()), kSampled);    // 20 -> 5
  EXPECT_EQ(policy.Evaluate(TraceOf(6).View()), kNotSampled);  // not taken
  EXPECT_EQ(policy.Evaluate(TraceOf(5).View()), kSampled);     // 5 -> 0
  EXPECT_EQ(policy.Evaluate(TraceOf(1).View()), kNotSampled);
}

TEST(RateLimitingPolicyTest, RefillsContinuouslyUpToTheBurst) {
  FakeClock clock;
  RateLimitingPolicy policy("rate", 10, 0, clock);
  EXPECT_EQ(policy.Evaluate(TraceOf(20).View()), kSampled);  // empty
  clock.Advance(absl::Milliseconds(500));                    // +5
  EXPECT_EQ(policy.Evaluate(TraceOf(6).View()), kNotSampled);
  EXPECT_EQ(policy.Evaluate(TraceOf(5).View()), kSampled);
  clock.Advance(absl::Hours(1));  // refills to 20, not 36,000
  EXPECT_EQ(policy.Evaluate(TraceOf(15).View()), kSampled);
  EXPECT_EQ(policy.Evaluate(TraceOf(15).View()), kNotSampled);
}

TEST(RateLimitingPolicyTest, TraceLargerThanTheBurstNeverPasses) {
  FakeClock clock;
  RateLimitingPolicy policy("rate", 100, 5, clock);
  EXPECT_EQ(policy.Evaluate(TraceOf(6).View()), kNotSampled);
  clock.Advance(absl::Hours(1));
  EXPECT_EQ(policy.Evaluate(TraceOf(6).View()), kNotSampled);
  EXPECT_EQ(policy.Evaluate(TraceOf(5).View()), kSampled);
}

TEST(RateLimitingPolicyTest, CountsTheViewsSpanCount) {
  FakeClock clock;
  RateLimitingPolicy policy("rate", 10, 0, clock);
  TestTrace one = TraceOf(1);
  TraceView view = one.View();
  view.set_span_count(21);
  EXPECT_EQ(policy.Evaluate(view), kNotSampled);
}

TEST(RateLimitingPolicyTest, ClockGoingBackwardsDoesNotRefill) {
  FakeClock clock;
  RateLimitingPolicy policy("rate", 10, 0, clock);
  EXPECT_EQ(policy.Evaluate(TraceOf(20).View()), kSampled);
  clock.Advance(absl::Seconds(-5));
  EXPECT_EQ(policy.Evaluate(TraceOf(1).View()), kNotSampled);
  clock.Advance(absl::Seconds(5));  // back where it was: still nothing earned
  EXPECT_EQ(policy.Evaluate(TraceOf(1).View()), kNotSampled);
  clock.Advance(absl::Milliseconds(100));
  EXPECT_EQ(policy.Evaluate(TraceOf(1).View()), kSampled);
}

// ---------------------------------------------------------------------------------------------
// composite (built from specs, so the allocation and ordering rules are covered too)

PolicySpec Sub(std::string name, PolicyType type) {
  PolicySpec spec;
  spec.name = std::move(name);
  spec.type = type;
  if (type == PolicyType::kStatusCode) {
    spec.status_code.status_codes = {otlp::Status::STATUS_CODE_ERROR};
  }
  return spec;
}

std::unique_ptr<Policy> Composite(int64_t max_total, std::vector<PolicySpec> subs,
                                  std::vector<PolicySpec::Composite::RateAllocation> allocation,
                                  const Clock& clock, std::vector<std::string> order = {}) {
  PolicySpec spec;
  spec.name = "composite";
  spec.type = PolicyType::kComposite;
  spec.composite.max_total_spans_per_second = max_total;
  spec.composite.policy_order = std::move(order);
  spec.composite.rate_allocation = std::move(allocation);
  spec.sub_policies = std::move(subs);
  absl::StatusOr<std::unique_ptr<Policy>> policy = BuildPolicy(spec, clock);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *std::move(policy);
}

TestTrace ErrorTrace(int spans) {
  TestTrace trace;
  for (int i = 0; i < spans; ++i) testing::SetStatus(trace.Span(), otlp::Status::STATUS_CODE_ERROR);
  return trace;
}

TEST(CompositePolicyTest, FirstSamplingSubPolicyIsChargedAgainstItsShare) {
  FakeClock clock;
  auto policy = Composite(
      100, {Sub("errors", PolicyType::kStatusCode), Sub("rest", PolicyType::kAlwaysSample)},
      {{"errors", 50}, {"rest", 50}}, clock);
  EXPECT_EQ(policy->Evaluate(ErrorTrace(20).View()), kSampled);  // errors: 20 / 50
  EXPECT_EQ(policy->Evaluate(ErrorTrace(20).View()), kSampled);  // 40 / 50
  // Over the errors share; the always_sample sub-policy is not asked (as in the Collector).
  EXPECT_EQ(policy->Evaluate(ErrorTrace(20).View()), kNotSampled);
  EXPECT_EQ(policy->Evaluate(ErrorTrace(10).View()), kSampled);  // 50 / 50: fits exactly
  EXPECT_EQ(policy->Evaluate(TraceOf(50).View()), kSampled);     // rest: 50 / 50
  EXPECT_EQ(policy->Evaluate(TraceOf(1).View()), kNotSampled);
}

TEST(CompositePolicyTest, BudgetsRestartEachSecond) {
  FakeClock clock(absl::FromUnixMillis(1'700'000'000'900));
  auto policy = Composite(10, {Sub("all", PolicyType::kAlwaysSample)}, {{"all", 100}}, clock);
  EXPECT_EQ(policy->Evaluate(TraceOf(10).View()), kSampled);
  EXPECT_EQ(policy->Evaluate(TraceOf(1).View()), kNotSampled);
  clock.Advance(absl::Milliseconds(100));  // next Unix second
  EXPECT_EQ(policy->Evaluate(TraceOf(10).View()), kSampled);
  clock.Advance(absl::Milliseconds(999));  // same second
  EXPECT_EQ(policy->Evaluate(TraceOf(1).View()), kNotSampled);
}

TEST(CompositePolicyTest, ZeroPercentIsAnEqualShareAndTheTotalIsACap) {
  FakeClock clock;
  // errors: 100 % (100/s); rest: 0 % -> 100 / 2 = 50/s; together never more than 100/s.
  auto policy = Composite(
      100, {Sub("errors", PolicyType::kStatusCode), Sub("rest", PolicyType::kAlwaysSample)},
      {{"errors", 100}, {"rest", 0}}, clock);
  EXPECT_EQ(policy->Evaluate(TraceOf(51).View()), kNotSampled);  // over rest's 50
  EXPECT_EQ(policy->Evaluate(TraceOf(50).View()), kSampled);
  EXPECT_EQ(policy->Evaluate(ErrorTrace(51).View()), kNotSampled);  // total 101 > 100
  EXPECT_EQ(policy->Evaluate(ErrorTrace(50).View()), kSampled);
}

TEST(CompositePolicyTest, UnallocatedSubPolicyFillsTheRemainingCapacity) {
  FakeClock clock;
  auto policy = Composite(
      100, {Sub("errors", PolicyType::kStatusCode), Sub("rest", PolicyType::kAlwaysSample)},
      {{"errors", 50}}, clock);
  EXPECT_EQ(policy->Evaluate(ErrorTrace(40).View()), kSampled);
  EXPECT_EQ(policy->Evaluate(TraceOf(61).View()), kNotSampled);  // total would be 101
  EXPECT_EQ(policy->Evaluate(TraceOf(60).View()), kSampled);
}

TEST(CompositePolicyTest, PolicyOrderDecidesWhichSubPolicyIsTriedFirst) {
  FakeClock clock;
  // Without policy_order "rest" (listed first) would take every trace.
  auto policy = Composite(
      100, {Sub("rest", PolicyType::kAlwaysSample), Sub("errors", PolicyType::kStatusCode)},
      {{"errors", 10}, {"rest", 90}}, clock, {"errors"});
  EXPECT_EQ(policy->Evaluate(ErrorTrace(11).View()), kNotSampled);  // charged to errors (10)
  EXPECT_EQ(policy->Evaluate(TraceOf(11).View()), kSampled);        // rest
}

TEST(CompositePolicyTest, NotSampledWhenNoSubPolicySamples) {
  FakeClock clock;
  auto policy = Composite(100, {Sub("errors", PolicyType::kStatusCode)}, {}, clock);
  EXPECT_EQ(policy->Evaluate(TraceOf(1).View()), kNotSampled);
  EXPECT_EQ(policy->Evaluate(ErrorTrace(1).View()), kSampled);
}

}  // namespace
}  // namespace spanvault::sampling
