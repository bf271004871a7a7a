// QueryService under every kind of caller: the built-in roles, a custom role with hide rules
// and a role without traces:read, against every method, over the memory store.

#include "query/query_service.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/trace_store.h"
#include "tests/testing/span_builder.h"
#include "tests/testing/status_matchers.h"

namespace spanvault {
namespace {

using ::spanvault::testing::ConsumeAndWait;
using ::spanvault::testing::IsOkAndHolds;
using ::spanvault::testing::MakeRequest;
using ::spanvault::testing::SpanHex;
using ::spanvault::testing::StatusIs;
using ::spanvault::testing::TestSpan;
using ::spanvault::testing::TraceHex;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

constexpr uint64_t kT0 = 1'700'000'000'000'000'000;
constexpr uint64_t kSec = 1'000'000'000;

Role Builtin(const std::string& name) {
  for (Role& role : BuiltinRoles()) {
    if (role.name == name) return role;
  }
  return {};
}

// Shop and billing only; personal data and client addresses removed, card numbers redacted.
Role Auditor() {
  return Role{"auditor",
              "",
              {Action::kTracesRead},
              {"shop-*", "billing-*"},
              {{"user_id", AttributeAccess::kHide},
               {"client.*", AttributeAccess::kHide},
               {"card", AttributeAccess::kRedact}}};
}

Role IngestOnly() { return Role{"ingest-only", "", {Action::kIngest}, {"*"}, {}}; }

Principal Caller(std::vector<Role> roles) {
  Principal p;
  p.subject = "someone";
  for (const Role& r : roles) p.roles.push_back(r.name);
  p.access = AccessPolicy::FromRoles(std::move(roles));
  return p;
}

// Trace 1: shop-api (personal data, an event and a link) -> crm-api -> billing-api (error).
// Trace 2: billing-api only. Trace 3: mes-api only. Trace 4: billing-api root -> shop-api.
// Trace 5: billing-api, pending. Newest first: 4, 3, 2, 1.
std::vector<TestSpan> Spans() {
  return {
      {.service = "shop-api",
       .trace_id = TraceHex(1),
       .span_id = SpanHex(1),
       .name = "POST /orders",
       .start_unix_nano = kT0,
       .attributes = {{"order_id", "A-1"}, {"user_id", "u-1"}},
       .resource_attributes = {{"client.address", "10.0.0.1"}, {"zone", "eu"}}},
      {.service = "crm-api",
       .trace_id = TraceHex(1),
       .span_id = SpanHex(2),
       .parent_span_id = SpanHex(1),
       .name = "orders publish",
       .kind = 4,
       .start_unix_nano = kT0 + 1000,
       .attributes = {{"email", "a@b.c"}}},
      {.service = "billing-api",
       .trace_id = TraceHex(1),
       .span_id = SpanHex(3),
       .parent_span_id = SpanHex(2),
       .name = "charge",
       .kind = 3,
       .start_unix_nano = kT0 + 2000,
       .attributes = {{"card", "4111"}},
       .error = true},
      {.service = "billing-api",
       .trace_id = TraceHex(2),
       .span_id = SpanHex(4),
       .name = "charge",
       .start_unix_nano = kT0 + kSec},
      {.service = "mes-api",
       .trace_id = TraceHex(3),
       .span_id = SpanHex(5),
       .name = "orders process",
       .kind = 5,
       .start_unix_nano = kT0 + 2 * kSec,
       .attributes = {{"order_id", "A-1"}}},
      {.service = "billing-api",
       .trace_id = TraceHex(4),
       .span_id = SpanHex(6),
       .name = "nightly batch",
       .start_unix_nano = kT0 + 3 * kSec},
      {.service = "shop-api",
       .trace_id = TraceHex(4),
       .span_id = SpanHex(7),
       .parent_span_id = SpanHex(6),
       .name = "GET /cart",
       .start_unix_nano = kT0 + 3 * kSec + 1},
  };
}

// An event and a link on span 1, each with an order id and a user id.
void AddEventAndLink(ExportRequest& request) {
  otlp::Span* span = request.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0);
  auto* event = span->add_events();
  event->set_name("paid");
  *event->mutable_attributes() = span->attributes();
  auto* link = span->add_links();
  link->set_trace_id(span->trace_id());
  link->set_span_id(span->span_id());
  *link->mutable_attributes() = span->attributes();
}

// "key=value" of every attribute, in order.
std::vector<std::string> Flat(const otlp::Attributes& attributes) {
  std::vector<std::string> out;
  for (const auto& kv : attributes) out.push_back(kv.key() + "=" + AnyValueToString(kv.value()));
  return out;
}

// Span name -> (service, span) of every span of a trace.
std::map<std::string, std::pair<std::string, otlp::Span>> ByName(const otlp::TracesData& trace) {
  std::map<std::string, std::pair<std::string, otlp::Span>> out;
  for (const auto& rs : trace.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans()) {
        std::string name =
            span.name() == "[hidden]" ? "[hidden]" + SpanHex(span.span_id()[7]) : span.name();
        out[name] = {ServiceName(rs.resource()), span};
      }
    }
  }
  return out;
}

class QueryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto request = std::make_unique<ExportRequest>(MakeRequest(Spans()));
    AddEventAndLink(*request);
    SV_ASSERT_OK(ConsumeAndWait(*store_, SpanBatch(std::move(request))));
    absl::Notification done;
    TestSpan pending{.service = "billing-api", .trace_id = TraceHex(5), .span_id = SpanHex(8)};
    store_->ConsumePending(testing::MakeBatch({pending}),
                           {{.trace_id = *TraceId::FromHex(TraceHex(5)), .span_count = 1}},
                           [&](absl::Status, std::vector<DuplicateSpans>) { done.Notify(); });
    done.WaitForNotification();
  }
  static TraceQuery Window() {
    TraceQuery q;
    q.start_time_min_unix_nano = kT0 - 60 * kSec;
    q.start_time_max_unix_nano = kT0 + 60 * kSec;
    return q;
  }
  // The trace numbers FindTraces returns, in order.
  std::vector<int> Found(const Principal& caller, TraceQuery query) {
    auto traces = queries_.FindTraces(caller, std::move(query));
    EXPECT_TRUE(traces.ok()) << traces.status();
    std::vector<int> out;
    for (const auto& t : traces.value_or(std::vector<otlp::TracesData>{})) {
      out.push_back(t.resource_spans(0).scope_spans(0).spans(0).trace_id()[15]);
    }
    return out;
  }
  absl::StatusOr<otlp::TracesData> Get(const Principal& caller, int n) {
    return queries_.GetTrace(caller, *TraceId::FromHex(TraceHex(n)));
  }

  std::unique_ptr<TraceStore> store_ = NewMemoryTraceStore({});
  QueryService queries_{{}, *store_};
};

// --- The matrix: what each role sees of services, operations, traces and summaries ------------

struct RoleCase {
  std::string name;
  std::vector<Role> roles;
  std::vector<std::string> services;
  std::set<int> readable_traces;          // GetTrace finds them
  std::vector<int> found;                 // FindTraces over everything, newest first
  std::vector<std::string> trace1_spans;  // span names of trace 1, placeholders as [hidden]
  int trace1_summary_spans;
  int trace1_summary_errors;
  std::string trace4_root;  // root service of trace 4's summary
  bool sees_pending;        // IsPending(trace 5)
};

std::ostream& operator<<(std::ostream& os, const RoleCase& c) { return os << c.name; }

class RoleMatrixTest : public QueryServiceTest, public ::testing::WithParamInterface<RoleCase> {};

const std::vector<std::string> kAllServices = {"billing-api", "crm-api", "mes-api", "shop-api"};
const std::vector<std::string> kAllTrace1 = {"POST /orders", "orders publish", "charge"};

INSTANTIATE_TEST_SUITE_P(Roles, RoleMatrixTest,
                         ::testing::Values(RoleCase{"support",
                                                    {Builtin("support")},
                                                    {"crm-api", "mes-api", "shop-api"},
                                                    {1, 3, 4},
                                                    {4, 3, 1},
                                                    {"POST /orders", "orders publish", "[hidden]"},
                                                    2,
                                                    0,
                                                    "",
                                                    false},
                                           RoleCase{"devops",
                                                    {Builtin("devops")},
                                                    kAllServices,
                                                    {1, 2, 3, 4},
                                                    {4, 3, 2, 1},
                                                    kAllTrace1,
                                                    3,
                                                    1,
                                                    "billing-api",
                                                    true},
                                           RoleCase{"dev",
                                                    {Builtin("dev")},
                                                    kAllServices,
                                                    {1, 2, 3, 4},
                                                    {4, 3, 2, 1},
                                                    kAllTrace1,
                                                    3,
                                                    1,
                                                    "billing-api",
                                                    true},
                                           RoleCase{"admin",
                                                    {Builtin("admin")},
                                                    kAllServices,
                                                    {1, 2, 3, 4},
                                                    {4, 3, 2, 1},
                                                    kAllTrace1,
                                                    3,
                                                    1,
                                                    "billing-api",
                                                    true},
                                           RoleCase{"auditor",
                                                    {Auditor()},
                                                    {"billing-api", "shop-api"},
                                                    {1, 2, 4},
                                                    {4, 2, 1},
                                                    {"POST /orders", "[hidden]", "charge"},
                                                    2,
                                                    1,
                                                    "billing-api",
                                                    true},
                                           RoleCase{"support_and_auditor",
                                                    {Builtin("support"), Auditor()},
                                                    kAllServices,
                                                    {1, 2, 3, 4},
                                                    {4, 3, 2, 1},
                                                    kAllTrace1,
                                                    3,
                                                    1,
                                                    "billing-api",
                                                    true}),
                         [](const auto& info) { return info.param.name; });

TEST_P(RoleMatrixTest, GetServices) {
  EXPECT_THAT(queries_.GetServices(Caller(GetParam().roles)),
              IsOkAndHolds(ElementsAreArray(GetParam().services)));
}

TEST_P(RoleMatrixTest, GetOperations) {
  Principal caller = Caller(GetParam().roles);
  for (const std::string& service : kAllServices) {
    auto ops = queries_.GetOperations(caller, service, "");
    SV_ASSERT_OK(ops);
    bool visible = std::count(GetParam().services.begin(), GetParam().services.end(), service);
    EXPECT_EQ(ops->empty(), !visible) << service;
    // A hidden service answers exactly like one that does not exist.
    if (!visible) {
      EXPECT_EQ(*ops, *queries_.GetOperations(caller, "no-such-api", ""));
    }
  }
}

TEST_P(RoleMatrixTest, GetTrace) {
  Principal caller = Caller(GetParam().roles);
  for (int n = 1; n <= 4; ++n) {
    auto trace = Get(caller, n);
    if (GetParam().readable_traces.count(n)) {
      SV_EXPECT_OK(trace) << n;
    } else {
      // Exactly the answer for a trace that does not exist.
      EXPECT_THAT(trace, StatusIs(absl::StatusCode::kNotFound, "trace not found")) << n;
      EXPECT_EQ(trace.status(), Get(caller, 99).status());
    }
  }
  auto trace1 = Get(caller, 1);
  SV_ASSERT_OK(trace1);
  std::vector<std::string> names;
  for (const auto& [name, service_span] : ByName(*trace1)) {
    names.push_back(name.starts_with("[hidden]") ? "[hidden]" : name);
  }
  EXPECT_THAT(names, UnorderedElementsAreArray(GetParam().trace1_spans));
}

TEST_P(RoleMatrixTest, FindTraces) {
  Principal caller = Caller(GetParam().roles);
  EXPECT_THAT(Found(caller, Window()), ElementsAreArray(GetParam().found));
  TraceQuery q = Window();
  q.service_name = "billing-api";
  bool billing = GetParam().readable_traces.count(2);
  EXPECT_THAT(Found(caller, q),
              ElementsAreArray(billing ? std::vector<int>{4, 2, 1} : std::vector<int>{}));
}

TEST_P(RoleMatrixTest, FindTraceSummaries) {
  auto summaries = queries_.FindTraceSummaries(Caller(GetParam().roles), Window());
  SV_ASSERT_OK(summaries);
  std::vector<int> found;
  for (const auto& s : *summaries) found.push_back(s.trace_id.bytes()[15]);
  EXPECT_THAT(found, ElementsAreArray(GetParam().found));
  const TraceSummary& trace4 = summaries->front();
  EXPECT_EQ(trace4.root_service_name, GetParam().trace4_root);
  EXPECT_EQ(trace4.root_operation_name, GetParam().trace4_root.empty() ? "" : "nightly batch");
  const TraceSummary& trace1 = summaries->back();
  EXPECT_EQ(trace1.span_count, GetParam().trace1_summary_spans);
  EXPECT_EQ(trace1.error_span_count, GetParam().trace1_summary_errors);
  for (const auto& service : trace1.services) {
    EXPECT_THAT(GetParam().services, ::testing::Contains(service.name));
  }
}

TEST_P(RoleMatrixTest, IsPending) {
  Principal caller = Caller(GetParam().roles);
  EXPECT_THAT(queries_.IsPending(caller, *TraceId::FromHex(TraceHex(5))),
              IsOkAndHolds(GetParam().sees_pending));
  EXPECT_THAT(queries_.IsPending(caller, *TraceId::FromHex(TraceHex(1))), IsOkAndHolds(false));
}

// --- Without traces:read every method is refused ----------------------------------------------

TEST_F(QueryServiceTest, EveryMethodNeedsTracesRead) {
  Principal caller = Caller({IngestOnly()});
  auto denied = StatusIs(absl::StatusCode::kPermissionDenied,
                         "permission denied: role(s) \"ingest-only\" lack traces:read");
  TraceId id = *TraceId::FromHex(TraceHex(1));
  EXPECT_THAT(queries_.GetServices(caller), denied);
  EXPECT_THAT(queries_.GetOperations(caller, "shop-api", ""), denied);
  EXPECT_THAT(queries_.GetTrace(caller, id), denied);
  EXPECT_THAT(queries_.IsPending(caller, id), denied);
  EXPECT_THAT(queries_.FindTraces(caller, Window()), denied);
  EXPECT_THAT(queries_.FindTraceSummaries(caller, Window()), denied);
  EXPECT_THAT(queries_.GetServices(Caller({})),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "permission denied: no role grants traces:read"));
}

// --- Attribute rules -----------------------------------------------------------------------

TEST_F(QueryServiceTest, SupportSeesPersonalDataRedactedAndBillingAsAPlaceholder) {
  auto trace = Get(Caller({Builtin("support")}), 1);
  SV_ASSERT_OK(trace);
  auto spans = ByName(*trace);
  const otlp::Span& shop = spans["POST /orders"].second;
  EXPECT_THAT(Flat(shop.attributes()), ElementsAre("order_id=A-1", "user_id=[redacted]"));
  EXPECT_THAT(Flat(shop.events(0).attributes()), ElementsAre("order_id=A-1", "user_id=[redacted]"));
  EXPECT_THAT(Flat(shop.links(0).attributes()), ElementsAre("order_id=A-1", "user_id=[redacted]"));
  const otlp::Span& crm = spans["orders publish"].second;
  EXPECT_THAT(Flat(crm.attributes()), ElementsAre("email=[redacted]"));
  for (const auto& rs : trace->resource_spans()) {
    if (ServiceName(rs.resource()) != "shop-api") continue;
    EXPECT_THAT(Flat(rs.resource().attributes()),
                ElementsAre("service.name=shop-api", "client.address=[redacted]", "zone=eu"));
  }
  const auto& [service, billing] = spans["[hidden]" + SpanHex(3)];
  EXPECT_EQ(service, "[hidden]");
  EXPECT_EQ(billing.name(), "[hidden]");
  EXPECT_EQ(billing.parent_span_id(), crm.span_id());
  EXPECT_EQ(billing.start_time_unix_nano(), kT0 + 2000);
  EXPECT_EQ(billing.kind(), 3);
  EXPECT_THAT(billing.attributes(), IsEmpty());
  EXPECT_FALSE(billing.has_status());
}

TEST_F(QueryServiceTest, DevopsSeesEveryServiceWithPersonalDataRedacted) {
  auto trace = Get(Caller({Builtin("devops")}), 1);
  SV_ASSERT_OK(trace);
  auto spans = ByName(*trace);
  EXPECT_THAT(Flat(spans["POST /orders"].second.attributes()),
              ElementsAre("order_id=A-1", "user_id=[redacted]"));
  EXPECT_THAT(Flat(spans["charge"].second.attributes()), ElementsAre("card=4111"));
  EXPECT_TRUE(IsError(spans["charge"].second));
}

TEST_F(QueryServiceTest, DevAndAdminSeeTracesUntouched) {
  auto stored = store_->GetTrace(*TraceId::FromHex(TraceHex(1)));
  SV_ASSERT_OK(stored);
  for (const char* role : {"dev", "admin"}) {
    auto trace = Get(Caller({Builtin(role)}), 1);
    SV_ASSERT_OK(trace);
    EXPECT_EQ(trace->SerializeAsString(), stored->SerializeAsString()) << role;
  }
  auto anonymous = Get(Principal::Anonymous("127.0.0.1"), 1);
  SV_ASSERT_OK(anonymous);
  EXPECT_EQ(anonymous->SerializeAsString(), stored->SerializeAsString());
}

TEST_F(QueryServiceTest, CustomRoleHidesAndRedacts) {
  auto trace = Get(Caller({Auditor()}), 1);
  SV_ASSERT_OK(trace);
  auto spans = ByName(*trace);
  const otlp::Span& shop = spans["POST /orders"].second;
  EXPECT_THAT(Flat(shop.attributes()), ElementsAre("order_id=A-1"));
  EXPECT_THAT(Flat(shop.events(0).attributes()), ElementsAre("order_id=A-1"));
  EXPECT_THAT(Flat(shop.links(0).attributes()), ElementsAre("order_id=A-1"));
  EXPECT_THAT(Flat(spans["charge"].second.attributes()), ElementsAre("card=[redacted]"));
  EXPECT_EQ(spans["[hidden]" + SpanHex(2)].first, "[hidden]");
  for (const auto& rs : trace->resource_spans()) {
    if (ServiceName(rs.resource()) != "shop-api") continue;
    EXPECT_THAT(Flat(rs.resource().attributes()), ElementsAre("service.name=shop-api", "zone=eu"));
  }
}

// --- Search is scoped before it runs -------------------------------------------------------

TEST_F(QueryServiceTest, SearchCannotProbeRedactedOrHiddenValues) {
  TraceQuery q = Window();
  q.attributes = {{"user_id", "u-1"}};
  EXPECT_THAT(Found(Caller({Builtin("dev")}), q), ElementsAre(1));
  EXPECT_THAT(Found(Caller({Builtin("support")}), q), IsEmpty());
  EXPECT_THAT(Found(Caller({Auditor()}), q), IsEmpty());
  q.attributes = {{"card", "4111"}};
  EXPECT_THAT(Found(Caller({Builtin("devops")}), q), ElementsAre(1));
  EXPECT_THAT(Found(Caller({Auditor()}), q), IsEmpty());
}

TEST_F(QueryServiceTest, HiddenTracesDoNotUseUpTheSearchDepth) {
  std::vector<TestSpan> newer;
  for (int n = 10; n < 40; ++n) {
    newer.push_back({.service = "billing-api",
                     .trace_id = TraceHex(n),
                     .span_id = SpanHex(n),
                     .start_unix_nano = kT0 + 10 * kSec + n});
  }
  SV_ASSERT_OK(ConsumeAndWait(*store_, testing::MakeBatch(newer)));
  TraceQuery q = Window();
  q.search_depth = 2;
  EXPECT_THAT(Found(Caller({Builtin("support")}), q), ElementsAre(4, 3));
  auto summaries = queries_.FindTraceSummaries(Caller({Builtin("support")}), q);
  SV_ASSERT_OK(summaries);
  EXPECT_EQ(summaries->size(), 2u);
}

}  // namespace
}  // namespace spanvault
