// JourneyTap and the journey state machine: steps across several traces joined by the key or
// by a span link, spans before the key, out-of-order, duplicate and late spans, thresholds
// driven by a fake clock, the status index, a restart and the retention.

#include "journeys/journey_tap.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "journeys/flow_config.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/recording_sink.h"
#include "tests/testing/span_builder.h"
#include "tests/testing/status_matchers.h"

namespace spanvault::journeys {
namespace {

using ::spanvault::testing::Bytes;
using ::spanvault::testing::ConsumeAndWait;
using ::spanvault::testing::FakeClock;
using ::spanvault::testing::MakeRequest;
using ::spanvault::testing::RecordingSink;
using ::spanvault::testing::SpanHex;
using ::spanvault::testing::StatusIs;
using ::spanvault::testing::TestSpan;
using ::spanvault::testing::TraceHex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

constexpr char kOrderFlow[] = R"(
- name: order
  key: order_id
  steps:
    - {name: placed,    service: shop-api, operation: "POST /orders"}
    - {name: created,   service: crm-api,  operation: create-order, within: 30s}
    - {name: published, service: crm-api,  kind: producer, destination: orders, within: 30s}
    - {name: consumed,  service: mes-api,  kind: consumer, destination: orders, within: 5m}
    - {name: confirmed, service: mes-api,  operation: "POST /sellers/*/confirm", within: 1m}
  final: confirmed
)";

std::vector<Flow> OrderFlows() {
  auto flows = ParseFlows(YAML::Load(kOrderFlow));
  EXPECT_TRUE(flows.ok()) << flows.status();
  return flows.ok() ? *flows : std::vector<Flow>{};
}

// A span of the order pipeline; `at` is seconds after kStart.
struct Step {
  uint64_t trace;
  uint64_t span;
  std::string service;
  std::string name;
  int kind = 2;
  double at = 0;
  std::string order;  // order_id attribute, "" for none
  std::string destination;
  bool error = false;
  std::string message;
  uint64_t link_trace = 0;  // a span link to this trace (span 1)
};

Step Placed(uint64_t trace, std::string order, double at = 0) {
  return {trace, 1, "shop-api", "POST /orders", 2, at, std::move(order)};
}
Step Created(uint64_t trace, std::string order, double at = 0.1) {
  return {trace, 2, "crm-api", "create-order", 1, at, std::move(order)};
}
Step Published(uint64_t trace, std::string order, double at = 0.2) {
  return {trace, 3, "crm-api", "orders publish", 4, at, std::move(order), "orders"};
}
Step Consumed(uint64_t trace, std::string order, double at = 1) {
  return {trace, 4, "mes-api", "orders process", 5, at, std::move(order), "orders"};
}
Step Confirmed(uint64_t trace, std::string order, double at = 2) {
  return {trace, 5, "mes-api", "POST /sellers/acme/confirm", 3, at, std::move(order)};
}

SpanBatch BatchOf(const std::vector<Step>& steps) {
  std::vector<TestSpan> spans;
  for (const Step& s : steps) {
    TestSpan t;
    t.service = s.service;
    t.trace_id = TraceHex(s.trace);
    t.span_id = SpanHex(s.trace * 100 + s.span);
    t.name = s.name;
    t.kind = s.kind;
    t.start_unix_nano = static_cast<uint64_t>(absl::ToUnixNanos(kStart + absl::Seconds(s.at)));
    t.duration_nanos = 5'000'000;
    if (!s.order.empty()) t.attributes.emplace_back("order_id", s.order);
    if (!s.destination.empty()) t.attributes.emplace_back("messaging.destination", s.destination);
    t.error = s.error;
    spans.push_back(std::move(t));
  }
  auto request = std::make_unique<ExportRequest>(MakeRequest(spans));
  for (size_t i = 0; i < steps.size(); ++i) {
    otlp::Span* span = request->mutable_resource_spans(static_cast<int>(i))
                           ->mutable_scope_spans(0)
                           ->mutable_spans(0);
    if (!steps[i].message.empty()) span->mutable_status()->set_message(steps[i].message);
    if (steps[i].link_trace != 0) {
      auto* link = span->add_links();
      link->set_trace_id(Bytes(TraceHex(steps[i].link_trace)));
      link->set_span_id(Bytes(SpanHex(steps[i].link_trace * 100 + 3)));
    }
  }
  return SpanBatch(std::move(request));
}

class JourneyTapTest : public ::testing::Test {
 protected:
  std::unique_ptr<JourneyTap> NewTap(JourneyTapOptions options = {}) {
    auto tap = std::make_unique<JourneyTap>(options, OrderFlows(), next_, kv_, clock_, registry_);
    EXPECT_TRUE(tap->Start().ok());
    return tap;
  }
  void Send(JourneyTap& tap, const std::vector<Step>& steps) {
    SV_ASSERT_OK(ConsumeAndWait(tap, BatchOf(steps)));
  }
  Journey Get(JourneyTap& tap, const std::string& key) {
    auto j = tap.GetJourney("order", key);
    EXPECT_TRUE(j.ok()) << j.status();
    return j.ok() ? *j : Journey{};
  }
  std::vector<std::string> Keys(JourneyTap& tap, std::optional<JourneyStatus> status) {
    JourneyFilter filter;
    filter.status = status;
    auto list = tap.ListJourneys("order", filter);
    EXPECT_TRUE(list.ok()) << list.status();
    std::vector<std::string> keys;
    if (list.ok()) {
      for (const auto& j : *list) keys.push_back(j.key);
    }
    return keys;
  }

  FakeClock clock_{kStart + absl::Seconds(3)};
  RecordingSink next_;
  MemoryKvStore kv_;
  MetricsRegistry registry_;
};

TEST_F(JourneyTapTest, CompletesAnOrderSplitAcrossTracesByKey) {
  auto tap = NewTap();
  Send(*tap, {Placed(1, "o-1"), Created(1, "o-1"), Published(1, "o-1")});
  Send(*tap, {Consumed(2, "o-1"), Confirmed(2, "o-1")});
  EXPECT_EQ(next_.SpanCount(), 5u);
  Journey j = Get(*tap, "o-1");
  EXPECT_EQ(j.verdict.status, JourneyStatus::kCompleted);
  EXPECT_EQ(j.state.steps.size(), 5u);
  EXPECT_EQ(j.state.trace_ids.size(), 2u);
  EXPECT_EQ(j.state.steps.at("consumed").trace_id, Bytes(TraceHex(2)));
  SV_ASSERT_OK(tap->Flush());
  EXPECT_EQ(Get(*tap, "o-1").state, j.state);  // the store says what memory said
  EXPECT_THAT(registry_.Render(),
              HasSubstr("spanvault_journeys_completed_total{flow=\"order\"} 1"));
  EXPECT_THAT(registry_.Render(), HasSubstr("spanvault_journeys_started_total{flow=\"order\"} 1"));
  EXPECT_THAT(
      registry_.Render(),
      HasSubstr("spanvault_journeys_step_gap_seconds_count{flow=\"order\",from=\"published\","
                "to=\"consumed\"} 1"));
}

TEST_F(JourneyTapTest, EverySpanOfATraceCountsWhicheverSpanCarriesTheKey) {
  auto tap = NewTap();
  // Only the root carries order_id; the crm spans of the same trace count too, also when
  // they arrive first (they wait for the key).
  Send(*tap, {Created(1, ""), Published(1, "")});
  Send(*tap, {Placed(1, "o-2")});
  Journey j = Get(*tap, "o-2");
  EXPECT_EQ(j.state.steps.size(), 3u);
  EXPECT_EQ(j.verdict.status, JourneyStatus::kInProgress);
  EXPECT_EQ(j.verdict.step, "consumed");
}

TEST_F(JourneyTapTest, JoinsAConsumerTraceWithoutKeyThroughASpanLink) {
  auto tap = NewTap();
  Send(*tap, {Placed(1, "o-3"), Created(1, "o-3"), Published(1, "o-3")});
  Step consumed = Consumed(2, "");
  consumed.link_trace = 1;
  Send(*tap, {consumed, Confirmed(2, "")});
  Journey j = Get(*tap, "o-3");
  EXPECT_EQ(j.verdict.status, JourneyStatus::kCompleted);
  EXPECT_TRUE(j.state.trace_ids.contains(Bytes(TraceHex(2))));
}

TEST_F(JourneyTapTest, JoinsALinkedTraceThatArrivesBeforeThePublisher) {
  auto tap = NewTap();
  Step consumed = Consumed(2, "");
  consumed.link_trace = 1;
  Send(*tap, {consumed, Confirmed(2, "")});
  Send(*tap, {Placed(1, "o-4"), Created(1, "o-4"), Published(1, "o-4")});
  EXPECT_EQ(Get(*tap, "o-4").verdict.status, JourneyStatus::kCompleted);
}

TEST_F(JourneyTapTest, OrderDuplicatesAndLateSpansGiveTheSameJourney) {
  std::vector<Step> all = {Placed(1, "o-5"), Created(1, "o-5"), Published(1, "o-5"),
                           Consumed(2, "o-5"), Confirmed(2, "o-5")};
  auto tap = NewTap();
  for (const Step& s : all) Send(*tap, {s});
  JourneyState in_order = Get(*tap, "o-5").state;

  MemoryKvStore other_kv;
  JourneyTap shuffled(JourneyTapOptions{}, OrderFlows(), next_, other_kv, clock_, registry_);
  SV_ASSERT_OK(shuffled.Start());
  std::vector<Step> reversed(all.rbegin(), all.rend());
  Send(shuffled, {reversed[0], reversed[1]});
  SV_ASSERT_OK(shuffled.Flush());
  Send(shuffled, {reversed[1], reversed[2], reversed[0]});  // duplicates, across a flush
  clock_.Advance(absl::Hours(2));                           // late
  SV_ASSERT_OK(shuffled.Flush());
  Send(shuffled, {reversed[3], reversed[4], reversed[3]});
  JourneyState out_of_order = Get(shuffled, "o-5").state;
  out_of_order.updated = in_order.updated;  // arrival time is the only difference
  EXPECT_EQ(out_of_order, in_order);
  EXPECT_EQ(Get(shuffled, "o-5").verdict.status, JourneyStatus::kCompleted);
}

TEST_F(JourneyTapTest, FailsAtTheStepWhoseSpanFailed) {
  auto tap = NewTap();
  Step consumed = Consumed(2, "o-6");
  consumed.error = true;
  consumed.message = "processing error: bad sku";
  Send(*tap, {Placed(1, "o-6"), Created(1, "o-6"), Published(1, "o-6"), consumed});
  Journey j = Get(*tap, "o-6");
  EXPECT_EQ(j.verdict.status, JourneyStatus::kFailed);
  EXPECT_EQ(j.verdict.step, "consumed");
  EXPECT_EQ(j.verdict.message, "processing error: bad sku");
  // A later confirm does not hide the failure.
  Send(*tap, {Confirmed(2, "o-6")});
  EXPECT_EQ(Get(*tap, "o-6").verdict.status, JourneyStatus::kFailed);
}

TEST_F(JourneyTapTest, IsStuckWhenTheNextStepMissesItsThreshold) {
  auto tap = NewTap();
  Send(*tap, {Placed(1, "o-7"), Created(1, "o-7"), Published(1, "o-7")});
  clock_.Advance(absl::Minutes(4));  // 4 min after publish: within consumed's 5m
  EXPECT_EQ(Get(*tap, "o-7").verdict.status, JourneyStatus::kInProgress);
  SV_ASSERT_OK(tap->Flush());
  clock_.Advance(absl::Minutes(2));
  Journey j = Get(*tap, "o-7");
  EXPECT_EQ(j.verdict.status, JourneyStatus::kStuck);
  EXPECT_EQ(j.verdict.step, "consumed");
  EXPECT_EQ(j.verdict.after, "published");
  EXPECT_EQ(absl::Trunc(j.verdict.waiting, absl::Seconds(1)), absl::Seconds(362));
  EXPECT_THAT(j.verdict.message, HasSubstr("lost or waiting in the queue"));
  EXPECT_THAT(Keys(*tap, JourneyStatus::kStuck), ElementsAre("o-7"));
  EXPECT_TRUE(Keys(*tap, JourneyStatus::kInProgress).empty());
  SV_ASSERT_OK(tap->CountStuck());
  EXPECT_THAT(registry_.Render(), HasSubstr("spanvault_journeys_stuck_now 1"));
  // The late consume and confirm un-stick it.
  Send(*tap, {Consumed(2, "o-7", 400), Confirmed(2, "o-7", 401)});
  EXPECT_EQ(Get(*tap, "o-7").verdict.status, JourneyStatus::kCompleted);
  EXPECT_TRUE(Keys(*tap, JourneyStatus::kStuck).empty());
}

TEST_F(JourneyTapTest, TheStuckShareCountsTheJourneysUpdatedWithinTheWindow) {
  auto tap = NewTap();
  Send(*tap, {Placed(1, "o-old"), Created(1, "o-old"), Published(1, "o-old"), Consumed(1, "o-old"),
              Confirmed(1, "o-old")});
  clock_.Advance(absl::Hours(2));  // o-old is outside the 1 h window now
  Send(*tap, {Placed(2, "o-stuck"), Created(2, "o-stuck"), Published(2, "o-stuck")});
  Send(*tap, {Placed(3, "o-done"), Created(3, "o-done"), Published(3, "o-done"),
              Consumed(3, "o-done"), Confirmed(3, "o-done")});
  Step failed = Consumed(4, "o-failed");
  failed.error = true;
  Send(*tap, {Placed(4, "o-failed"), Created(4, "o-failed"), Published(4, "o-failed"), failed});
  Send(*tap, {Placed(5, "o-open", 7200)});  // created is due 30 s after it: in progress
  SV_ASSERT_OK(tap->Flush());
  SV_ASSERT_OK(tap->CountStuck());
  std::string metrics = registry_.Render();
  EXPECT_THAT(metrics, HasSubstr("spanvault_journeys_stuck_now 1\n"));
  EXPECT_THAT(metrics, HasSubstr("spanvault_journeys_stuck_share{flow=\"order\"} 0.25\n"));
}

TEST_F(JourneyTapTest, AKeyThatReachesNoStepIsNoJourney) {
  auto tap = NewTap();
  Step other{9, 1, "seller-sim", "GET /seller/orders/{id}", 2, 0, "EXT-1"};
  Send(*tap, {other});
  EXPECT_THAT(tap->GetJourney("order", "EXT-1").status(), StatusIs(absl::StatusCode::kNotFound));
  SV_ASSERT_OK(tap->Flush());
  EXPECT_THAT(tap->GetJourney("order", "EXT-1").status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(Keys(*tap, std::nullopt).empty());
  EXPECT_THAT(registry_.Render(), HasSubstr("spanvault_journeys_started_total{flow=\"order\"} 0"));
  // Once a step is reached it is one.
  Send(*tap, {Placed(10, "EXT-1")});
  EXPECT_EQ(Get(*tap, "EXT-1").verdict.step, "created");
  EXPECT_THAT(Keys(*tap, std::nullopt), ElementsAre("EXT-1"));
}

TEST_F(JourneyTapTest, ListsByStatusNewestFirstWithALimit) {
  auto tap = NewTap();
  Send(*tap,
       {Placed(1, "a"), Created(1, "a"), Published(1, "a"), Consumed(1, "a"), Confirmed(1, "a")});
  clock_.Advance(absl::Seconds(1));
  Step failed = Created(2, "b");
  failed.error = true;
  Send(*tap, {Placed(2, "b"), failed});
  SV_ASSERT_OK(tap->Flush());
  clock_.Advance(absl::Seconds(1));
  Send(*tap, {Placed(3, "c")});
  EXPECT_THAT(Keys(*tap, std::nullopt), ElementsAre("c", "b", "a"));
  EXPECT_THAT(Keys(*tap, JourneyStatus::kCompleted), ElementsAre("a"));
  EXPECT_THAT(Keys(*tap, JourneyStatus::kFailed), ElementsAre("b"));
  EXPECT_THAT(Keys(*tap, JourneyStatus::kInProgress), ElementsAre("c"));
  JourneyFilter filter;
  filter.limit = 2;
  auto two = tap->ListJourneys("order", filter);
  SV_ASSERT_OK(two.status());
  EXPECT_EQ(two->size(), 2u);
  filter.since = clock_.Now() - absl::Milliseconds(500);
  auto recent = tap->ListJourneys("order", filter);
  SV_ASSERT_OK(recent.status());
  ASSERT_EQ(recent->size(), 1u);
  EXPECT_EQ((*recent)[0].key, "c");
  EXPECT_EQ(tap->GetJourney("order", "nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(JourneyTapTest, ARestartKeepsJourneysAndJoinsLaterSpansOfKnownTraces) {
  {
    auto tap = NewTap();
    Send(*tap, {Placed(1, "o-8"), Created(1, "o-8"), Published(1, "o-8")});
    SV_ASSERT_OK(tap->Shutdown());
  }
  auto tap = NewTap();
  EXPECT_EQ(Get(*tap, "o-8").state.steps.size(), 3u);
  Step consumed = Consumed(2, "");
  consumed.link_trace = 1;  // known only from the stored journey
  Send(*tap, {consumed});
  EXPECT_EQ(Get(*tap, "o-8").state.steps.size(), 4u);
}

TEST_F(JourneyTapTest, RetentionDeletesJourneysNotUpdatedForLong) {
  JourneyTapOptions options;
  options.retention = absl::Hours(24);
  auto tap = NewTap(options);
  Send(*tap, {Placed(1, "old")});
  SV_ASSERT_OK(tap->Flush());
  clock_.Advance(absl::Hours(25));
  Send(*tap, {Placed(2, "new")});
  SV_ASSERT_OK(tap->Flush());  // the first flush after an hour applies the retention
  EXPECT_EQ(tap->GetJourney("order", "old").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Keys(*tap, std::nullopt), ElementsAre("new"));
  auto all = kv_.Scan("");
  SV_ASSERT_OK(all.status());
  EXPECT_EQ(all->size(), 3u);  // the new journey and its two index entries, nothing else
}

TEST_F(JourneyTapTest, RefusedBatchesCountNothing) {
  auto tap = NewTap();
  next_.AnswerWith(absl::ResourceExhaustedError("full"));
  EXPECT_FALSE(ConsumeAndWait(*tap, BatchOf({Placed(1, "o-9")})).ok());
  EXPECT_EQ(tap->GetJourney("order", "o-9").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace spanvault::journeys
