#include "query/grpc_query_params.h"

#include <cstdint>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace spanvault {
namespace {

using ::spanvault::testing::IsOk;
using ::spanvault::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

namespace v2 = ::jaeger::api_v2;
namespace v3 = ::jaeger::api_v3;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
const std::string kIdBytes("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16);

void SetTime(google::protobuf::Timestamp* t, int64_t seconds, int32_t nanos = 0) {
  t->set_seconds(seconds);
  t->set_nanos(nanos);
}

TEST(GrpcGetTraceTest, V2TraceIdIsSixteenBytes) {
  v2::GetTraceRequest request;
  EXPECT_THAT(ParseGetTrace(request), StatusIs(kInvalid, "trace_id: is required"));
  request.set_trace_id(std::string(8, '\x01'));
  EXPECT_THAT(ParseGetTrace(request), StatusIs(kInvalid, "trace_id: must be 16 bytes, got 8"));
  request.set_trace_id(std::string(16, '\0'));
  EXPECT_THAT(ParseGetTrace(request), StatusIs(kInvalid, "trace_id: must not be all zeros"));
  request.set_trace_id(kIdBytes);
  absl::StatusOr<TraceId> id = ParseGetTrace(request);
  ASSERT_THAT(id, IsOk());
  EXPECT_EQ(id->ToHex(), "0102030405060708090a0b0c0d0e0f10");
}

TEST(GrpcGetTraceTest, V2TimesMustBeValidAndInOrder) {
  v2::GetTraceRequest request;
  request.set_trace_id(kIdBytes);
  SetTime(request.mutable_start_time(), 200);
  SetTime(request.mutable_end_time(), 100);
  EXPECT_THAT(ParseGetTrace(request), StatusIs(kInvalid, "start_time must not be after end_time"));
  SetTime(request.mutable_end_time(), 300, 1'000'000'000);
  EXPECT_THAT(ParseGetTrace(request),
              StatusIs(kInvalid, "end_time: nanos must be in [0, 999999999]"));
  SetTime(request.mutable_start_time(), -1);
  EXPECT_THAT(ParseGetTrace(request), StatusIs(kInvalid, "start_time: is before 1970"));
  request.clear_end_time();
  request.clear_start_time();
  EXPECT_THAT(ParseGetTrace(request), IsOk());
}

TEST(GrpcGetTraceTest, V2ArchiveTakesTheSameId) {
  v2::ArchiveTraceRequest request;
  EXPECT_THAT(ParseArchiveTrace(request), StatusIs(kInvalid, "trace_id: is required"));
  request.set_trace_id(kIdBytes);
  EXPECT_THAT(ParseArchiveTrace(request), IsOk());
}

TEST(GrpcGetTraceTest, V3TraceIdIsHex) {
  v3::GetTraceRequest request;
  EXPECT_THAT(ParseGetTrace(request), StatusIs(kInvalid, "trace_id: is required"));
  request.set_trace_id("not-hex");
  EXPECT_THAT(ParseGetTrace(request), StatusIs(kInvalid, HasSubstr("trace_id: ")));
  request.set_trace_id("0102030405060708090a0b0c0d0e0f10");
  ASSERT_THAT(ParseGetTrace(request), IsOk());
  request.set_trace_id("1122334455667788");  // 64-bit id: the high half is zero
  absl::StatusOr<TraceId> id = ParseGetTrace(request);
  ASSERT_THAT(id, IsOk());
  EXPECT_EQ(id->ToHex(), "00000000000000001122334455667788");
}

v2::FindTracesRequest FullV2Search() {
  v2::FindTracesRequest request;
  v2::TraceQueryParameters* q = request.mutable_query();
  q->set_service_name("shop-api");
  q->set_operation_name("POST /orders");
  (*q->mutable_tags())["order_id"] = "A-1001";
  (*q->mutable_tags())["error"] = "true";
  SetTime(q->mutable_start_time_min(), 1'700'000'000, 5);
  SetTime(q->mutable_start_time_max(), 1'700'000'100);
  q->mutable_duration_min()->set_nanos(1000);
  q->mutable_duration_max()->set_seconds(2);
  q->set_search_depth(7);
  return request;
}

TEST(GrpcFindTracesTest, V2ConvertsEveryField) {
  absl::StatusOr<TraceQuery> query = ParseFindTraces(FullV2Search());
  ASSERT_THAT(query, IsOk());
  EXPECT_EQ(query->service_name, "shop-api");
  EXPECT_EQ(query->operation_name, "POST /orders");
  EXPECT_THAT(query->attributes, ElementsAre(Pair("error", "true"), Pair("order_id", "A-1001")));
  EXPECT_EQ(query->start_time_min_unix_nano, 1'700'000'000'000'000'005u);
  EXPECT_EQ(query->start_time_max_unix_nano, 1'700'000'100'000'000'000u);
  EXPECT_EQ(query->duration_min_nanos, 1000u);
  EXPECT_EQ(query->duration_max_nanos, 2'000'000'000u);
  EXPECT_EQ(query->search_depth, 7);
}

TEST(GrpcFindTracesTest, V2DefaultsWithoutTimesOrDepth) {
  v2::FindTracesRequest request;
  EXPECT_THAT(ParseFindTraces(request), StatusIs(kInvalid, "query: is required"));
  request.mutable_query()->set_service_name("svc");
  absl::StatusOr<TraceQuery> query = ParseFindTraces(request);
  ASSERT_THAT(query, IsOk());
  EXPECT_EQ(query->start_time_min_unix_nano, 0u);
  EXPECT_EQ(query->start_time_max_unix_nano, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(query->search_depth, kDefaultSearchDepth);
  EXPECT_FALSE(query->duration_min_nanos.has_value());
}

TEST(GrpcFindTracesTest, V2BadFieldsAreNamed) {
  v2::FindTracesRequest request = FullV2Search();
  request.mutable_query()->set_search_depth(-1);
  EXPECT_THAT(ParseFindTraces(request),
              StatusIs(kInvalid, "query.search_depth: must not be negative"));
  request = FullV2Search();
  request.mutable_query()->mutable_duration_min()->set_seconds(3);
  EXPECT_THAT(ParseFindTraces(request),
              StatusIs(kInvalid, "query.duration_min must not be greater than query.duration_max"));
  request = FullV2Search();
  request.mutable_query()->mutable_duration_max()->set_seconds(-2);
  EXPECT_THAT(ParseFindTraces(request),
              StatusIs(kInvalid, "query.duration_max: must not be negative"));
  request = FullV2Search();
  SetTime(request.mutable_query()->mutable_start_time_max(), 1);
  EXPECT_THAT(ParseFindTraces(request),
              StatusIs(kInvalid, "query.start_time_min must not be after query.start_time_max"));
  request = FullV2Search();
  SetTime(request.mutable_query()->mutable_start_time_min(), 1, -5);
  EXPECT_THAT(ParseFindTraces(request),
              StatusIs(kInvalid, "query.start_time_min: nanos must be in [0, 999999999]"));
  request = FullV2Search();
  (*request.mutable_query()->mutable_tags())[""] = "x";
  EXPECT_THAT(ParseFindTraces(request), StatusIs(kInvalid, "query.tags: a key is empty"));
}

v3::FindTracesRequest V3Search() {
  v3::FindTracesRequest request;
  v3::TraceQueryParameters* q = request.mutable_query();
  q->set_service_name("shop-api");
  (*q->mutable_attributes())["order_id"] = "A-1001";
  SetTime(q->mutable_start_time_min(), 100);
  SetTime(q->mutable_start_time_max(), 200);
  return request;
}

TEST(GrpcFindTracesTest, V3RequiresBothTimes) {
  absl::StatusOr<TraceQuery> query = ParseFindTraces(V3Search());
  ASSERT_THAT(query, IsOk());
  EXPECT_THAT(query->attributes, ElementsAre(Pair("order_id", "A-1001")));
  EXPECT_EQ(query->start_time_min_unix_nano, 100'000'000'000u);
  EXPECT_EQ(query->search_depth, kDefaultSearchDepth);
  v3::FindTracesRequest request = V3Search();
  request.mutable_query()->clear_start_time_max();
  EXPECT_THAT(ParseFindTraces(request),
              StatusIs(kInvalid, "query.start_time_min and query.start_time_max are required"));
  EXPECT_THAT(ParseFindTraces(v3::FindTracesRequest()), StatusIs(kInvalid, "query: is required"));
}

TEST(GrpcFindTracesTest, V3RefusesFiltersAndEmptyKeys) {
  v3::FindTracesRequest request = V3Search();
  request.mutable_query()->mutable_filter()->set_op("eq");
  EXPECT_THAT(ParseFindTraces(request), StatusIs(kInvalid, HasSubstr("query.filter: ")));
  request = V3Search();
  (*request.mutable_query()->mutable_attributes())[""] = "x";
  EXPECT_THAT(ParseFindTraces(request), StatusIs(kInvalid, "query.attributes: a key is empty"));
}

TEST(GrpcFindTracesTest, V3SummariesTakeTheSameQuery) {
  v3::FindTraceSummariesRequest request;
  *request.mutable_query() = V3Search().query();
  request.mutable_query()->set_search_depth(3);
  absl::StatusOr<TraceQuery> query = ParseFindTraces(request);
  ASSERT_THAT(query, IsOk());
  EXPECT_EQ(query->search_depth, 3);
}

TEST(GrpcOperationsTest, ServiceIsRequired) {
  EXPECT_THAT(ValidateGetOperations(""), StatusIs(kInvalid, "service: is required"));
  EXPECT_THAT(ValidateGetOperations("shop-api"), IsOk());
}

TEST(GrpcDependenciesTest, V2TimesOptionalV3Required) {
  EXPECT_THAT(ParseGetDependencies(v2::GetDependenciesRequest()), IsOk());
  EXPECT_THAT(ParseGetDependencies(v3::GetDependenciesRequest()),
              StatusIs(kInvalid, "start_time and end_time are required"));
  v3::GetDependenciesRequest request;
  SetTime(request.mutable_start_time(), 100);
  SetTime(request.mutable_end_time(), 100);
  EXPECT_THAT(ParseGetDependencies(request),
              StatusIs(kInvalid, "end_time must be after start_time"));
  SetTime(request.mutable_end_time(), 50);
  EXPECT_THAT(ParseGetDependencies(request),
              StatusIs(kInvalid, "start_time must not be after end_time"));
  SetTime(request.mutable_end_time(), 200);
  absl::StatusOr<TimeWindow> window = ParseGetDependencies(request);
  ASSERT_THAT(window, IsOk());
  EXPECT_EQ(window->start_unix_nano, 100'000'000'000u);
  EXPECT_EQ(window->end_unix_nano, 200'000'000'000u);
}

}  // namespace
}  // namespace spanvault
