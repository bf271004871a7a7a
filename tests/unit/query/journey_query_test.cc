// Order journeys through QueryService (flow and key checks, service scope, key redaction, the
// kept check against the store) and the /api/orders routes (shapes, 400s, 404).

#include "auth/audit_log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "journeys/flow_config.h"
#include "journeys/journey_tap.h"
#include "nlohmann/json.hpp"
#include "query/orders_http.h"
#include "query/query_service.h"
#include "storage/trace_store.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/racing_reader.h"
#include "tests/testing/span_builder.h"
#include "tests/testing/status_matchers.h"

namespace spanvault {
namespace {

using ::spanvault::testing::ConsumeAndWait;
using ::spanvault::testing::MakeBatch;
using ::spanvault::testing::SpanHex;
using ::spanvault::testing::StatusIs;
using ::spanvault::testing::TestSpan;
using ::spanvault::testing::TraceHex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'040);

constexpr char kFlows[] = R"(
- name: order
  key: order_id
  steps:
    - {name: placed,    service: shop-api, operation: "POST /orders"}
    - {name: published, service: crm-api,  kind: producer, destination: orders, within: 30s}
    - {name: consumed,  service: mes-api,  kind: consumer, destination: orders, within: 5m}
  final: consumed
)";

Principal WithRole(std::vector<std::string> services, std::vector<AttributeRule> rules = {}) {
  Principal p;
  p.subject = "someone";
  p.roles = {"custom"};
  p.access = AccessPolicy::FromRoles(
      {Role{"custom", "", {Action::kTracesRead}, std::move(services), std::move(rules)}});
  return p;
}

TestSpan Span(uint64_t trace, uint64_t span, std::string service, std::string name, int kind,
              int millis) {
  TestSpan s{.service = std::move(service),
             .trace_id = TraceHex(trace),
             .span_id = SpanHex(span),
             .name = std::move(name),
             .kind = kind,
             .start_unix_nano = static_cast<uint64_t>(absl::ToUnixNanos(kNow)) +
                                static_cast<uint64_t>(millis) * 1'000'000,
             .duration_nanos = 1'000'000};
  s.attributes = {{"order_id", "o-1"}, {"messaging.destination.name", "orders"}};
  return s;
}

class JourneyQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SV_ASSERT_OK(audit_.Load());
    SV_ASSERT_OK(tap_.Start());
    SV_ASSERT_OK(ConsumeAndWait(tap_, MakeBatch({Span(1, 1, "shop-api", "POST /orders", 2, 0),
                                                 Span(1, 2, "crm-api", "orders publish", 4, 10)})));
    SV_ASSERT_OK(
        ConsumeAndWait(tap_, MakeBatch({Span(2, 3, "mes-api", "orders process", 5, 250)})));
  }
  static std::vector<journeys::Flow> Flows() {
    auto flows = journeys::ParseFlows(YAML::Load(kFlows));
    return flows.ok() ? *flows : std::vector<journeys::Flow>{};
  }
  json Body(const HttpResponse& r) { return json::parse(r.body); }

  testing::FakeClock clock_{kNow + absl::Seconds(1)};
  std::unique_ptr<TraceStore> store_ = NewMemoryTraceStore(TraceStoreOptions{});
  MemoryKvStore journeys_kv_;
  MetricsRegistry registry_;
  journeys::JourneyTap tap_{{}, Flows(), *store_, journeys_kv_, clock_, registry_};
  MemoryKvStore audit_kv_;
  AuditLog audit_{audit_kv_, clock_};
  QueryService queries_{QueryServiceOptions{}, *store_, &audit_, nullptr, nullptr, &tap_};
};

TEST_F(JourneyQueryTest, AnUnrestrictedCallerSeesTheWholeJourneyAndWhichTracesWereKept) {
  auto view = queries_.GetJourney(Principal::Anonymous("127.0.0.1"), "order", "o-1");
  SV_ASSERT_OK(view.status());
  EXPECT_EQ(view->journey.verdict.status, journeys::JourneyStatus::kCompleted);
  EXPECT_EQ(view->journey.state.steps.size(), 3u);
  ASSERT_EQ(view->traces.size(), 2u);
  EXPECT_TRUE(view->traces[0].kept);
  EXPECT_TRUE(view->traces[1].kept);
  EXPECT_TRUE(view->hidden_steps.empty());
}

TEST_F(JourneyQueryTest, ATraceKeptBetweenTheKeptAndPendingReadsCountsAsKept) {
  // The first summary read misses both traces, which are no longer pending when asked next.
  testing::RacingReader reader(*store_, {false, false}, /*summaries_hidden=*/1);
  QueryService queries{QueryServiceOptions{}, reader, &audit_, nullptr, nullptr, &tap_};
  auto view = queries.GetJourney(Principal::Anonymous("127.0.0.1"), "order", "o-1");
  SV_ASSERT_OK(view.status());
  ASSERT_EQ(view->traces.size(), 2u);
  EXPECT_TRUE(view->traces[0].kept);
  EXPECT_TRUE(view->traces[1].kept);
}

TEST_F(JourneyQueryTest, StepsOutsideTheScopeAreHiddenButTheVerdictStays) {
  auto view = queries_.GetJourney(WithRole({"shop-*", "crm-*"}), "order", "o-1");
  SV_ASSERT_OK(view.status());
  EXPECT_THAT(view->hidden_steps, ElementsAre("consumed"));
  EXPECT_EQ(view->journey.state.steps.size(), 2u);
  ASSERT_EQ(view->traces.size(), 1u);  // trace 2 only had the hidden step
  EXPECT_EQ(view->traces[0].trace_id.ToHex(), TraceHex(1));
  EXPECT_EQ(view->journey.verdict.status, journeys::JourneyStatus::kCompleted);
}

TEST_F(JourneyQueryTest, NoReadableStepOrARedactedKeyLooksLikeAnUnknownKey) {
  EXPECT_THAT(queries_.GetJourney(WithRole({"billing-*"}), "order", "o-1").status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(
      queries_.GetJourney(WithRole({"*"}, {{"order_id", AttributeAccess::kRedact}}), "order", "o-1")
          .status(),
      StatusIs(absl::StatusCode::kNotFound));
  auto list = queries_.ListJourneys(WithRole({"billing-*"}), "order", {});
  SV_ASSERT_OK(list.status());
  EXPECT_TRUE(list->empty());
}

TEST_F(JourneyQueryTest, RefusesUnknownFlowsAndMalformedKeys) {
  Principal admin = Principal::Anonymous("127.0.0.1");
  EXPECT_THAT(queries_.GetJourney(admin, "invoice", "o-1").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(queries_.GetJourney(admin, "order", "").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(queries_.GetJourney(admin, "order", "a\nb").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(queries_.GetJourney(admin, "order", "o-404").status(),
              StatusIs(absl::StatusCode::kNotFound));
  QueryService without{QueryServiceOptions{}, *store_};
  EXPECT_THAT(without.GetJourney(admin, "order", "o-1").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(JourneyQueryTest, OrderRouteAnswersStepsGapsLinksAndVerdict) {
  Principal admin = Principal::Anonymous("127.0.0.1");
  HttpResponse r = OrderResponse(queries_, admin, "o-1", {{"flow", "order"}}, false);
  ASSERT_EQ(r.status, 200) << r.body;
  json data = Body(r)["data"];
  EXPECT_EQ(data["verdict"]["status"], "completed");
  ASSERT_EQ(data["steps"].size(), 3u);
  EXPECT_EQ(data["steps"][0]["service"], "shop-api");
  EXPECT_TRUE(data["steps"][0]["gapMs"].is_null());
  EXPECT_DOUBLE_EQ(data["steps"][2]["gapMs"].get<double>(), 240.0);  // the queue wait
  EXPECT_EQ(data["steps"][2]["traceUrl"], "/trace/" + TraceHex(2));
  EXPECT_EQ(data["traces"].size(), 2u);
  EXPECT_EQ(OrderResponse(queries_, admin, "o-404", {{"flow", "order"}}, false).status, 404);
  EXPECT_EQ(OrderResponse(queries_, admin, "o-1", {{"flow", "nope"}}, false).status, 400);
  EXPECT_EQ(OrderResponse(queries_, admin, "o-1", {}, false).status, 400);
}

TEST_F(JourneyQueryTest, ListRouteFiltersAndRefusesBadParameters) {
  Principal admin = Principal::Anonymous("127.0.0.1");
  // (No `since` here: the route measures it from the real clock, the tap runs on a fake one.)
  HttpResponse r =
      OrdersListResponse(queries_, admin, {{"flow", "order"}, {"status", "completed"}}, false);
  ASSERT_EQ(r.status, 200) << r.body;
  json body = Body(r);
  ASSERT_EQ(body["data"].size(), 1u);
  EXPECT_EQ(body["data"][0]["key"], "o-1");
  EXPECT_EQ(body["data"][0]["lastStep"], "consumed");
  auto status_of = [&](QueryParams p) { return OrdersListResponse(queries_, admin, p, false); };
  EXPECT_EQ(Body(status_of({{"flow", "order"}, {"status", "failed"}}))["data"].size(), 0u);
  EXPECT_THAT(status_of({{"flow", "order"}, {"status", "lost"}}).body, HasSubstr("'status'"));
  EXPECT_EQ(status_of({{"flow", "order"}, {"since", "9d"}}).status, 400);
  HttpResponse far = status_of({{"flow", "order"}, {"since", "200h"}});
  EXPECT_EQ(far.status, 400);
  EXPECT_THAT(far.body, HasSubstr("out of range"));
  EXPECT_EQ(status_of({{"flow", "order"}, {"limit", "0"}}).status, 400);
  EXPECT_EQ(status_of({{"flow", "order"}, {"limit", "x"}}).status, 400);
  EXPECT_EQ(status_of({{"flow", "order"}, {"colour", "red"}}).status, 400);
  EXPECT_EQ(status_of({{"flow", "invoice"}}).status, 400);
}

TEST_F(JourneyQueryTest, FlowsRouteListsTheConfiguredFlowsToReaders) {
  HttpResponse r = FlowsResponse(queries_, Principal::Anonymous("127.0.0.1"), {}, false);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["data"], json::array({"order"}));
  EXPECT_EQ(Body(r)["total"], 1);
  Principal no_read;
  no_read.subject = "writer";
  no_read.access = AccessPolicy::FromRoles({Role{"w", "", {}, {"*"}, {}}});
  EXPECT_EQ(FlowsResponse(queries_, no_read, {}, false).status, 403);
  EXPECT_EQ(FlowsResponse(queries_, Principal::Anonymous("x"), {{"flow", "order"}}, false).status,
            400);
  QueryService without{QueryServiceOptions{}, *store_};
  HttpResponse none = FlowsResponse(without, Principal::Anonymous("x"), {}, false);
  ASSERT_EQ(none.status, 200);
  EXPECT_EQ(Body(none)["data"], json::array());
}

}  // namespace
}  // namespace spanvault
