// Dependencies and SPM through QueryService (scope, traces:read, audit) and through the Jaeger
// HTTP routes (parameters, response shapes), over a real tap and the memory store.

#include "auth/audit_log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "query/query_service.h"
#include "query/spm_http.h"
#include "query/spm_params.h"
#include "spanmetrics/span_metrics_tap.h"
#include "storage/trace_store.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/recording_sink.h"
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
using ::testing::HasSubstr;
using json = nlohmann::json;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'040);

Principal Caller(const std::string& role_name) {
  Principal p;
  p.subject = role_name + "-user";
  p.roles = {role_name};
  std::vector<Role> roles;
  for (const Role& role : BuiltinRoles()) {
    if (role.name == role_name) roles.push_back(role);
  }
  p.access = AccessPolicy::FromRoles(std::move(roles));
  return p;
}

TestSpan At(uint64_t trace, uint64_t span, uint64_t parent, std::string service, int kind,
            int millis, bool error = false) {
  return TestSpan{.service = std::move(service),
                  .trace_id = TraceHex(trace),
                  .span_id = SpanHex(span),
                  .parent_span_id = parent ? SpanHex(parent) : "",
                  .name = "op",
                  .kind = kind,
                  .start_unix_nano = static_cast<uint64_t>(absl::ToUnixNanos(kNow)),
                  .duration_nanos = static_cast<uint64_t>(millis) * 1'000'000,
                  .error = error};
}

class SpanMetricsQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SV_ASSERT_OK(audit_.Load());
    // shop-api -> crm-api -> internal-ledger (outside support's scope) and crm-api -> mes-api.
    SV_ASSERT_OK(ConsumeAndWait(
        tap_, MakeBatch({At(1, 1, 0, "shop-api", 2, 40), At(1, 2, 1, "crm-api", 2, 20, true),
                         At(1, 3, 2, "internal-ledger", 2, 5), At(1, 4, 2, "mes-api", 5, 10)})));
  }
  QueryParams Params(std::vector<std::pair<std::string, std::string>> p) { return p; }

  testing::FakeClock clock_{kNow};
  testing::RecordingSink next_;
  MemoryKvStore metrics_kv_;
  MetricsRegistry registry_;
  spanmetrics::SpanMetricsTap tap_{{}, next_, metrics_kv_, clock_, registry_};
  std::unique_ptr<TraceStore> store_ = NewMemoryTraceStore(TraceStoreOptions{});
  MemoryKvStore audit_kv_;
  AuditLog audit_{audit_kv_, clock_};
  QueryService queries_{QueryServiceOptions{}, *store_, &audit_, &tap_};
};

TEST_F(SpanMetricsQueryTest, DependenciesLeaveOutLinksToHiddenServices) {
  auto all = queries_.GetDependencies(Caller("admin"), kNow + absl::Minutes(1), absl::Hours(1), "");
  SV_ASSERT_OK(all.status());
  EXPECT_THAT(*all,
              ::testing::ElementsAre(spanmetrics::DependencyLink{"crm-api", "internal-ledger", 1},
                                     spanmetrics::DependencyLink{"crm-api", "mes-api", 1},
                                     spanmetrics::DependencyLink{"shop-api", "crm-api", 1}));
  auto support =
      queries_.GetDependencies(Caller("support"), kNow + absl::Minutes(1), absl::Hours(1), "");
  SV_ASSERT_OK(support.status());
  EXPECT_THAT(*support,
              ::testing::ElementsAre(spanmetrics::DependencyLink{"crm-api", "mes-api", 1},
                                     spanmetrics::DependencyLink{"shop-api", "crm-api", 1}));
  auto filtered =
      queries_.GetDependencies(Caller("admin"), kNow + absl::Minutes(1), absl::Hours(1), "mes-api");
  SV_ASSERT_OK(filtered.status());
  EXPECT_EQ(filtered->size(), 1u);
  EXPECT_THAT(queries_.GetDependencies(Principal{}, kNow, absl::Hours(1), "").status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  auto records = audit_.List(AuditFilter{});
  SV_ASSERT_OK(records.status());
  ASSERT_EQ(records->size(), 4u);
  EXPECT_EQ(records->at(1).principal, "support-user");
  EXPECT_EQ(records->at(1).result_count, 2);
  EXPECT_THAT(records->at(1).api, HasSubstr("GetDependencies"));
  EXPECT_FALSE(records->at(3).allowed);
}

TEST_F(SpanMetricsQueryTest, MetricsOnlyForServicesInScope) {
  spanmetrics::MetricsQuery q;
  q.services = {"crm-api", "internal-ledger"};
  q.end = kNow + absl::Minutes(1);
  q.step = absl::Minutes(1);
  auto admin = queries_.GetMetrics(Caller("admin"), spanmetrics::MetricKind::kErrors, q);
  SV_ASSERT_OK(admin.status());
  ASSERT_EQ(admin->size(), 2u);
  EXPECT_EQ(admin->at(0).service, "crm-api");
  EXPECT_DOUBLE_EQ(admin->at(0).points.back().value, 1.0);
  auto support = queries_.GetMetrics(Caller("support"), spanmetrics::MetricKind::kErrors, q);
  SV_ASSERT_OK(support.status());
  ASSERT_EQ(support->size(), 1u);
  EXPECT_EQ(support->at(0).service, "crm-api");
  q.services = {"mes-api"};  // a consumer: not in the default span kind (server)
  auto consumer = queries_.GetMetrics(Caller("admin"), spanmetrics::MetricKind::kCalls, q);
  SV_ASSERT_OK(consumer.status());
  EXPECT_TRUE(consumer->empty());
}

TEST_F(SpanMetricsQueryTest, HttpShapes) {
  std::string end = std::to_string(absl::ToUnixMillis(kNow + absl::Minutes(1)));
  HttpResponse deps = DependenciesResponse(
      queries_, Caller("support"), Params({{"endTs", end}, {"lookback", "3600000"}}), false);
  ASSERT_EQ(deps.status, 200);
  EXPECT_EQ(json::parse(deps.body),
            json::parse(R"({"data":[{"parent":"crm-api","child":"mes-api","callCount":1},
                                    {"parent":"shop-api","child":"crm-api","callCount":1}],
                            "total":0,"limit":0,"offset":0,"errors":null})"));
  HttpResponse lat = MetricsResponse(queries_, Caller("admin"), "latencies",
                                     Params({{"service", "shop-api"},
                                             {"quantile", "0.95"},
                                             {"endTs", end},
                                             {"lookback", "60000"},
                                             {"step", "60000"}}),
                                     false);
  ASSERT_EQ(lat.status, 200) << lat.body;
  json family = json::parse(lat.body);
  EXPECT_EQ(family["name"], "service_latencies");
  EXPECT_EQ(family["type"], "GAUGE");
  EXPECT_EQ(family["help"], "0.95th quantile latency, grouped by service");
  ASSERT_EQ(family["metrics"].size(), 1u);
  EXPECT_EQ(family["metrics"][0]["labels"],
            json::parse(R"([{"name":"service_name","value":"shop-api"}])"));
  json point = family["metrics"][0]["metricPoints"].back();
  EXPECT_NEAR(point["gaugeValue"]["doubleValue"].get<double>(), 40, 0.4);
  EXPECT_EQ(point["timestamp"], "2023-11-14T22:15:00Z");
  HttpResponse calls = MetricsResponse(
      queries_, Caller("admin"), "calls",
      Params({{"service", "crm-api"}, {"groupByOperation", "true"}, {"endTs", end}}), false);
  json grouped = json::parse(calls.body);
  EXPECT_EQ(grouped["name"], "service_operation_call_rate");
  EXPECT_EQ(grouped["metrics"][0]["labels"][1],
            json::parse(R"({"name":"operation","value":"op"})"));
  HttpResponse minstep = MetricsResponse(queries_, Caller("admin"), "minstep", {}, false);
  EXPECT_EQ(json::parse(minstep.body)["data"], 60000);
}

TEST_F(SpanMetricsQueryTest, HttpErrorsNameTheParameter) {
  auto message = [&](std::string_view which, QueryParams params) {
    HttpResponse r = MetricsResponse(queries_, Caller("admin"), which, params, false);
    EXPECT_EQ(r.status, 400) << r.body;
    return json::parse(r.body)["errors"][0]["msg"].get<std::string>();
  };
  EXPECT_EQ(message("calls", {}), "please provide at least one service name");
  EXPECT_THAT(message("latencies", {{"service", "a"}}), HasSubstr("quantile"));
  EXPECT_THAT(message("latencies", {{"service", "a"}, {"quantile", "1.5"}}),
              HasSubstr("'quantile'"));
  EXPECT_THAT(message("calls", {{"service", "a"}, {"spanKind", "sever"}}), HasSubstr("'spanKind'"));
  EXPECT_THAT(message("calls", {{"service", "a"}, {"step", "x"}}), HasSubstr("'step'"));
  EXPECT_THAT(message("calls", {{"service", "a"}, {"ratePer", "0"}}), HasSubstr("'ratePer'"));
  EXPECT_THAT(message("calls", {{"service", "a"}, {"endTs", "-5"}}), HasSubstr("'endTs'"));
  EXPECT_THAT(message("errors", {{"service", "a"}, {"lookback", "1y"}}), HasSubstr("'lookback'"));
  EXPECT_THAT(message("errors", {{"service", "a"}, {"groupByOperation", "maybe"}}),
              HasSubstr("'groupByOperation'"));
  EXPECT_THAT(message("errors", {{"service", "a"}, {"lookback", "100000000"}, {"step", "1"}}),
              HasSubstr("'step'"));
  EXPECT_THAT(message("calls", {{"service", "a"}, {"servise", "b"}}), HasSubstr("'servise'"));
  HttpResponse deps = DependenciesResponse(queries_, Caller("admin"), {{"lookback", "x"}}, false);
  EXPECT_EQ(deps.status, 400);
  EXPECT_THAT(deps.body, HasSubstr("'lookback'"));
}

TEST(SpmParams, DefaultsAndRepeatedValues) {
  absl::Time now = absl::FromUnixMillis(1'700'000'000'123);
  auto q = ParseMetricsQuery({{"service", "a"},
                              {"service", "b"},
                              {"spanKind", "client"},
                              {"spanKind", "server"},
                              {"quantile", "0.99"}},
                             /*latencies=*/true, now);
  SV_ASSERT_OK(q.status());
  EXPECT_EQ(q->services, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(q->span_kinds, (std::set<std::string>{"client", "server"}));
  EXPECT_EQ(q->end, now);
  EXPECT_EQ(q->lookback, absl::Hours(1));
  EXPECT_EQ(q->step, absl::Seconds(5));
  EXPECT_EQ(q->rate_per, absl::Minutes(10));
  EXPECT_DOUBLE_EQ(q->quantile, 0.99);
  EXPECT_FALSE(q->group_by_operation);
  auto d = ParseMetricsQuery({{"service", "a"}}, false, now);
  SV_ASSERT_OK(d.status());
  EXPECT_EQ(d->span_kinds, (std::set<std::string>{"server"}));
  auto deps = ParseDependencies({}, now);
  SV_ASSERT_OK(deps.status());
  EXPECT_EQ(deps->end, now);
  EXPECT_EQ(deps->lookback, absl::Hours(24));
}

}  // namespace
}  // namespace spanvault
