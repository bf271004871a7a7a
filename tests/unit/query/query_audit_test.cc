// Every QueryService call leaves an audit record: who, with which roles, from where, through
// which API, with which parameters, how many results, allowed or denied.
#include "auth/audit_log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "query/query_service.h"
#include "storage/trace_store.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/span_builder.h"
#include "tests/testing/status_matchers.h"

namespace spanvault {
namespace {

using ::spanvault::testing::ConsumeAndWait;
using ::spanvault::testing::MakeBatch;
using ::spanvault::testing::SpanHex;
using ::spanvault::testing::StatusIs;
using ::spanvault::testing::TraceHex;

class QueryAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SV_ASSERT_OK(audit_.Load());
    SV_ASSERT_OK(ConsumeAndWait(*store_, MakeBatch({{.service = "shop-api",
                                                     .trace_id = TraceHex(1),
                                                     .span_id = SpanHex(1),
                                                     .name = "POST /orders",
                                                     .attributes = {{"order_id", "A-1"}}}})));
  }
  std::vector<AuditRecord> Records() {
    auto records = audit_.List(AuditFilter{});
    EXPECT_TRUE(records.ok());
    return records.ok() ? *records : std::vector<AuditRecord>{};
  }

  std::unique_ptr<TraceStore> store_ = NewMemoryTraceStore(TraceStoreOptions{});
  MemoryKvStore kv_;
  testing::FakeClock clock_;
  AuditLog audit_{kv_, clock_};
  QueryService queries_{QueryServiceOptions{}, *store_, &audit_, nullptr, store_.get()};
};

Principal WithBuiltinRole(const std::string& name) {
  Principal p;
  p.subject = name + "-user";
  p.roles = {name};
  for (const Role& role : BuiltinRoles()) {
    if (role.name == name) p.access = AccessPolicy::FromRoles({role});
  }
  return p;
}

TEST_F(QueryAuditTest, RecordsWhoAskedWhatAndHowManyAnswers) {
  Principal ann;
  ann.subject = "ann";
  ann.roles = {"dev"};
  ann.remote_address = "10.1.2.3";
  ann.api = "query_http GET /api/traces";
  for (const Role& role : BuiltinRoles()) {
    if (role.name == "dev") ann.access = AccessPolicy::FromRoles({role});
  }
  TraceQuery query;
  query.service_name = "shop-api";
  query.attributes = {{"order_id", "A-1"}};
  SV_ASSERT_OK(queries_.FindTraces(ann, query));
  SV_ASSERT_OK(queries_.GetServices(ann));

  std::vector<AuditRecord> records = Records();
  ASSERT_EQ(records.size(), 2u);
  const AuditRecord& search = records[0];
  EXPECT_EQ(search.principal, "ann");
  EXPECT_EQ(search.roles, std::vector<std::string>{"dev"});
  EXPECT_EQ(search.remote_address, "10.1.2.3");
  EXPECT_EQ(search.api, "query_http GET /api/traces (FindTraces)");
  EXPECT_EQ(search.action, "traces:read");
  EXPECT_TRUE(search.allowed);
  EXPECT_EQ(search.result_count, 1);
  auto params = nlohmann::json::parse(search.params);
  EXPECT_EQ(params["service"], "shop-api");
  EXPECT_EQ(params["attributes"]["order_id"], "A-1");
  EXPECT_EQ(records[1].api, "query_http GET /api/traces (GetServices)");
}

TEST_F(QueryAuditTest, RecordsDenials) {
  Principal nobody;
  nobody.subject = "ingester";
  nobody.roles = {"ingest-only"};
  nobody.access = AccessPolicy::FromRoles({Role{"ingest-only", "", {Action::kIngest}, {"*"}, {}}});
  EXPECT_FALSE(queries_.GetTrace(nobody, *TraceId::FromHex(TraceHex(1))).ok());
  std::vector<AuditRecord> records = Records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_FALSE(records[0].allowed);
  EXPECT_THAT(records[0].detail, ::testing::HasSubstr("lack traces:read"));
  EXPECT_EQ(nlohmann::json::parse(records[0].params)["trace_id"], TraceHex(1));
}

TEST_F(QueryAuditTest, ArchiveNeedsTracesArchiveAndAReadableTraceAndIsAudited) {
  TraceId id = *TraceId::FromHex(TraceHex(1));
  SV_ASSERT_OK(queries_.ArchiveTrace(WithBuiltinRole("dev"), id));
  EXPECT_THAT(queries_.ArchiveTrace(WithBuiltinRole("support"), id),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "permission denied: role(s) \"support\" lack traces:archive"));
  EXPECT_THAT(queries_.ArchiveTrace(WithBuiltinRole("dev"), *TraceId::FromHex(TraceHex(9))),
              StatusIs(absl::StatusCode::kNotFound));
  std::vector<AuditRecord> records = Records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].action, "traces:archive");
  EXPECT_EQ(records[0].api, "ArchiveTrace");
  EXPECT_TRUE(records[0].allowed);
  EXPECT_EQ(records[0].result_count, 1);
  EXPECT_FALSE(records[1].allowed);
  EXPECT_TRUE(records[2].allowed);
  EXPECT_EQ(records[2].detail, "trace not found");
  QueryService no_archive{QueryServiceOptions{}, *store_};
  EXPECT_THAT(no_archive.ArchiveTrace(WithBuiltinRole("dev"), id),
              StatusIs(absl::StatusCode::kUnimplemented, "archive storage is not configured"));
}

}  // namespace
}  // namespace spanvault
