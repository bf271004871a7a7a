// TraceView's precomputed facts and PolicySet's final-decision rules (the Collector's).

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sampling/policy.h"
#include "tests/unit/sampling/test_trace.h"

namespace spanvault::sampling {
namespace {

using ::testing::ElementsAre;
using testing::Int;
using ::testing::Pair;
using testing::SetStatus;
using testing::Str;
using testing::TestTrace;

constexpr Decision S = Decision::kSampled;
constexpr Decision N = Decision::kNotSampled;
constexpr Decision IS = Decision::kInvertSampled;
constexpr Decision INS = Decision::kInvertNotSampled;
constexpr Decision D = Decision::kDropped;

// ---------------------------------------------------------------------------------------------
// TraceView

TEST(TraceViewTest, PrecomputesTheFacts) {
  TestTrace trace(42);
  trace.Resource("a");
  trace.Span(100, 50);
  SetStatus(trace.Span(10, 20, /*root=*/true), otlp::Status::STATUS_CODE_OK);
  trace.Resource("b");
  SetStatus(trace.Span(200, 300), otlp::Status::STATUS_CODE_ERROR);
  trace.Span(50, 10).set_flags(0x1);
  const TraceView view = trace.View();
  EXPECT_EQ(view.trace_id(), trace.id());
  EXPECT_EQ(view.span_count(), 4);
  EXPECT_EQ(view.spans().size(), 4u);
  EXPECT_EQ(view.earliest_start_unix_nano(), TestTrace::kBaseNanos + 10'000'000);
  EXPECT_EQ(view.latest_end_unix_nano(), TestTrace::kBaseNanos + 500'000'000);
  EXPECT_EQ(view.duration_nanos(), 490'000'000u);
  EXPECT_TRUE(view.has_root_span());
  EXPECT_TRUE(view.has_error());
  EXPECT_TRUE(view.HasStatusCode(otlp::Status::STATUS_CODE_OK));
  EXPECT_TRUE(view.HasStatusCode(otlp::Status::STATUS_CODE_UNSET));
  EXPECT_TRUE(view.has_sampled_flag());
}

TEST(TraceViewTest, EmptyAndRootlessTraces) {
  TestTrace empty;
  const TraceView e = empty.View();
  EXPECT_EQ(e.span_count(), 0);
  EXPECT_EQ(e.duration_nanos(), 0u);
  EXPECT_FALSE(e.has_root_span());
  EXPECT_FALSE(e.has_error());
  EXPECT_FALSE(e.HasStatusCode(otlp::Status::STATUS_CODE_UNSET));
  EXPECT_FALSE(e.has_sampled_flag());

  TestTrace rootless;
  rootless.Span();
  EXPECT_FALSE(rootless.View().has_root_span());
  EXPECT_FALSE(rootless.View().has_error());
}

TEST(TraceViewTest, TakesTheTraceIdFromTheSpans) {
  TestTrace trace(7);
  trace.Span();
  EXPECT_EQ(TraceView(trace.data()).trace_id(), trace.id());
  TestTrace empty;
  EXPECT_TRUE(TraceView(empty.data()).trace_id().IsZero());
}

TEST(TraceViewTest, AnyAttributeLooksAtResourcesWithSpansThenSpans) {
  TestTrace trace;
  trace.Resource("no-spans", {{"k", Str("unused-resource")}});
  trace.Resource("a", {{"k", Str("resource")}});
  trace.Span(0, 1, false, {{"k", Int(1)}});
  std::vector<std::pair<std::string, AttributeSource>> seen;
  const bool found =
      trace.View().AnyAttribute("k", [&](const otlp::AnyValue& v, AttributeSource s) {
        seen.emplace_back(AnyValueToString(v), s);
        return false;
      });
  EXPECT_FALSE(found);
  // The resource of the first ResourceSpans has no span, so it is not part of the trace.
  EXPECT_THAT(seen, ElementsAre(Pair("resource", AttributeSource::kResource),
                                Pair("1", AttributeSource::kSpan)));
  EXPECT_TRUE(trace.View().AnyAttribute(
      "k", [](const otlp::AnyValue& v, AttributeSource) { return v.int_value() == 1; }));
}

// ---------------------------------------------------------------------------------------------
// PolicySet

class FixedPolicy final : public Policy {
 public:
  FixedPolicy(std::string name, Decision d, std::string type, std::atomic<int>* calls)
      : Policy(std::move(name)), decision_(d), type_(std::move(type)), calls_(calls) {}
  Decision Evaluate(const TraceView&) const override {
    if (calls_ != nullptr) ++*calls_;
    return decision_;
  }
  std::string_view type() const override { return type_; }

 private:
  const Decision decision_;
  const std::string type_;
  std::atomic<int>* const calls_;
};

// Policies p0, p1, ... returning `decisions`; a kDropped one has type "drop", as only drop
// policies return it.
std::vector<std::unique_ptr<Policy>> Policies(const std::vector<Decision>& decisions,
                                              std::atomic<int>* calls = nullptr) {
  std::vector<std::unique_ptr<Policy>> out;
  for (size_t i = 0; i < decisions.size(); ++i) {
    out.push_back(std::make_unique<FixedPolicy>("p" + std::to_string(i), decisions[i],
                                                decisions[i] == D ? "drop" : "fixed", calls));
  }
  return out;
}

struct Row {
  std::vector<Decision> decisions;
  bool keep;
  Decision final_decision;
  std::string policy;
};

TEST(PolicySetTest, FinalDecisionFollowsTheCollector) {
  const std::vector<Row> rows = {
      // No policies: sampling is off, keep everything.
      {{}, true, S, ""},
      {{N}, false, N, ""},
      {{S}, true, S, "p0"},
      {{N, S}, true, S, "p1"},
      {{S, S}, true, S, "p0"},
      {{N, N, N}, false, N, ""},
      // An inverted not-sampled beats any sampled.
      {{S, INS}, false, N, "p1"},
      {{INS, S, IS}, false, N, "p0"},
      // An inverted sampled keeps only when no policy said not sampled...
      {{IS}, true, S, "p0"},
      {{IS, IS}, true, S, "p0"},
      {{IS, N}, false, N, ""},
      {{N, IS}, false, N, ""},
      // ... but a plain sampled keeps regardless, and names itself.
      {{IS, N, S}, true, S, "p2"},
      {{IS, S}, true, S, "p1"},
      // Dropped beats everything.
      {{S, D}, false, D, "p1"},
      {{IS, INS, D, S}, false, D, "p2"},
      {{D}, false, D, "p0"},
  };
  for (const Row& row : rows) {
    PolicySet set(Policies(row.decisions));
    TestTrace trace;
    trace.Span();
    const SamplingResult result = set.Evaluate(trace.View());
    std::string label;
    for (Decision d : row.decisions) label += std::string(DecisionName(d)) + " ";
    EXPECT_EQ(result.keep, row.keep) << label;
    EXPECT_EQ(result.decision, row.final_decision) << label;
    EXPECT_EQ(result.policy, row.policy) << label;
  }
}

TEST(PolicySetTest, DropPoliciesRunFirstAndStopEvaluation) {
  std::atomic<int> calls = 0;
  PolicySet set(Policies({S, S, D, S}, &calls));
  EXPECT_EQ(set.policies().front()->name(), "p2");
  std::vector<std::string> evaluated;
  TestTrace trace;
  const SamplingResult result =
      set.Evaluate(trace.View(), [&](const Policy& p, Decision) { evaluated.push_back(p.name()); });
  EXPECT_FALSE(result.keep);
  EXPECT_EQ(result.policy, "p2");
  EXPECT_THAT(evaluated, ElementsAre("p2"));
  EXPECT_EQ(calls, 1);
}

TEST(PolicySetTest, DropPolicyThatDoesNotMatchLetsTheOthersDecide) {
  std::vector<std::unique_ptr<Policy>> policies = Policies({S});
  policies.push_back(std::make_unique<FixedPolicy>("not-health", N, "drop", nullptr));
  PolicySet with_drop(std::move(policies));
  std::vector<std::pair<std::string, Decision>> evaluated;
  TestTrace trace;
  const SamplingResult result = with_drop.Evaluate(
      trace.View(), [&](const Policy& p, Decision d) { evaluated.emplace_back(p.name(), d); });
  EXPECT_TRUE(result.keep);
  EXPECT_EQ(result.policy, "p0");
  EXPECT_THAT(evaluated, ElementsAre(Pair("not-health", N), Pair("p0", S)));
}

TEST(PolicySetTest, EveryPolicyIsEvaluatedByDefault) {
  std::atomic<int> calls = 0;
  PolicySet set(Policies({S, S, N, IS}, &calls));
  TestTrace trace;
  EXPECT_TRUE(set.Evaluate(trace.View()).keep);
  EXPECT_EQ(calls, 4);
}

TEST(PolicySetTest, SampleOnFirstMatchStopsAtTheFirstSampled) {
  std::atomic<int> calls = 0;
  PolicySet set(Policies({N, S, INS, S}, &calls), /*sample_on_first_match=*/true);
  TestTrace trace;
  const SamplingResult result = set.Evaluate(trace.View());
  // The inverted not-sampled after it is never seen, so the trace is kept.
  EXPECT_TRUE(result.keep);
  EXPECT_EQ(result.policy, "p1");
  EXPECT_EQ(calls, 2);
}

TEST(PolicySetTest, SampleOnFirstMatchStillRunsDropPoliciesFirst) {
  PolicySet set(Policies({S, D}), /*sample_on_first_match=*/true);
  TestTrace trace;
  const SamplingResult result = set.Evaluate(trace.View());
  EXPECT_FALSE(result.keep);
  EXPECT_EQ(result.decision, D);
}

TEST(PolicySetTest, EmptySetKeepsEverything) {
  PolicySet set({});
  EXPECT_TRUE(set.empty());
  TestTrace trace;
  trace.Span();
  const SamplingResult result = set.Evaluate(trace.View());
  EXPECT_TRUE(result.keep);
  EXPECT_EQ(result.policy, "");
}

TEST(DecisionNameTest, Names) {
  EXPECT_EQ(DecisionName(S), "sampled");
  EXPECT_EQ(DecisionName(N), "not_sampled");
  EXPECT_EQ(DecisionName(IS), "invert_sampled");
  EXPECT_EQ(DecisionName(INS), "invert_not_sampled");
  EXPECT_EQ(DecisionName(D), "dropped");
}

}  // namespace
}  // namespace spanvault::sampling
