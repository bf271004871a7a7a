// The remote-storage requests (jaeger.storage.v1 and v2) of query/grpc_query_params.h.
#include <cstdint>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/grpc_query_params.h"
#include "tests/testing/status_matchers.h"

namespace spanvault {
namespace {

using ::spanvault::testing::IsOk;
using ::spanvault::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Pair;

namespace s1 = ::jaeger::storage::v1;
namespace s2 = ::jaeger::storage::v2;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr int64_t kGoZeroSeconds = -62135596800;  // 0001-01-01T00:00:00Z
const std::string kIdBytes("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16);
const std::string kOtherIdBytes(15, '\0');

void SetTime(google::protobuf::Timestamp* t, int64_t seconds, int32_t nanos = 0) {
  t->set_seconds(seconds);
  t->set_nanos(nanos);
}

TEST(StorageV1ParamsTest, GetTraceTakesGoZeroTimesAsUnset) {
  s1::GetTraceRequest request;
  request.set_trace_id(kIdBytes);
  SetTime(request.mutable_start_time(), kGoZeroSeconds);
  SetTime(request.mutable_end_time(), kGoZeroSeconds);
  absl::StatusOr<TraceId> id = ParseGetTrace(request);
  ASSERT_THAT(id, IsOk());
  EXPECT_EQ(id->ToHex(), "0102030405060708090a0b0c0d0e0f10");
  // Other times before 1970 are still refused.
  SetTime(request.mutable_start_time(), -1);
  EXPECT_THAT(ParseGetTrace(request), StatusIs(kInvalid, "start_time: is before 1970"));
  request.set_trace_id(std::string(8, '\x01'));
  EXPECT_THAT(ParseGetTrace(request), StatusIs(kInvalid, "trace_id: must be 16 bytes, got 8"));
}

TEST(StorageV1ParamsTest, FindTracesReadsGoZeroValuesAsNoBound) {
  s1::FindTracesRequest request;
  EXPECT_THAT(ParseFindTraces(request), StatusIs(kInvalid, "query: is required"));
  s1::TraceQueryParameters* p = request.mutable_query();
  p->set_service_name("shop");
  p->set_operation_name("GET /");
  (*p->mutable_tags())["order_id"] = "G-1";
  SetTime(p->mutable_start_time_min(), 100);
  SetTime(p->mutable_start_time_max(), kGoZeroSeconds);
  p->mutable_duration_min()->set_seconds(0);  // zero durations, as Go sends unset ones
  p->mutable_duration_max()->set_seconds(0);
  absl::StatusOr<TraceQuery> query = ParseFindTraces(request);
  ASSERT_THAT(query, IsOk());
  EXPECT_EQ(query->service_name, "shop");
  EXPECT_EQ(query->operation_name, "GET /");
  EXPECT_THAT(query->attributes, ElementsAre(Pair("order_id", "G-1")));
  EXPECT_EQ(query->start_time_min_unix_nano, 100'000'000'000u);
  EXPECT_EQ(query->start_time_max_unix_nano, std::numeric_limits<uint64_t>::max());
  EXPECT_FALSE(query->duration_min_nanos.has_value());
  EXPECT_FALSE(query->duration_max_nanos.has_value());
  EXPECT_EQ(query->search_depth, kDefaultSearchDepth);

  p->set_num_traces(20);
  p->mutable_duration_max()->set_seconds(2);
  query = ParseFindTraces(request);
  ASSERT_THAT(query, IsOk());
  EXPECT_EQ(query->search_depth, 20);
  EXPECT_EQ(query->duration_max_nanos, 2'000'000'000u);
}

TEST(StorageV1ParamsTest, FindTraceIdsNamesTheBadField) {
  s1::FindTraceIDsRequest request;
  request.mutable_query()->set_num_traces(-1);
  EXPECT_THAT(ParseFindTraces(request),
              StatusIs(kInvalid, "query.num_traces: must not be negative"));
  request.mutable_query()->set_num_traces(1);
  (*request.mutable_query()->mutable_tags())[""] = "x";
  EXPECT_THAT(ParseFindTraces(request), StatusIs(kInvalid, "query.tags: a key is empty"));
}

TEST(StorageV2ParamsTest, GetTracesNamesTheBadIdAndDropsDuplicates) {
  s2::GetTracesRequest request;
  EXPECT_THAT(ParseGetTraces(request), IsOk());
  request.add_query()->set_trace_id(kIdBytes);
  s2::GetTraceParams* second = request.add_query();
  second->set_trace_id(kIdBytes);
  SetTime(second->mutable_start_time(), kGoZeroSeconds);
  absl::StatusOr<std::vector<TraceId>> ids = ParseGetTraces(request);
  ASSERT_THAT(ids, IsOk());
  ASSERT_EQ(ids->size(), 1u);
  request.add_query()->set_trace_id(kOtherIdBytes);
  EXPECT_THAT(ParseGetTraces(request),
              StatusIs(kInvalid, "query[2].trace_id: must be 16 bytes, got 15"));
  request.mutable_query(2)->set_trace_id(kIdBytes);
  SetTime(request.mutable_query(1)->mutable_start_time(), 300);
  SetTime(request.mutable_query(1)->mutable_end_time(), 200);
  EXPECT_THAT(ParseGetTraces(request),
              StatusIs(kInvalid, "query[1].start_time must not be after query[1].end_time"));
}

TEST(StorageV2ParamsTest, AttributesOfEveryTypeMatchByTheirStringForm) {
  s2::FindTracesRequest request;
  s2::TraceQueryParameters* p = request.mutable_query();
  auto add = [&](const std::string& key) {
    s2::KeyValue* kv = p->add_attributes();
    kv->set_key(key);
    return kv->mutable_value();
  };
  add("order_id")->set_string_value("G-1");
  add("http.response.status_code")->set_int_value(500);
  add("error")->set_bool_value(true);
  SetTime(p->mutable_start_time_min(), kGoZeroSeconds);
  absl::StatusOr<TraceQuery> query = ParseFindTraces(request);
  ASSERT_THAT(query, IsOk());
  EXPECT_THAT(query->attributes,
              ElementsAre(Pair("error", "true"), Pair("http.response.status_code", "500"),
                          Pair("order_id", "G-1")));
  EXPECT_EQ(query->start_time_min_unix_nano, 0u);
  EXPECT_TRUE(query->service_name.empty());  // any service
  add("")->set_string_value("x");
  EXPECT_THAT(ParseFindTraces(request), StatusIs(kInvalid, "query.attributes: a key is empty"));
}

TEST(StorageV2ParamsTest, FilterAndBadValuesAreRefused) {
  s2::FindTraceSummariesRequest request;
  EXPECT_THAT(ParseFindTraces(request), StatusIs(kInvalid, "query: is required"));
  request.mutable_query()->set_search_depth(-3);
  EXPECT_THAT(ParseFindTraces(request),
              StatusIs(kInvalid, "query.search_depth: must not be negative"));
  request.mutable_query()->set_search_depth(0);
  request.mutable_query()->mutable_duration_min()->set_seconds(5);
  request.mutable_query()->mutable_duration_max()->set_seconds(1);
  EXPECT_THAT(ParseFindTraces(request),
              StatusIs(kInvalid, "query.duration_min must not be greater than query.duration_max"));
  s2::FindTraceIDsRequest ids;
  ids.mutable_query()->mutable_filter();
  EXPECT_THAT(ParseFindTraces(ids), StatusIs(kInvalid, ::testing::StartsWith("query.filter: ")));
}

TEST(StorageParamsTest, GetDependenciesTakesGoZeroTimesAsUnset) {
  s2::GetDependenciesRequest v2;
  SetTime(v2.mutable_start_time(), kGoZeroSeconds);
  SetTime(v2.mutable_end_time(), 200);
  absl::StatusOr<TimeWindow> window = ParseGetDependencies(v2);
  ASSERT_THAT(window, IsOk());
  EXPECT_EQ(window->start_unix_nano, 0u);
  EXPECT_EQ(window->end_unix_nano, 200'000'000'000u);
  s1::GetDependenciesRequest v1;
  SetTime(v1.mutable_start_time(), 300);
  SetTime(v1.mutable_end_time(), 200);
  EXPECT_THAT(ParseGetDependencies(v1),
              StatusIs(kInvalid, "start_time must not be after end_time"));
}

}  // namespace
}  // namespace spanvault
