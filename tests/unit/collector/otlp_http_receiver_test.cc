#include "collector/otlp_http_receiver.h"

#include <optional>

#include "collector/gzip.h"
#include "gmock/gmock.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/recording_sink.h"
#include "tests/testing/span_builder.h"

namespace spanvault {
namespace {

using ::spanvault::testing::MakeRequest;
using ::spanvault::testing::RecordingSink;
using ::spanvault::testing::SpanHex;
using ::spanvault::testing::TraceHex;
using ::testing::HasSubstr;
using ExportResponse = opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse;

class OtlpHttpReceiverTest : public ::testing::Test {
 protected:
  HttpResponse Post(std::string body, std::string content_type, std::string encoding = "",
                    std::string method = "POST", std::string path = "/v1/traces") {
    HttpRequest request;
    request.method = method;
    request.path = path;
    request.body = std::move(body);
    request.headers.emplace_back("content-type", content_type);
    if (!encoding.empty()) request.headers.emplace_back("content-encoding", encoding);
    std::optional<HttpResponse> response;
    receiver_.Handle(std::move(request), [&](HttpResponse r) { response = std::move(r); });
    EXPECT_TRUE(response.has_value()) << "the recording sink answers synchronously";
    return response.value_or(HttpResponse{});
  }
  std::string GoodProtobuf() {
    return MakeRequest({{.trace_id = TraceHex(1), .span_id = SpanHex(1)},
                        {.trace_id = TraceHex(1), .span_id = SpanHex(2)}})
        .SerializeAsString();
  }

  RecordingSink sink_;
  MetricsRegistry registry_;
  IngestMetrics metrics_{registry_};
  OtlpHttpReceiver receiver_{OtlpHttpReceiverOptions{.max_request_bytes = 1 << 20}, sink_,
                             metrics_};
};

TEST_F(OtlpHttpReceiverTest, AcceptsProtobufAndAnswersInProtobuf) {
  HttpResponse r = Post(GoodProtobuf(), "application/x-protobuf");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "application/x-protobuf");
  ExportResponse response;
  ASSERT_TRUE(response.ParseFromString(r.body));
  EXPECT_FALSE(response.has_partial_success());
  EXPECT_EQ(sink_.SpanCount(), 2u);
  EXPECT_THAT(registry_.Render(),
              HasSubstr("spanvault_spans_accepted_total{receiver=\"otlp_http\"} 2\n"));
}

TEST_F(OtlpHttpReceiverTest, AcceptsGzipAndContentTypeParameters) {
  HttpResponse r = Post(Gzip(GoodProtobuf()), "application/x-protobuf; charset=binary", "gzip");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(sink_.SpanCount(), 2u);
}

TEST_F(OtlpHttpReceiverTest, AcceptsJsonAndAnswersInJson) {
  std::string body = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name",
      "value":{"stringValue":"shop"}}]},"scopeSpans":[{"spans":[{"traceId":
      "5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"x","kind":2,
      "startTimeUnixNano":"1","endTimeUnixNano":"2"},{"traceId":"00000000000000000000000000000000",
      "spanId":"eee19b7ec3c1b174"}]}]}]})";
  HttpResponse r = Post(body, "application/json");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  auto json = nlohmann::json::parse(r.body);
  EXPECT_EQ(json["partialSuccess"]["rejectedSpans"], "1");
  EXPECT_THAT(json["partialSuccess"]["errorMessage"].get<std::string>(),
              HasSubstr("trace id is all zeros"));
  EXPECT_EQ(sink_.SpanCount(), 1u);
}

TEST_F(OtlpHttpReceiverTest, RejectsMalformedBodiesWith400InTheRequestEncoding) {
  std::string truncated = GoodProtobuf();
  truncated.resize(truncated.size() - 3);
  HttpResponse r = Post(truncated, "application/x-protobuf");
  EXPECT_EQ(r.status, 400);
  google::rpc::Status status;
  ASSERT_TRUE(status.ParseFromString(r.body));
  EXPECT_THAT(status.message(), HasSubstr("not a valid ExportTraceServiceRequest"));

  HttpResponse j = Post("{\"resourceSpans\": [", "application/json");
  EXPECT_EQ(j.status, 400);
  EXPECT_THAT(nlohmann::json::parse(j.body)["message"].get<std::string>(),
              HasSubstr("invalid JSON"));
  EXPECT_EQ(sink_.SpanCount(), 0u);
}

TEST_F(OtlpHttpReceiverTest, AnswersWrongMethodPathTypeAndEncoding) {
  EXPECT_EQ(Post("", "application/json", "", "GET").status, 405);
  EXPECT_EQ(Post("", "application/json", "", "POST", "/v1/logs").status, 404);
  HttpResponse type = Post(GoodProtobuf(), "text/plain");
  EXPECT_EQ(type.status, 415);
  EXPECT_THAT(type.body, HasSubstr("unsupported Content-Type \"text/plain\""));
  HttpResponse coding = Post(GoodProtobuf(), "application/x-protobuf", "br");
  EXPECT_EQ(coding.status, 415);
}

TEST_F(OtlpHttpReceiverTest, RejectsBodiesOverTheLimitAfterDecompression) {
  std::string big = MakeRequest({{.trace_id = TraceHex(1),
                                  .span_id = SpanHex(1),
                                  .attributes = {{"a", std::string(2 << 20, 'x')}}}})
                        .SerializeAsString();
  HttpResponse r = Post(Gzip(big), "application/x-protobuf", "gzip");
  EXPECT_EQ(r.status, 413);
  HttpResponse corrupt = Post("not gzip at all", "application/x-protobuf", "gzip");
  EXPECT_EQ(corrupt.status, 400);
  EXPECT_EQ(sink_.SpanCount(), 0u);
}

TEST_F(OtlpHttpReceiverTest, EmptyRequestIsSuccess) {
  HttpResponse r = Post("", "application/x-protobuf");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(sink_.SpanCount(), 0u);
}

TEST_F(OtlpHttpReceiverTest, OverloadIsRetryableWithRetryAfter) {
  sink_.AnswerWith(absl::ResourceExhaustedError("queue full"));
  HttpResponse full = Post(GoodProtobuf(), "application/x-protobuf");
  EXPECT_EQ(full.status, 429);
  EXPECT_EQ(full.Header("Retry-After"), "1");
  sink_.AnswerWith(absl::UnavailableError("shutting down"));
  HttpResponse down = Post(GoodProtobuf(), "application/x-protobuf");
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(down.Header("Retry-After"), "1");
  EXPECT_THAT(
      registry_.Render(),
      HasSubstr(
          "spanvault_spans_rejected_total{receiver=\"otlp_http\",reason=\"overloaded\"} 4\n"));
}

}  // namespace
}  // namespace spanvault
