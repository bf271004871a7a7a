#include "query/jaeger_http_api.h"

#include <optional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "storage/trace_store.h"
#include "tests/testing/racing_reader.h"
#include "tests/testing/span_builder.h"
#include "tests/testing/status_matchers.h"

namespace spanvault {
namespace {

using ::spanvault::testing::ConsumeAndWait;
using ::spanvault::testing::MakeBatch;
using ::spanvault::testing::SpanHex;
using ::spanvault::testing::TraceHex;
using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr uint64_t kT0 = 1'700'000'000'000'000'000;  // 2023-11-14T22:13:20Z

class JaegerHttpApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SV_ASSERT_OK(ConsumeAndWait(*store_, MakeBatch({{.service = "shop-api",
                                                     .trace_id = TraceHex(1),
                                                     .span_id = SpanHex(1),
                                                     .name = "POST /orders",
                                                     .start_unix_nano = kT0,
                                                     .attributes = {{"order_id", "A-1"}}},
                                                    {.service = "crm-api",
                                                     .trace_id = TraceHex(1),
                                                     .span_id = SpanHex(2),
                                                     .parent_span_id = SpanHex(1),
                                                     .name = "publish",
                                                     .kind = 4,
                                                     .start_unix_nano = kT0 + 1000,
                                                     .error = true}})));
  }
  HttpResponse Get(const std::string& target, const std::string& method = "GET") {
    HttpRequest request;
    request.method = method;
    size_t q = target.find('?');
    request.path = target.substr(0, q);
    if (q != std::string::npos) request.query = target.substr(q + 1);
    std::optional<HttpResponse> response;
    api_.Handle(std::move(request), [&](HttpResponse r) { response = std::move(r); });
    return response.value_or(HttpResponse{});
  }
  json GetJson(const std::string& target, int expected_status) {
    HttpResponse r = Get(target);
    EXPECT_EQ(r.status, expected_status) << target << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }

  std::unique_ptr<TraceStore> store_ = NewMemoryTraceStore({});
  QueryService queries_{{}, *store_};
  JaegerHttpApi api_{queries_, nullptr};
};

TEST_F(JaegerHttpApiTest, ClassicServicesAndOperations) {
  json services = GetJson("/api/services", 200);
  EXPECT_EQ(services["data"], json({"crm-api", "shop-api"}));
  EXPECT_EQ(services["total"], 2);
  EXPECT_TRUE(services["errors"].is_null());
  EXPECT_EQ(GetJson("/api/services/crm-api/operations", 200)["data"], json({"publish"}));
  json ops = GetJson("/api/operations?service=crm-api&spanKind=producer", 200);
  EXPECT_EQ(ops["data"], json::parse(R"([{"name":"publish","spanKind":"producer"}])"));
  json missing = GetJson("/api/operations", 400);
  EXPECT_EQ(missing["errors"][0]["msg"], "parameter 'service' is required");
  EXPECT_EQ(missing["errors"][0]["code"], 400);
}

TEST_F(JaegerHttpApiTest, ClassicTraceByIdAndNotFound) {
  json trace = GetJson("/api/traces/" + TraceHex(1), 200);
  ASSERT_EQ(trace["data"].size(), 1u);
  EXPECT_EQ(trace["data"][0]["traceID"], "0000000000000001");
  EXPECT_EQ(trace["data"][0]["spans"].size(), 2u);
  EXPECT_EQ(GetJson("/api/traces/1", 200)["data"][0]["spans"].size(), 2u);
  json missing = GetJson("/api/traces/" + TraceHex(9), 404);
  EXPECT_EQ(missing["errors"][0]["msg"], "trace not found");
  json bad = GetJson("/api/traces/xyz", 400);
  EXPECT_THAT(bad["errors"][0]["msg"].get<std::string>(), HasSubstr("malformed trace id"));
}

TEST_F(JaegerHttpApiTest, ClassicSearchAndMultiGet) {
  std::string window = "&start=1699999000000000&end=1700001000000000";
  json found =
      GetJson("/api/traces?service=shop-api&tags=%7B%22order_id%22%3A%22A-1%22%7D" + window, 200);
  ASSERT_EQ(found["data"].size(), 1u);
  EXPECT_EQ(found["data"][0]["traceID"], "0000000000000001");
  json none = GetJson("/api/traces?service=shop-api&tag=order_id:A-2" + window, 200);
  EXPECT_EQ(none["data"], json::array());
  json multi = GetJson("/api/traces?traceID=1&traceID=" + TraceHex(7), 200);
  EXPECT_EQ(multi["data"].size(), 1u);
  EXPECT_EQ(multi["errors"][0]["msg"], "trace not found");
  EXPECT_EQ(multi["errors"][0]["traceID"], "0000000000000007");
  json unknown = GetJson("/api/traces?service=shop-api&bogus=1", 400);
  EXPECT_EQ(unknown["errors"][0]["msg"], "unknown parameter 'bogus'");
}

TEST_F(JaegerHttpApiTest, V3Endpoints) {
  EXPECT_EQ(GetJson("/api/v3/services", 200),
            json::parse(R"({"services":["crm-api","shop-api"]})"));
  EXPECT_EQ(GetJson("/api/v3/operations?service=shop-api", 200),
            json::parse(R"({"operations":[{"name":"POST /orders","spanKind":"server"}]})"));
  json trace = GetJson("/api/v3/traces/" + TraceHex(1), 200);
  EXPECT_EQ(trace["result"]["resourceSpans"].size(), 2u);
  std::string window =
      "query.startTimeMin=2023-11-14T22:00:00Z&query.startTimeMax=2023-11-14T23:00:00Z";
  json summaries = GetJson("/api/v3/trace-summaries?query.serviceName=crm-api&" + window, 200);
  ASSERT_EQ(summaries["summaries"].size(), 1u);
  json s = summaries["summaries"][0];
  EXPECT_EQ(s["traceId"], TraceHex(1));
  EXPECT_EQ(s["rootServiceName"], "shop-api");
  EXPECT_EQ(s["spanCount"], 2);
  EXPECT_EQ(s["errorSpanCount"], 1);
  EXPECT_EQ(s["minStartTimeUnixNano"], "1700000000000000000");
  EXPECT_EQ(GetJson("/api/v3/trace-summaries?query.serviceName=nobody&" + window, 200),
            json::parse(R"({"summaries":[]})"));
  json none = GetJson("/api/v3/traces?query.serviceName=nobody&" + window, 404);
  EXPECT_EQ(none["error"]["message"], "No traces found");
  json bad = GetJson("/api/v3/trace-summaries?query.serviceName=crm-api", 400);
  EXPECT_EQ(bad["error"]["httpCode"], 400);
  EXPECT_THAT(bad["error"]["message"].get<std::string>(), HasSubstr("startTimeMin"));
}

TEST_F(JaegerHttpApiTest, UnknownPathsMethodsAndNoUi) {
  EXPECT_EQ(Get("/api/nothing").status, 404);
  EXPECT_EQ(Get("/api/v3/nothing").status, 404);
  HttpResponse post = Get("/api/services", "POST");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(json::parse(post.body)["errors"][0]["code"], 405);
  HttpResponse ui = Get("/search");
  EXPECT_EQ(ui.status, 404);
  EXPECT_THAT(ui.body, HasSubstr("--ui-dir"));
}

TEST_F(JaegerHttpApiTest, PrettyPrintIndents) {
  EXPECT_THAT(Get("/api/services?prettyPrint=true").body, HasSubstr("\n    \"data\""));
}

TEST_F(JaegerHttpApiTest, ClassicTraceByIdWarnsWhenTheDecisionLandsDuringTheRead) {
  for (const auto& [answers, warned] : std::vector<std::pair<std::vector<bool>, bool>>{
           {{true, false}, true}, {{false, true}, true}, {{false, false}, false}}) {
    testing::RacingReader reader(*store_, answers);
    QueryService queries({}, reader);
    JaegerHttpApi api(queries, nullptr);
    HttpRequest request;
    request.method = "GET";
    request.path = "/api/traces/" + TraceHex(1);
    std::optional<HttpResponse> response;
    api.Handle(std::move(request), [&](HttpResponse r) { response = std::move(r); });
    ASSERT_TRUE(response.has_value());
    json body = json::parse(response->body, nullptr, false);
    EXPECT_EQ(body["data"][0]["warnings"].is_array(), warned)
        << "pending before/after the read: " << answers[0] << "/" << answers[1];
  }
}

}  // namespace
}  // namespace spanvault
