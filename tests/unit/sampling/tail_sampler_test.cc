#include "sampling/tail_sampler.h"

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/span_builder.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace spanvault::sampling {
namespace {

using ::spanvault::testing::ConsumeAndWait;
using ::spanvault::testing::IsOkAndHolds;
using ::spanvault::testing::MakeBatch;
using ::spanvault::testing::SpanHex;
using ::spanvault::testing::StatusIs;
using ::spanvault::testing::TestSpan;
using ::spanvault::testing::TraceHex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kPolicies[] = R"(
policies:
  - name: errors
    type: status_code
    status_code: {status_codes: [ERROR]}
  - name: watched
    type: string_attribute
    string_attribute: {key: order_id, values: [W-1]}
)";

TestSpan Span(uint64_t trace, uint64_t span, uint64_t parent = 0, bool error = false,
              std::string order = "") {
  TestSpan s{.trace_id = TraceHex(trace),
             .span_id = SpanHex(span),
             .parent_span_id = parent ? SpanHex(parent) : "",
             .error = error};
  s.start_unix_nano = absl::ToUnixNanos(absl::FromUnixSeconds(1'700'000'000)) + span * 1000;
  if (!order.empty()) s.attributes = {{"order_id", order}};
  return s;
}

class TailSamplerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto config = ParseSamplingConfigText(kPolicies);
    SV_ASSERT_OK(config);
    auto policies = BuildPolicySet(*config, clock_);
    SV_ASSERT_OK(policies);
    policies_ = std::move(*policies);
    options_.sampling.decision_wait = absl::Seconds(10);
    options_.sampling.decision_quiet = absl::Seconds(2);
    options_.run_thread = false;
    OpenStore();
    StartSampler();
  }
  void TearDown() override {
    if (sampler_) sampler_->Shutdown();
    if (store_) store_->Shutdown();
  }
  void OpenStore() {
    TraceStoreOptions options;
    options.path = dir_.path() + "/db";
    options.indexed_attributes = DefaultIndexedAttributes();
    options.testing_no_encryption = true;  // encryption has its own tests
    auto store = OpenRocksDbTraceStore(options);
    SV_ASSERT_OK(store);
    store_ = std::move(*store);
  }
  void StartSampler() {
    rules_ = std::make_unique<RuleSet>(*store_, clock_);
    SV_ASSERT_OK(rules_->Load());
    sampler_ = std::make_unique<TailSampler>(options_, *policies_, rules_.get(), *store_, clock_,
                                             *metrics_);
    SV_ASSERT_OK(sampler_->Start());
  }
  // Simulates a crash and restart: a new store and sampler over the same directory, and a new
  // process's metrics (the old sampler's gauges read the sampler that is gone).
  void Restart() {
    sampler_->Shutdown();
    sampler_.reset();
    store_->Shutdown();
    store_.reset();
    metrics_ = std::make_unique<MetricsRegistry>();
    OpenStore();
    StartSampler();
  }
  absl::Status Send(std::vector<TestSpan> spans) {
    return ConsumeAndWait(*sampler_, MakeBatch(spans));
  }
  int Decide() {
    auto n = sampler_->DecideDue();
    EXPECT_TRUE(n.ok()) << n.status();
    return n.value_or(-1);
  }
  bool Stored(uint64_t trace) { return store_->GetTrace(*TraceId::FromHex(TraceHex(trace))).ok(); }
  int SpanCount(uint64_t trace) {
    auto data = store_->GetTrace(*TraceId::FromHex(TraceHex(trace)));
    int n = 0;
    if (data.ok()) {
      for (const auto& rs : data->resource_spans()) {
        for (const auto& ss : rs.scope_spans()) n += ss.spans_size();
      }
    }
    return n;
  }
  std::vector<std::string> Search() {
    TraceQuery q;
    q.service_name = "shop-api";
    auto ids = store_->FindTraceIds(q);
    EXPECT_TRUE(ids.ok());
    std::vector<std::string> out;
    for (const auto& id : *ids) out.push_back(id.ToHex());
    std::sort(out.begin(), out.end());
    return out;
  }
  bool Pending(uint64_t trace) {
    auto p = store_->IsPending(*TraceId::FromHex(TraceHex(trace)));
    return p.ok() && *p;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<MetricsRegistry> metrics_ = std::make_unique<MetricsRegistry>();
  TailSamplerOptions options_;
  std::unique_ptr<PolicySet> policies_;
  std::unique_ptr<TraceStore> store_;
  std::unique_ptr<RuleSet> rules_;
  std::unique_ptr<TailSampler> sampler_;
};

TEST_F(TailSamplerTest, WaitsForTheDecisionThenKeepsOrDrops) {
  ASSERT_THAT(Send({Span(1, 1, 0, /*error=*/true), Span(2, 2)}), testing::IsOk());
  // Acknowledged and durable, readable by id, not searchable, not decided.
  EXPECT_TRUE(Stored(1));
  EXPECT_TRUE(Pending(1));
  EXPECT_THAT(Search(), IsEmpty());
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Decide(), 0);
  EXPECT_EQ(sampler_->pending_traces(), 2u);
  clock_.Advance(absl::Seconds(10));
  EXPECT_EQ(Decide(), 2);
  EXPECT_THAT(Search(), ElementsAre(TraceHex(1)));
  EXPECT_FALSE(Pending(1));
  EXPECT_FALSE(Stored(2));
  EXPECT_EQ(sampler_->pending_traces(), 0u);
  std::string text = metrics_->Render();
  EXPECT_THAT(text,
              HasSubstr("spanvault_sampling_traces_total{decision=\"kept\",policy=\"errors\"} 1"));
  EXPECT_THAT(text,
              HasSubstr("spanvault_sampling_traces_total{decision=\"dropped\",policy=\"\"} 1"));
}

// A pending write the store refuses (a full disk; here a store that stopped, which refuses at
// once, while Consume holds the sampler's lock) stored nothing: a trace it started is
// forgotten rather than decided (dropped) while empty, so the exporter's retry starts it afresh.
TEST_F(TailSamplerTest, AFailedPendingWriteIsTakenBack) {
  ASSERT_THAT(Send({Span(1, 1)}), testing::IsOk());
  store_->Shutdown();
  EXPECT_THAT(Send({Span(2, 2, 0, /*error=*/true)}), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(Send({Span(1, 3, 1)}), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Decide(), 0);  // nothing due yet; the failed writes are taken back first
  EXPECT_EQ(sampler_->pending_traces(), 1u);
  // The trace stored before keeps its state: decided at its deadline (the write fails too, so
  // it stays pending and is decided again later).
  clock_.Advance(absl::Seconds(11));
  EXPECT_THAT(sampler_->DecideDue(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(sampler_->pending_traces(), 1u);
}

TEST_F(TailSamplerTest, DecidesEarlyOnceTheRootArrivedAndTracesGoQuiet) {
  ASSERT_THAT(Send({Span(1, 2, /*parent=*/1, false, "W-1")}), testing::IsOk());
  clock_.Advance(absl::Seconds(5));
  EXPECT_EQ(Decide(), 0);  // no root yet: waits for decision_wait
  ASSERT_THAT(Send({Span(1, 1)}), testing::IsOk());
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Decide(), 0);  // root there, but not quiet for 2 s yet
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Decide(), 1);
  EXPECT_THAT(Search(), ElementsAre(TraceHex(1)));
  EXPECT_EQ(SpanCount(1), 2);
}

TEST_F(TailSamplerTest, TraceSplitOverSeveralExportsIsDecidedWhole) {
  ASSERT_THAT(Send({Span(1, 1)}), testing::IsOk());
  clock_.Advance(absl::Seconds(1));
  ASSERT_THAT(Send({Span(1, 2, 1)}), testing::IsOk());
  clock_.Advance(absl::Seconds(1));
  ASSERT_THAT(Send({Span(1, 3, 2, /*error=*/true)}), testing::IsOk());
  clock_.Advance(absl::Seconds(10));
  EXPECT_EQ(Decide(), 1);
  EXPECT_EQ(SpanCount(1), 3);
  EXPECT_THAT(Search(), ElementsAre(TraceHex(1)));
}

TEST_F(TailSamplerTest, LateSpansFollowTheDecision) {
  ASSERT_THAT(Send({Span(1, 1, 0, true), Span(2, 2)}), testing::IsOk());
  clock_.Advance(absl::Seconds(11));
  EXPECT_EQ(Decide(), 2);
  ASSERT_THAT(Send({Span(1, 5, 1), Span(2, 6, 2)}), testing::IsOk());
  EXPECT_EQ(SpanCount(1), 2);  // added to the kept trace, at once
  EXPECT_FALSE(Stored(2));     // a dropped trace stays dropped
  EXPECT_EQ(sampler_->pending_traces(), 0u);
  auto summaries = store_->GetSummaries({*TraceId::FromHex(TraceHex(1))});
  SV_ASSERT_OK(summaries);
  EXPECT_EQ((*summaries)[0].span_count, 2);
  std::string text = metrics_->Render();
  EXPECT_THAT(text, HasSubstr("spanvault_sampling_late_spans_total{decision=\"kept\"} 1"));
  EXPECT_THAT(text, HasSubstr("spanvault_sampling_late_spans_total{decision=\"dropped\"} 1"));
}

TEST_F(TailSamplerTest, PendingTracesAndDecisionsSurviveARestart) {
  ASSERT_THAT(Send({Span(1, 1, 0, true), Span(2, 2)}), testing::IsOk());
  clock_.Advance(absl::Seconds(11));
  EXPECT_EQ(Decide(), 2);
  ASSERT_THAT(Send({Span(3, 3, /*parent=*/99, false, "W-1")}), testing::IsOk());  // no root yet
  clock_.Advance(absl::Seconds(4));
  Restart();
  EXPECT_EQ(sampler_->pending_traces(), 1u);
  clock_.Advance(absl::Seconds(5));
  EXPECT_EQ(Decide(), 0);  // the deadline is 10 s after the first span, restart or not
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Decide(), 1);
  EXPECT_THAT(Search(), ElementsAre(TraceHex(1), TraceHex(3)));
  // Late spans still follow the decisions made before the restart.
  ASSERT_THAT(Send({Span(1, 7, 1), Span(2, 8, 2)}), testing::IsOk());
  EXPECT_EQ(SpanCount(1), 2);
  EXPECT_FALSE(Stored(2));
}

TEST_F(TailSamplerTest, RefusesNewTracesOverTheLimitsWithARetryableError) {
  options_.sampling.max_pending_traces = 2;
  Restart();
  ASSERT_THAT(Send({Span(1, 1), Span(2, 2)}), testing::IsOk());
  EXPECT_THAT(Send({Span(3, 3)}),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_pending_traces 2")));
  EXPECT_FALSE(Stored(3));
  ASSERT_THAT(Send({Span(1, 4, 1)}), testing::IsOk());  // known traces still grow
  clock_.Advance(absl::Seconds(11));
  EXPECT_EQ(Decide(), 2);
  EXPECT_THAT(Send({Span(3, 3)}), testing::IsOk());  // room again: the retry succeeds

  options_.sampling.max_pending_traces = 100;
  options_.sampling.max_pending_bytes = 10;
  Restart();
  EXPECT_THAT(Send({Span(9, 9)}),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_pending_bytes 10")));
}

TEST_F(TailSamplerTest, DecidesEarlyAtMaxSpansPerTraceAndCountsTheExcess) {
  options_.sampling.max_spans_per_trace = 2;
  Restart();
  ASSERT_THAT(Send({Span(1, 1, 0, true), Span(1, 2, 1)}), testing::IsOk());
  ASSERT_THAT(Send({Span(1, 3, 1)}), testing::IsOk());  // over the limit: counted, not stored
  EXPECT_EQ(Decide(), 1);                               // due at once, without waiting
  EXPECT_EQ(SpanCount(1), 2);
  EXPECT_THAT(metrics_->Render(), HasSubstr("spanvault_sampling_excess_spans_total 1"));
}

// An exporter retries a batch whose acknowledgement it lost: until the store answers that
// write (and reports its spans as duplicates), the trace's span count is too high, and it must
// not end the trace on max_spans_per_trace. The store answers in queue order, so a batch of
// another trace whose answer blocks holds the retry's answer back.
TEST_F(TailSamplerTest, ARetriedBatchInFlightDoesNotEndTheTrace) {
  options_.sampling.max_spans_per_trace = 4;
  Restart();
  ASSERT_THAT(Send({Span(1, 1), Span(1, 2, 1)}), testing::IsOk());
  absl::Notification release;
  absl::Notification blocker_answered;
  sampler_->Consume(MakeBatch({Span(2, 10)}), [&](absl::Status) {
    // Bounded: were the trace decided early, Decide() would wait for its decision's write,
    // queued behind this answer.
    release.WaitForNotificationWithTimeout(absl::Seconds(10));
    blocker_answered.Notify();
  });
  absl::Notification retry_answered;
  absl::Status retry_status;
  sampler_->Consume(MakeBatch({Span(1, 1), Span(1, 2, 1)}), [&](absl::Status s) {
    retry_status = s;
    retry_answered.Notify();
  });
  EXPECT_EQ(Decide(), 0);  // four spans counted, two of them not yet known to be retried
  release.Notify();
  blocker_answered.WaitForNotification();
  retry_answered.WaitForNotification();
  ASSERT_THAT(retry_status, testing::IsOk());
  EXPECT_EQ(Decide(), 0);  // two spans: below the limit
  ASSERT_THAT(Send({Span(1, 3, 1, /*error=*/true), Span(1, 4, 1)}), testing::IsOk());
  EXPECT_EQ(Decide(), 1);  // four distinct spans: due at once
  EXPECT_EQ(SpanCount(1), 4);
  EXPECT_THAT(metrics_->Render(),
              HasSubstr("spanvault_sampling_traces_total{decision=\"kept\",policy=\"errors\"} 1"));
}

TEST_F(TailSamplerTest, KeptTraceNamesThePolicyOnItsRoot) {
  ASSERT_THAT(Send({Span(1, 1, 0, false, "W-1"), Span(1, 2, 1)}), testing::IsOk());
  clock_.Advance(absl::Seconds(11));
  EXPECT_EQ(Decide(), 1);
  auto data = store_->GetTrace(*TraceId::FromHex(TraceHex(1)));
  SV_ASSERT_OK(data);
  std::string policy;
  for (const auto& rs : data->resource_spans()) {
    for (const auto& span : rs.scope_spans(0).spans()) {
      if (const auto* v = FindAttribute(span.attributes(), "sampling.policy")) {
        policy = v->string_value();
        EXPECT_TRUE(span.parent_span_id().empty());
      }
    }
  }
  EXPECT_EQ(policy, "watched");
}

TEST_F(TailSamplerTest, RuntimeRulesKeepTracesUntilTheyExpire) {
  auto rule = rules_->Add("order_id", "R-7", absl::Minutes(10), "lost order", "test");
  SV_ASSERT_OK(rule);
  EXPECT_THAT(rules_->Add("", "x", absl::Minutes(1), "", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("attribute key")));
  EXPECT_THAT(rules_->Add("k", "v", absl::Hours(24 * 31), "", ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Restart();  // rules persist
  ASSERT_EQ(rules_->List().size(), 1u);
  EXPECT_EQ(rules_->List()[0].reason, "lost order");
  ASSERT_THAT(Send({Span(1, 1, 0, false, "R-7")}), testing::IsOk());
  clock_.Advance(absl::Seconds(11));
  EXPECT_EQ(Decide(), 1);
  EXPECT_THAT(Search(), ElementsAre(TraceHex(1)));
  EXPECT_THAT(metrics_->Render(), HasSubstr("policy=\"rule:" + rule->id + "\"} 1"));
  clock_.Advance(absl::Minutes(10));  // the rule has expired
  EXPECT_THAT(rules_->List(), IsEmpty());
  ASSERT_THAT(Send({Span(2, 2, 0, false, "R-7")}), testing::IsOk());
  clock_.Advance(absl::Seconds(11));
  EXPECT_EQ(Decide(), 1);
  EXPECT_FALSE(Stored(2));
  SV_ASSERT_OK(rules_->Expire());
  auto stored = store_->LoadRules();
  SV_ASSERT_OK(stored);
  EXPECT_THAT(*stored, IsEmpty());
}

}  // namespace
}  // namespace spanvault::sampling
