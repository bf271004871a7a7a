// flow_status with the real journey tap in front of the tail sampler and a RocksDB store,
// driven by a fake clock: a lost order's trace waits (deferred) until the order is stuck and
// is kept then; a completed order's trace is dropped at once; a failed one is kept; past
// max_deferred_traces nothing waits.

#include "common/otlp_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "journeys/flow_config.h"
#include "journeys/journey_tap.h"
#include "sampling/flow_status_policy.h"
#include "sampling/tail_sampler.h"
#include "server/config.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/span_builder.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace spanvault::sampling {
namespace {

using ::spanvault::testing::ConsumeAndWait;
using ::spanvault::testing::MakeBatch;
using ::spanvault::testing::SpanHex;
using ::spanvault::testing::TestSpan;
using ::spanvault::testing::TraceHex;
using ::testing::HasSubstr;

constexpr char kFlows[] = R"(
- name: order
  key: order_id
  steps:
    - {name: placed,    service: shop-api, operation: "POST /orders"}
    - {name: published, service: shop-api, kind: producer, destination: orders, within: 30s}
    - {name: consumed,  service: mes-api,  kind: consumer, destination: orders, within: 1m}
  final: consumed
)";

constexpr char kPolicies[] = R"(
policies:
  - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
  - {name: flow_status, type: flow_status, flow_status: {statuses: [stuck, failed]}}
)";

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

TestSpan At(uint64_t trace, uint64_t span, absl::Duration offset) {
  TestSpan s{.trace_id = TraceHex(trace), .span_id = SpanHex(span)};
  s.start_unix_nano = static_cast<uint64_t>(absl::ToUnixNanos(kT0 + offset));
  return s;
}

// An order's spans: POST /orders, its publish, and (unless lost) the consume, failed or not.
std::vector<TestSpan> Order(uint64_t trace, const std::string& key, bool consumed,
                            bool failed = false) {
  TestSpan root = At(trace, 1, absl::ZeroDuration());
  root.name = "POST /orders";
  root.attributes = {{"order_id", key}};
  TestSpan publish = At(trace, 2, absl::Milliseconds(1));
  publish.parent_span_id = SpanHex(1);
  publish.name = "orders publish";
  publish.kind = 4;
  publish.attributes = {{"order_id", key}, {"messaging.destination.name", "orders"}};
  std::vector<TestSpan> spans = {root, publish};
  if (consumed) {
    TestSpan consume = At(trace, 3, absl::Milliseconds(5));
    consume.service = "mes-api";
    consume.parent_span_id = SpanHex(2);
    consume.name = "orders process";
    consume.kind = 5;
    consume.attributes = {{"messaging.destination.name", "orders"}};
    consume.error = failed;
    spans.push_back(consume);
  }
  return spans;
}

class FlowStatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.sampling.decision_wait = absl::Seconds(10);
    options_.sampling.decision_quiet = absl::ZeroDuration();
    options_.run_thread = false;
  }
  void Start() {
    auto config = ParseSamplingConfigText(kPolicies);
    SV_ASSERT_OK(config);
    auto policies = BuildPolicySet(*config, clock_, &source_);
    SV_ASSERT_OK(policies);
    policies_ = std::move(*policies);
    TraceStoreOptions store_options;
    store_options.path = dir_.path() + "/db";
    store_options.testing_no_encryption = true;
    auto store = OpenRocksDbTraceStore(store_options);
    SV_ASSERT_OK(store);
    store_ = std::move(*store);
    sampler_ =
        std::make_unique<TailSampler>(options_, *policies_, nullptr, *store_, clock_, metrics_);
    SV_ASSERT_OK(sampler_->Start());
    auto flows = journeys::ParseFlows(YAML::Load(kFlows));
    SV_ASSERT_OK(flows);
    tap_ = std::make_unique<journeys::JourneyTap>(journeys::JourneyTapOptions{}, *flows, *sampler_,
                                                  store_->Journeys(), clock_, metrics_);
    SV_ASSERT_OK(tap_->Start());
    source_.Set(tap_.get());
  }
  void TearDown() override {
    if (sampler_) sampler_->Shutdown();
    if (store_) store_->Shutdown();
    if (tap_) {
      SV_EXPECT_OK(tap_->Shutdown());
    }
  }
  void Send(const std::vector<TestSpan>& spans) {
    SV_ASSERT_OK(ConsumeAndWait(*tap_, MakeBatch(spans)));
  }
  int DecideAfter(absl::Duration d) {
    clock_.Advance(d);
    auto n = sampler_->DecideDue();
    EXPECT_TRUE(n.ok()) << n.status();
    return n.value_or(-1);
  }
  bool Pending(uint64_t trace) {
    auto p = store_->IsPending(*TraceId::FromHex(TraceHex(trace)));
    return p.ok() && *p;
  }
  // The sampling.policy of the kept trace's root; "" when not kept.
  std::string KeptBy(uint64_t trace) {
    if (Pending(trace)) return "";
    auto data = store_->GetTrace(*TraceId::FromHex(TraceHex(trace)));
    if (!data.ok()) return "";
    for (const auto& rs : data->resource_spans()) {
      for (const auto& span : rs.scope_spans(0).spans()) {
        if (const auto* v = FindAttribute(span.attributes(), "sampling.policy")) {
          return v->string_value();
        }
      }
    }
    return "(no policy)";
  }

  spanvault::testing::TempDir dir_;
  spanvault::testing::FakeClock clock_{kT0};
  MetricsRegistry metrics_;
  TailSamplerOptions options_;
  JourneySource source_;
  std::unique_ptr<PolicySet> policies_;
  std::unique_ptr<TraceStore> store_;
  std::unique_ptr<TailSampler> sampler_;
  std::unique_ptr<journeys::JourneyTap> tap_;
};

TEST_F(FlowStatusTest, ALostOrdersTraceWaitsUntilTheOrderIsStuckAndIsKeptThen) {
  Start();
  Send(Order(1, "lost", /*consumed=*/false));
  Send(Order(2, "done", /*consumed=*/true));
  Send(Order(3, "broken", /*consumed=*/true, /*failed=*/true));
  // At decision_wait: the completed order is dropped, the failed one kept by `errors`, the
  // lost one (in progress, its consume due at 1 m) waits.
  EXPECT_EQ(DecideAfter(absl::Seconds(11)), 2);
  EXPECT_EQ(KeptBy(2), "");
  EXPECT_FALSE(Pending(2));
  EXPECT_EQ(KeptBy(3), "errors");
  EXPECT_TRUE(Pending(1));
  EXPECT_EQ(sampler_->pending_traces(), 1u);
  // Looked at again every decision_wait while the order is in progress.
  EXPECT_EQ(DecideAfter(absl::Seconds(10)), 0);
  EXPECT_EQ(DecideAfter(absl::Seconds(20)), 0);
  EXPECT_TRUE(Pending(1));
  // Once the consume is overdue the order is stuck: its trace is kept, named by flow_status.
  EXPECT_EQ(DecideAfter(absl::Seconds(20)), 1);
  EXPECT_EQ(KeptBy(1), "flow_status");
  std::string metrics = metrics_.Render();
  EXPECT_THAT(metrics, HasSubstr("spanvault_sampling_deferred_total{outcome=\"deferred\"} 3"));
  EXPECT_THAT(metrics, HasSubstr("spanvault_sampling_traces_total{decision=\"kept\",policy=\"flow_"
                                 "status\"} 1"));
}

TEST_F(FlowStatusTest, ALateConsumeCompletesTheOrderAndTheWaitingTraceIsDropped) {
  Start();
  Send(Order(1, "slow", /*consumed=*/false));
  EXPECT_EQ(DecideAfter(absl::Seconds(11)), 0);
  EXPECT_TRUE(Pending(1));
  std::vector<TestSpan> consume = Order(4, "slow", /*consumed=*/true);
  Send({consume[2]});  // the consume, in a trace of its own carrying no order_id yet
  consume[0].attributes = {{"order_id", "slow"}};
  Send({consume[0]});  // its trace now belongs to the order: completed
  EXPECT_EQ(DecideAfter(absl::Seconds(11)), 2);
  EXPECT_EQ(KeptBy(1), "");
  EXPECT_FALSE(Pending(1));
}

TEST_F(FlowStatusTest, PastMaxDeferredTracesNothingWaits) {
  options_.max_deferred_traces = 0;
  Start();
  Send(Order(1, "lost", /*consumed=*/false));
  EXPECT_EQ(DecideAfter(absl::Seconds(11)), 1);
  EXPECT_EQ(KeptBy(1), "");
  EXPECT_FALSE(Pending(1));
  EXPECT_THAT(metrics_.Render(),
              HasSubstr("spanvault_sampling_deferred_total{outcome=\"limit_reached\"} 1"));
}

TEST_F(FlowStatusTest, WithoutJourneysAFlowStatusPolicyDoesNotBuild) {
  auto config = ParseSamplingConfigText(kPolicies);
  SV_ASSERT_OK(config);
  EXPECT_THAT(BuildPolicySet(*config, clock_).status(),
              spanvault::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("needs the journeys")));
}

}  // namespace
}  // namespace spanvault::sampling
