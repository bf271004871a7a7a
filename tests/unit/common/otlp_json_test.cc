#include "common/otlp_json.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/otlp_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace spanvault {
namespace {

using ::spanvault::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kTraceHex[] = "5b8efff798038103d269b633813fc60c";
constexpr char kSpanHex[] = "eee19b7ec3c1b174";

constexpr char kJsExporterBody[] = R"json({"resourceSpans":[{"resource":{"attributes":[
  {"key":"service.name","value":{"stringValue":"checkout-api"}}],"droppedAttributesCount":0},
  "scopeSpans":[{"scope":{"name":"e2e","version":"1.0.0"},"spans":[{
  "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"",
  "traceState":"","name":"POST /orders","kind":2,"startTimeUnixNano":"1700000000000000000",
  "endTimeUnixNano":"1700000000500000000","attributes":[
  {"key":"order_id","value":{"stringValue":"A-1001"}},
  {"key":"http.response.status_code","value":{"intValue":200}},
  {"key":"ratio","value":{"doubleValue":0.5}},{"key":"ok","value":{"boolValue":true}},
  {"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"}]}}}],
  "droppedAttributesCount":0,"events":[],"droppedEventsCount":0,"status":{"code":0},"links":[],
  "droppedLinksCount":0,"flags":257}]}]}]})json";

std::string Bytes(std::string_view hex) { return HexToBytes(hex, "test").value(); }

absl::StatusOr<ExportRequest> Decode(std::string_view json) {
  ExportRequest request;
  absl::Status status = DecodeOtlpJson(json, &request);
  if (!status.ok()) return status;
  return request;
}

// A request holding one span with the given fields (a JSON object body without braces).
std::string SpanJson(std::string_view fields) {
  return absl::StrCat(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{)",
                      absl::string_view(fields.data(), fields.size()), "}]}]}]}");
}

// A request holding one span with one attribute "k" whose value is `value_json`.
std::string AttributeJson(std::string_view value_json) {
  return SpanJson(absl::StrCat(R"("attributes":[{"key":"k","value":)",
                               absl::string_view(value_json.data(), value_json.size()), "}]"));
}

const otlp::Span& FirstSpan(const ExportRequest& request) {
  return request.resource_spans(0).scope_spans(0).spans(0);
}

absl::StatusOr<otlp::AnyValue> DecodeAttribute(std::string_view value_json) {
  absl::StatusOr<ExportRequest> request = Decode(AttributeJson(value_json));
  if (!request.ok()) return request.status();
  return FirstSpan(*request).attributes(0).value();
}

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr char kSpanPath[] = "resourceSpans[0].scopeSpans[0].spans[0]";

TEST(OtlpJsonDecodeTest, DecodesJsExporterBody) {
  auto request = Decode(kJsExporterBody);
  SV_ASSERT_OK(request);
  ASSERT_EQ(request->resource_spans_size(), 1);
  const auto& rs = request->resource_spans(0);
  EXPECT_EQ(ServiceName(rs.resource()), "checkout-api");
  EXPECT_EQ(rs.scope_spans(0).scope().name(), "e2e");
  EXPECT_EQ(rs.scope_spans(0).scope().version(), "1.0.0");
  const otlp::Span& span = FirstSpan(*request);
  EXPECT_EQ(span.trace_id(), Bytes(kTraceHex));
  EXPECT_EQ(span.span_id(), Bytes(kSpanHex));
  EXPECT_TRUE(span.parent_span_id().empty());
  EXPECT_EQ(span.name(), "POST /orders");
  EXPECT_EQ(span.kind(), otlp::Span::SPAN_KIND_SERVER);
  EXPECT_EQ(span.start_time_unix_nano(), 1700000000000000000u);
  EXPECT_EQ(span.end_time_unix_nano(), 1700000000500000000u);
  EXPECT_EQ(span.flags(), 257u);
  ASSERT_EQ(span.attributes_size(), 5);
  EXPECT_EQ(span.attributes(0).value().string_value(), "A-1001");
  EXPECT_EQ(span.attributes(1).key(), "http.response.status_code");
  EXPECT_EQ(span.attributes(1).value().int_value(), 200);
  EXPECT_EQ(span.attributes(2).value().double_value(), 0.5);
  EXPECT_TRUE(span.attributes(3).value().bool_value());
  EXPECT_EQ(span.attributes(4).value().array_value().values(0).string_value(), "a");
  EXPECT_TRUE(span.has_status());
  EXPECT_EQ(span.status().code(), otlp::Status::STATUS_CODE_UNSET);
}

TEST(OtlpJsonDecodeTest, IdsAreHexOfEitherCase) {
  auto request = Decode(SpanJson(
      R"("traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19b7ec3c1B174",
         "parentSpanId":"00f067aa0ba902b7")"));
  SV_ASSERT_OK(request);
  EXPECT_EQ(FirstSpan(*request).trace_id(), Bytes(kTraceHex));
  EXPECT_EQ(FirstSpan(*request).span_id(), Bytes(kSpanHex));
  EXPECT_EQ(FirstSpan(*request).parent_span_id(), Bytes("00f067aa0ba902b7"));
}

TEST(OtlpJsonDecodeTest, HexIdThatIsAlsoBase64DecodesAsHex) {
  // Both are valid base64 (24 and 12 bytes); OTLP/JSON means hex (16 and 8 bytes).
  auto request = Decode(
      SpanJson(R"("traceId":"0123456789abcdef0123456789abcdef","spanId":"abcdef0123456789")"));
  SV_ASSERT_OK(request);
  EXPECT_EQ(FirstSpan(*request).trace_id(), Bytes("0123456789abcdef0123456789abcdef"));
  EXPECT_EQ(FirstSpan(*request).trace_id().size(), 16u);
  EXPECT_EQ(FirstSpan(*request).span_id().size(), 8u);
}

TEST(OtlpJsonDecodeTest, RejectsIdsOfWrongLengthNamingThePath) {
  const std::string spans = absl::StrCat(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{},{},{},)",
                                         R"({"traceId":"5b8efff798038103d269b633813fc6"}]}]}]})");
  EXPECT_THAT(Decode(spans),
              StatusIs(kInvalid,
                       "resourceSpans[0].scopeSpans[0].spans[3].traceId: must be 32 hex "
                       "digits, got 30"));
  EXPECT_THAT(
      Decode(SpanJson(R"("spanId":"eee19b7ec3c1b1")")),
      StatusIs(kInvalid, absl::StrCat(kSpanPath, ".spanId: must be 16 hex digits, got 14")));
  EXPECT_THAT(
      Decode(SpanJson(R"("parentSpanId":"eee19b7ec3c1b17400")")),
      StatusIs(kInvalid, HasSubstr("spans[0].parentSpanId: must be 16 hex digits, got 18")));
  EXPECT_THAT(Decode(SpanJson(R"("span_id":"abc")")),
              StatusIs(kInvalid, HasSubstr("spans[0].span_id: must be 16 hex digits, got 3")));
}

TEST(OtlpJsonDecodeTest, RejectsNonHexIds) {
  EXPECT_THAT(
      Decode(SpanJson(R"("traceId":"5b8efff798038103d269b633813fc6zz")")),
      StatusIs(kInvalid,
               absl::StrCat(kSpanPath, ".traceId: id is not hex: bad digit at position 30")));
  EXPECT_THAT(Decode(SpanJson(R"("spanId":"eee19b7e+3c1b174")")),
              StatusIs(kInvalid, HasSubstr("spanId: id is not hex")));
  EXPECT_THAT(Decode(SpanJson(R"("traceId":5)")),
              StatusIs(kInvalid, HasSubstr("traceId: expected a hex string, got number")));
}

TEST(OtlpJsonDecodeTest, LeavesEmptyAndZeroSpanIdsToTheValidator) {
  auto request = Decode(SpanJson(R"("traceId":"","spanId":"0000000000000000")"));
  SV_ASSERT_OK(request);
  EXPECT_TRUE(FirstSpan(*request).trace_id().empty());
  EXPECT_EQ(FirstSpan(*request).span_id(), std::string(8, '\0'));
}

TEST(OtlpJsonDecodeTest, LinksNeedCompleteIds) {
  auto request = Decode(SpanJson(
      absl::StrCat(R"("links":[{"traceId":")", kTraceHex, R"(","spanId":")", kSpanHex, R"("}])")));
  SV_ASSERT_OK(request);
  EXPECT_EQ(FirstSpan(*request).links(0).trace_id(), Bytes(kTraceHex));
  EXPECT_THAT(Decode(SpanJson(R"("links":[{"traceId":"","spanId":"eee19b7ec3c1b174"}])")),
              StatusIs(kInvalid, HasSubstr("links[0].traceId: must be 32 hex digits, got 0")));
  EXPECT_THAT(Decode(SpanJson(absl::StrCat(R"("links":[{"traceId":")", kTraceHex, R"("}])"))),
              StatusIs(kInvalid, HasSubstr("links[0]: a link needs a traceId and a spanId")));
}

TEST(OtlpJsonDecodeTest, EnumsAsNamesOrIntegers) {
  auto request =
      Decode(SpanJson(R"("kind":"SPAN_KIND_CLIENT","status":{"code":"STATUS_CODE_ERROR"})"));
  SV_ASSERT_OK(request);
  EXPECT_EQ(FirstSpan(*request).kind(), otlp::Span::SPAN_KIND_CLIENT);
  EXPECT_EQ(FirstSpan(*request).status().code(), otlp::Status::STATUS_CODE_ERROR);

  request = Decode(SpanJson(R"("kind":5,"status":{"code":1,"message":"fine"})"));
  SV_ASSERT_OK(request);
  EXPECT_EQ(FirstSpan(*request).kind(), otlp::Span::SPAN_KIND_CONSUMER);
  EXPECT_EQ(FirstSpan(*request).status().code(), otlp::Status::STATUS_CODE_OK);
  EXPECT_EQ(FirstSpan(*request).status().message(), "fine");

  // proto3 enums are open: unknown numbers are kept.
  request = Decode(SpanJson(R"("kind":42)"));
  SV_ASSERT_OK(request);
  EXPECT_EQ(static_cast<int>(FirstSpan(*request).kind()), 42);
}

TEST(OtlpJsonDecodeTest, RejectsBadEnums) {
  EXPECT_THAT(
      Decode(SpanJson(R"("kind":"SPAN_KIND_BOGUS")")),
      StatusIs(kInvalid, absl::StrCat(kSpanPath, ".kind: unknown SpanKind \"SPAN_KIND_BOGUS\"")));
  EXPECT_THAT(Decode(SpanJson(R"("status":{"code":"ERROR"})")),
              StatusIs(kInvalid, HasSubstr("status.code: unknown StatusCode \"ERROR\"")));
  EXPECT_THAT(Decode(SpanJson(R"("kind":1.5)")),
              StatusIs(kInvalid, HasSubstr("kind: must be an integer, got 1.5")));
  EXPECT_THAT(
      Decode(SpanJson(R"("kind":true)")),
      StatusIs(kInvalid, HasSubstr("kind: expected SpanKind name or integer, got boolean")));
  EXPECT_THAT(Decode(SpanJson(R"("kind":4294967296)")),
              StatusIs(kInvalid, HasSubstr("kind: 4294967296 is out of range")));
}

TEST(OtlpJsonDecodeTest, SixtyFourBitIntegersAsStringsOrNumbers) {
  auto request = Decode(SpanJson(
      R"("startTimeUnixNano":1700000000000000001,"endTimeUnixNano":"18446744073709551615",
         "events":[{"timeUnixNano":"1700000000000000002"},{"timeUnixNano":1e3}])"));
  SV_ASSERT_OK(request);
  const otlp::Span& span = FirstSpan(*request);
  EXPECT_EQ(span.start_time_unix_nano(), 1700000000000000001u);
  EXPECT_EQ(span.end_time_unix_nano(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(span.events(0).time_unix_nano(), 1700000000000000002u);
  EXPECT_EQ(span.events(1).time_unix_nano(), 1000u);

  EXPECT_EQ(DecodeAttribute(R"({"intValue":"-9223372036854775808"})")->int_value(),
            std::numeric_limits<int64_t>::min());
  EXPECT_EQ(DecodeAttribute(R"({"intValue":9223372036854775807})")->int_value(),
            std::numeric_limits<int64_t>::max());
  EXPECT_EQ(DecodeAttribute(R"({"intValue":-7})")->int_value(), -7);
}

TEST(OtlpJsonDecodeTest, RejectsBadIntegers) {
  EXPECT_THAT(DecodeAttribute(R"({"intValue":1.5})"),
              StatusIs(kInvalid, HasSubstr("attributes[0].value.intValue: must be an integer, "
                                           "got 1.5")));
  EXPECT_THAT(DecodeAttribute(R"({"intValue":"12abc"})"),
              StatusIs(kInvalid, HasSubstr("intValue: expected an integer, got \"12abc\"")));
  EXPECT_THAT(DecodeAttribute(R"({"intValue":""})"),
              StatusIs(kInvalid, HasSubstr("intValue: expected an integer, got \"\"")));
  EXPECT_THAT(DecodeAttribute(R"({"intValue":"9223372036854775808"})"),
              StatusIs(kInvalid, HasSubstr("intValue: \"9223372036854775808\" is out of range")));
  EXPECT_THAT(DecodeAttribute(R"({"intValue":9223372036854775808})"),
              StatusIs(kInvalid, HasSubstr("intValue: 9223372036854775808 is out of range")));
  EXPECT_THAT(DecodeAttribute(R"({"intValue":[1]})"),
              StatusIs(kInvalid, HasSubstr("intValue: expected an integer (number or decimal "
                                           "string), got array")));
  EXPECT_THAT(Decode(SpanJson(R"("startTimeUnixNano":-1)")),
              StatusIs(kInvalid, HasSubstr("startTimeUnixNano: -1 is out of range")));
  // A long bad value is echoed shortened.
  auto long_value =
      DecodeAttribute(absl::StrCat(R"({"intValue":")", std::string(100000, '9'), R"(x"})"));
  EXPECT_THAT(long_value, StatusIs(kInvalid, HasSubstr("got \"99999999")));
  EXPECT_LT(long_value.status().message().size(), 200u);
  EXPECT_THAT(Decode(SpanJson(R"("endTimeUnixNano":"1.5e9")")),
              StatusIs(kInvalid, HasSubstr("endTimeUnixNano: expected an integer")));
}

TEST(OtlpJsonDecodeTest, Uint32FieldsAsNumbersOrStrings) {
  auto request = Decode(SpanJson(
      R"("flags":"769","droppedAttributesCount":1,"droppedEventsCount":"2","droppedLinksCount":3)"));
  SV_ASSERT_OK(request);
  EXPECT_EQ(FirstSpan(*request).flags(), 769u);
  EXPECT_EQ(FirstSpan(*request).dropped_attributes_count(), 1u);
  EXPECT_EQ(FirstSpan(*request).dropped_events_count(), 2u);
  EXPECT_EQ(FirstSpan(*request).dropped_links_count(), 3u);
  EXPECT_THAT(Decode(SpanJson(R"("droppedAttributesCount":4294967296)")),
              StatusIs(kInvalid, HasSubstr("droppedAttributesCount: 4294967296 is out of range")));
  EXPECT_THAT(Decode(SpanJson(R"("flags":-1)")),
              StatusIs(kInvalid, HasSubstr("flags: -1 is out of range")));
}

TEST(OtlpJsonDecodeTest, AcceptsSnakeCaseKeys) {
  auto request = Decode(absl::StrCat(
      R"({"resource_spans":[{"resource":{"attributes":[{"key":"service.name","value":
      {"string_value":"svc"}}],"dropped_attributes_count":4},"schema_url":"rs-url",
      "scope_spans":[{"scope":{"name":"lib","dropped_attributes_count":2},"schema_url":"ss-url",
      "spans":[{"trace_id":")",
      kTraceHex, R"(","span_id":")", kSpanHex,
      R"(","parent_span_id":"00f067aa0ba902b7","trace_state":"a=b",
      "start_time_unix_nano":"10","end_time_unix_nano":20,"dropped_attributes_count":1,
      "dropped_events_count":2,"dropped_links_count":3,
      "attributes":[{"key":"i","value":{"int_value":"5"}},{"key":"d","value":{"double_value":1.5}},
        {"key":"b","value":{"bool_value":true}},{"key":"y","value":{"bytes_value":"AQI="}},
        {"key":"a","value":{"array_value":{"values":[{"int_value":1}]}}},
        {"key":"m","value":{"kvlist_value":{"values":[{"key":"x","value":{"string_value":"y"}}]}}}],
      "events":[{"time_unix_nano":"30","name":"e","dropped_attributes_count":5}],
      "links":[{"trace_id":")",
      kTraceHex, R"(","span_id":")", kSpanHex,
      R"(","trace_state":"c=d","dropped_attributes_count":6}]}]}]}]})"));
  SV_ASSERT_OK(request);
  const auto& rs = request->resource_spans(0);
  EXPECT_EQ(ServiceName(rs.resource()), "svc");
  EXPECT_EQ(rs.resource().dropped_attributes_count(), 4u);
  EXPECT_EQ(rs.schema_url(), "rs-url");
  EXPECT_EQ(rs.scope_spans(0).schema_url(), "ss-url");
  EXPECT_EQ(rs.scope_spans(0).scope().dropped_attributes_count(), 2u);
  const otlp::Span& span = FirstSpan(*request);
  EXPECT_EQ(span.trace_id(), Bytes(kTraceHex));
  EXPECT_EQ(span.span_id(), Bytes(kSpanHex));
  EXPECT_EQ(span.parent_span_id(), Bytes("00f067aa0ba902b7"));
  EXPECT_EQ(span.trace_state(), "a=b");
  EXPECT_EQ(span.start_time_unix_nano(), 10u);
  EXPECT_EQ(span.end_time_unix_nano(), 20u);
  EXPECT_EQ(span.dropped_attributes_count(), 1u);
  EXPECT_EQ(span.dropped_events_count(), 2u);
  EXPECT_EQ(span.dropped_links_count(), 3u);
  EXPECT_EQ(span.attributes(0).value().int_value(), 5);
  EXPECT_EQ(span.attributes(1).value().double_value(), 1.5);
  EXPECT_TRUE(span.attributes(2).value().bool_value());
  EXPECT_EQ(span.attributes(3).value().bytes_value(), "\x01\x02");
  EXPECT_EQ(span.attributes(4).value().array_value().values(0).int_value(), 1);
  EXPECT_EQ(span.attributes(5).value().kvlist_value().values(0).value().string_value(), "y");
  EXPECT_EQ(span.events(0).time_unix_nano(), 30u);
  EXPECT_EQ(span.events(0).dropped_attributes_count(), 5u);
  EXPECT_EQ(span.links(0).span_id(), Bytes(kSpanHex));
  EXPECT_EQ(span.links(0).trace_state(), "c=d");
  EXPECT_EQ(span.links(0).dropped_attributes_count(), 6u);
}

TEST(OtlpJsonDecodeTest, DecodesEveryAnyValueKind) {
  EXPECT_EQ(DecodeAttribute(R"({"stringValue":"s"})")->string_value(), "s");
  EXPECT_EQ(DecodeAttribute(R"({"stringValue":""})")->value_case(), otlp::AnyValue::kStringValue);
  EXPECT_FALSE(DecodeAttribute(R"({"boolValue":false})")->bool_value());
  EXPECT_EQ(DecodeAttribute(R"({"boolValue":false})")->value_case(), otlp::AnyValue::kBoolValue);
  EXPECT_EQ(DecodeAttribute(R"({"intValue":"42"})")->int_value(), 42);
  EXPECT_EQ(DecodeAttribute(R"({"doubleValue":-2.25})")->double_value(), -2.25);
  EXPECT_EQ(DecodeAttribute(R"({"bytesValue":"AP8="})")->bytes_value(), std::string("\x00\xff", 2));
  EXPECT_EQ(DecodeAttribute(R"({})")->value_case(), otlp::AnyValue::VALUE_NOT_SET);
  EXPECT_EQ(DecodeAttribute(R"({"arrayValue":{}})")->value_case(), otlp::AnyValue::kArrayValue);

  auto nested = DecodeAttribute(
      R"({"kvlistValue":{"values":[
           {"key":"list","value":{"arrayValue":{"values":[{"intValue":1},{"stringValue":"two"},
             {"arrayValue":{"values":[{"boolValue":true}]}},{}]}}},
           {"key":"map","value":{"kvlistValue":{"values":[{"key":"k","value":{"doubleValue":3}}]}}},
           {"key":"none"}]}})");
  SV_ASSERT_OK(nested);
  const auto& kvs = nested->kvlist_value().values();
  ASSERT_EQ(kvs.size(), 3);
  const auto& list = kvs[0].value().array_value().values();
  ASSERT_EQ(list.size(), 4);
  EXPECT_EQ(list[0].int_value(), 1);
  EXPECT_EQ(list[1].string_value(), "two");
  EXPECT_TRUE(list[2].array_value().values(0).bool_value());
  EXPECT_EQ(list[3].value_case(), otlp::AnyValue::VALUE_NOT_SET);
  EXPECT_EQ(kvs[1].value().kvlist_value().values(0).key(), "k");
  EXPECT_EQ(kvs[1].value().kvlist_value().values(0).value().double_value(), 3.0);
  EXPECT_FALSE(kvs[2].has_value());
}

TEST(OtlpJsonDecodeTest, BytesValueAcceptsBase64Variants) {
  const std::string bytes("\xff\xfe\xfd\x00", 4);
  EXPECT_EQ(DecodeAttribute(R"({"bytesValue":"//79AA=="})")->bytes_value(), bytes);
  EXPECT_EQ(DecodeAttribute(R"({"bytesValue":"//79AA"})")->bytes_value(), bytes);
  EXPECT_EQ(DecodeAttribute(R"({"bytesValue":"__79AA=="})")->bytes_value(), bytes);
  EXPECT_EQ(DecodeAttribute(R"({"bytesValue":"__79AA"})")->bytes_value(), bytes);
  EXPECT_EQ(DecodeAttribute(R"({"bytesValue":""})")->bytes_value(), "");
  EXPECT_THAT(DecodeAttribute(R"({"bytesValue":"@@@"})"),
              StatusIs(kInvalid, HasSubstr("value.bytesValue: is not valid base64")));
}

TEST(OtlpJsonDecodeTest, DoublesAcceptSpecialValuesAndStrings) {
  EXPECT_TRUE(std::isnan(DecodeAttribute(R"({"doubleValue":"NaN"})")->double_value()));
  EXPECT_EQ(DecodeAttribute(R"({"doubleValue":"Infinity"})")->double_value(),
            std::numeric_limits<double>::infinity());
  EXPECT_EQ(DecodeAttribute(R"({"doubleValue":"-Infinity"})")->double_value(),
            -std::numeric_limits<double>::infinity());
  EXPECT_EQ(DecodeAttribute(R"({"doubleValue":"2.5"})")->double_value(), 2.5);
  EXPECT_EQ(DecodeAttribute(R"({"doubleValue":7})")->double_value(), 7.0);
  EXPECT_EQ(DecodeAttribute(R"({"doubleValue":1e300})")->double_value(), 1e300);
  EXPECT_THAT(DecodeAttribute(R"({"doubleValue":"fast"})"),
              StatusIs(kInvalid, HasSubstr("doubleValue: expected a number, got \"fast\"")));
  EXPECT_THAT(DecodeAttribute(R"({"doubleValue":true})"),
              StatusIs(kInvalid, HasSubstr("doubleValue: expected a number, got boolean")));
}

TEST(OtlpJsonDecodeTest, InstrumentationLibrarySpansIsAnAliasOfScopeSpans) {
  for (const char* json : {
           R"({"resourceSpans":[{"instrumentationLibrarySpans":[{"instrumentationLibrary":
               {"name":"old-lib","version":"0.9"},"spans":[{"name":"legacy"}]}]}]})",
           R"({"resource_spans":[{"instrumentation_library_spans":[{"instrumentation_library":
               {"name":"old-lib","version":"0.9"},"spans":[{"name":"legacy"}]}]}]})"}) {
    auto request = Decode(json);
    SV_ASSERT_OK(request);
    const auto& scope_spans = request->resource_spans(0).scope_spans(0);
    EXPECT_EQ(scope_spans.scope().name(), "old-lib");
    EXPECT_EQ(scope_spans.scope().version(), "0.9");
    EXPECT_EQ(scope_spans.spans(0).name(), "legacy");
  }
}

TEST(OtlpJsonDecodeTest, IgnoresUnknownFieldsAndTreatsNullAsAbsent) {
  auto request = Decode(
      R"({"extra":1,"resourceSpans":[{"future":{"a":[1,2,{"b":null}]},"resource":null,
         "scopeSpans":[{"scope":{"name":"s","x":true},"spans":[{"name":"n","unknown":"u",
         "traceId":null,"kind":null,"attributes":[{"key":"k","value":{"stringValue":"v",
         "stringValueStrindex":3}}],"status":{"code":2,"deprecatedCode":1}}]}]}]})");
  SV_ASSERT_OK(request);
  EXPECT_FALSE(request->resource_spans(0).has_resource());
  const otlp::Span& span = FirstSpan(*request);
  EXPECT_EQ(span.name(), "n");
  EXPECT_TRUE(span.trace_id().empty());
  EXPECT_EQ(span.attributes(0).value().string_value(), "v");
  EXPECT_EQ(span.status().code(), otlp::Status::STATUS_CODE_ERROR);
}

TEST(OtlpJsonDecodeTest, RejectsInvalidJson) {
  EXPECT_THAT(Decode(R"({"resourceSpans":[)"),
              StatusIs(kInvalid, HasSubstr("invalid JSON: [json.exception.parse_error")));
  EXPECT_THAT(Decode("{\"a\": tru}"), StatusIs(kInvalid, HasSubstr("column 10")));
  EXPECT_THAT(Decode(""), StatusIs(kInvalid, HasSubstr("invalid JSON")));
}

TEST(OtlpJsonDecodeTest, RejectsWrongTypesNamingPathAndExpectedType) {
  EXPECT_THAT(Decode("[]"), StatusIs(kInvalid, "top level: expected an object, got array"));
  EXPECT_THAT(Decode(R"({"resourceSpans":{}})"),
              StatusIs(kInvalid, "resourceSpans: expected an array, got object"));
  EXPECT_THAT(Decode(R"({"resourceSpans":[{"scopeSpans":[{"spans":{}}]}]})"),
              StatusIs(kInvalid,
                       "resourceSpans[0].scopeSpans[0].spans: expected an array, got "
                       "object"));
  EXPECT_THAT(Decode(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{},7]}]}]})"),
              StatusIs(kInvalid,
                       "resourceSpans[0].scopeSpans[0].spans[1]: expected an object, got "
                       "number"));
  EXPECT_THAT(Decode(SpanJson(R"("name":5)")),
              StatusIs(kInvalid, absl::StrCat(kSpanPath, ".name: expected a string, got number")));
  EXPECT_THAT(Decode(R"({"resourceSpans":[{"resource":[]}]})"),
              StatusIs(kInvalid, "resourceSpans[0].resource: expected an object, got array"));
  EXPECT_THAT(Decode(SpanJson(R"("status":"ok")")),
              StatusIs(kInvalid, HasSubstr("spans[0].status: expected an object, got string")));
  EXPECT_THAT(DecodeAttribute(R"({"boolValue":"true"})"),
              StatusIs(kInvalid, HasSubstr("value.boolValue: expected a boolean, got string")));
  EXPECT_THAT(
      DecodeAttribute(R"({"arrayValue":{"values":[1]}})"),
      StatusIs(kInvalid, HasSubstr("arrayValue.values[0]: expected an object, got number")));
  EXPECT_THAT(DecodeAttribute(R"("plain")"),
              StatusIs(kInvalid, HasSubstr("attributes[0].value: expected an object, got string")));
  EXPECT_THAT(DecodeAttribute(R"({"stringValue":"a","intValue":1})"),
              StatusIs(kInvalid, HasSubstr("value: more than one value kind is set")));
}

// An AnyValue nested `levels` deep, alternating arrays and key-value lists.
std::string NestedValue(int levels) {
  std::string value = R"({"intValue":1})";
  for (int level = 2; level <= levels; ++level) {
    value = level % 2 == 0
                ? absl::StrCat(R"({"arrayValue":{"values":[)", value, "]}}")
                : absl::StrCat(R"({"kvlistValue":{"values":[{"key":"k","value":)", value, "}]}}");
  }
  return value;
}

TEST(OtlpJsonDecodeTest, BoundsAnyValueNesting) {
  auto deepest = DecodeAttribute(NestedValue(32));
  SV_ASSERT_OK(deepest);
  EXPECT_EQ(deepest->array_value().values(0).kvlist_value().values(0).key(), "k");
  EXPECT_THAT(DecodeAttribute(NestedValue(33)),
              StatusIs(kInvalid, HasSubstr("AnyValue nesting is deeper than 32 levels")));
  // The same limit applies inside events and links, which sit deeper in the document.
  EXPECT_THAT(Decode(SpanJson(absl::StrCat(R"("events":[{"attributes":[{"key":"k","value":)",
                                           NestedValue(33), "}]}]"))),
              StatusIs(kInvalid, HasSubstr("events[0].attributes[0].value.kvlistValue")));
  SV_EXPECT_OK(Decode(SpanJson(
      absl::StrCat(R"("events":[{"attributes":[{"key":"k","value":)", NestedValue(32), "}]}]"))));
}

// An AnyValue of `levels` key-value lists, the costliest nesting in protobuf messages.
std::string NestedKvlists(int levels) {
  std::string value = R"({"intValue":1})";
  for (int level = 2; level <= levels; ++level) {
    value = absl::StrCat(R"({"kvlistValue":{"values":[{"key":"k","value":)", value, "}]}}");
  }
  return value;
}

// Whatever the JSON decoder accepts must parse back from protobuf (its recursion limit is 100
// messages): the stored span record and the pending sampler state are protobuf. A deeper value
// was once acknowledged and then answered with "a stored span record does not parse".
TEST(OtlpJsonDecodeTest, AcceptedNestingStillParsesAsProtobuf) {
  auto request = Decode(SpanJson(
      absl::StrCat(R"("events":[{"attributes":[{"key":"k","value":)", NestedKvlists(32), "}]}]")));
  SV_ASSERT_OK(request);
  ExportRequest reparsed;
  EXPECT_TRUE(reparsed.ParseFromString(request->SerializeAsString()));
  EXPECT_THAT(Decode(SpanJson(
                  absl::StrCat(R"("attributes":[{"key":"k","value":)", NestedKvlists(33), "}]"))),
              StatusIs(kInvalid, HasSubstr("AnyValue nesting is deeper than 32 levels")));
}

TEST(OtlpJsonDecodeTest, RejectsHostileJsonNestingWithoutCrashing) {
  constexpr int kDepth = 100000;
  const std::string arrays = std::string(kDepth, '[') + std::string(kDepth, ']');
  EXPECT_THAT(Decode(AttributeJson(absl::StrCat(R"({"arrayValue":)", arrays, "}"))),
              StatusIs(kInvalid, HasSubstr("invalid JSON: nesting is deeper than")));
  // Also when the deep part is an unknown field and when the text is cut off.
  EXPECT_THAT(Decode(absl::StrCat(R"({"x":)", std::string(kDepth, '{'))),
              StatusIs(kInvalid, HasSubstr("nesting is deeper than")));
  const std::string objects = absl::StrCat(std::string(kDepth, '['), R"({"a":1})");
  EXPECT_THAT(Decode(absl::StrCat(R"({"x":)", objects, std::string(kDepth, ']'), "}")),
              StatusIs(kInvalid, HasSubstr("nesting is deeper than")));
}

TEST(OtlpJsonDecodeTest, BracketsInsideStringsDoNotCountAsNesting) {
  const std::string name = std::string(5000, '[') + "\\\"{" + std::string(5000, '{');
  auto request = Decode(SpanJson(absl::StrCat(R"("name":")", name, "\"")));
  SV_ASSERT_OK(request);
  EXPECT_EQ(FirstSpan(*request).name().size(), 10002u);
}

TEST(OtlpJsonDecodeTest, ClearsOutputFirstAndOnError) {
  ExportRequest request;
  request.add_resource_spans()->set_schema_url("stale");
  SV_ASSERT_OK(DecodeOtlpJson(R"({"resourceSpans":[{"schemaUrl":"fresh"}]})", &request));
  ASSERT_EQ(request.resource_spans_size(), 1);
  EXPECT_EQ(request.resource_spans(0).schema_url(), "fresh");
  EXPECT_THAT(DecodeOtlpJson(SpanJson(R"("name":1)"), &request), StatusIs(kInvalid));
  EXPECT_EQ(request.resource_spans_size(), 0);
  SV_ASSERT_OK(DecodeOtlpJson("{}", &request));
  EXPECT_EQ(request.resource_spans_size(), 0);
}

otlp::AnyValue* AddAttribute(otlp::Attributes* attributes, std::string_view key) {
  otlp::KeyValue* kv = attributes->Add();
  kv->set_key(std::string(key));
  return kv->mutable_value();
}

// A TracesData that sets every field the encoder writes, with unusual values where they matter.
otlp::TracesData RichTracesData() {
  otlp::TracesData data;
  otlp::ResourceSpans* rs = data.add_resource_spans();
  rs->set_schema_url("https://opentelemetry.io/schemas/1.21.0");
  AddAttribute(rs->mutable_resource()->mutable_attributes(), "service.name")
      ->set_string_value("checkout");
  rs->mutable_resource()->set_dropped_attributes_count(1);
  auto* ref = rs->mutable_resource()->add_entity_refs();
  ref->set_type("service");
  ref->add_id_keys("service.name");
  ref->add_description_keys("service.version");
  otlp::ScopeSpans* ss = rs->add_scope_spans();
  ss->set_schema_url("scope-url");
  ss->mutable_scope()->set_name("lib");
  ss->mutable_scope()->set_version("2.0");
  AddAttribute(ss->mutable_scope()->mutable_attributes(), "scope.attr")->set_bool_value(false);
  ss->mutable_scope()->set_dropped_attributes_count(2);
  otlp::Span* span = ss->add_spans();
  span->set_trace_id(Bytes("5B8EFFF798038103D269B633813FC60C"));
  span->set_span_id(Bytes(kSpanHex));
  span->set_parent_span_id(Bytes("00f067aa0ba902b7"));
  span->set_trace_state("k=v");
  span->set_flags(0x301);
  span->set_name("GET /");
  span->set_kind(otlp::Span::SPAN_KIND_PRODUCER);
  span->set_start_time_unix_nano(std::numeric_limits<uint64_t>::max());
  span->set_end_time_unix_nano(1700000000500000000u);
  otlp::Attributes* attrs = span->mutable_attributes();
  AddAttribute(attrs, "s")->set_string_value("");
  AddAttribute(attrs, "i")->set_int_value(std::numeric_limits<int64_t>::min());
  AddAttribute(attrs, "zero")->set_int_value(0);
  AddAttribute(attrs, "d")->set_double_value(-0.1);
  AddAttribute(attrs, "nan")->set_double_value(std::numeric_limits<double>::quiet_NaN());
  AddAttribute(attrs, "inf")->set_double_value(-std::numeric_limits<double>::infinity());
  AddAttribute(attrs, "b")->set_bool_value(true);
  AddAttribute(attrs, "bytes")->set_bytes_value(std::string("\x00\xff\x10", 3));
  otlp::AnyValue* array = AddAttribute(attrs, "array");
  array->mutable_array_value()->add_values()->set_int_value(7);
  array->mutable_array_value()->add_values();  // An unset value.
  otlp::AnyValue* kvlist = AddAttribute(attrs, "kvlist");
  AddAttribute(kvlist->mutable_kvlist_value()->mutable_values(), "inner")
      ->mutable_array_value()
      ->add_values()
      ->set_string_value("x");
  kvlist->mutable_kvlist_value()->add_values()->set_key("no value");
  span->set_dropped_attributes_count(3);
  otlp::Span::Event* event = span->add_events();
  event->set_time_unix_nano(1700000000100000000u);
  event->set_name("exception");
  AddAttribute(event->mutable_attributes(), "exception.type")->set_string_value("Boom");
  event->set_dropped_attributes_count(4);
  span->add_events();  // An empty event.
  span->set_dropped_events_count(5);
  otlp::Span::Link* link = span->add_links();
  link->set_trace_id(Bytes("0123456789abcdef0123456789abcdef"));
  link->set_span_id(Bytes("abcdef0123456789"));
  link->set_trace_state("l=1");
  AddAttribute(link->mutable_attributes(), "link.attr")->set_double_value(2);
  link->set_dropped_attributes_count(6);
  link->set_flags(0x101);
  span->set_dropped_links_count(7);
  span->mutable_status()->set_code(otlp::Status::STATUS_CODE_ERROR);
  span->mutable_status()->set_message("failed");
  otlp::Span* minimal = ss->add_spans();
  minimal->set_trace_id(Bytes(kTraceHex));
  minimal->set_span_id(Bytes("1111111111111111"));
  minimal->mutable_status();
  data.add_resource_spans();  // No resource, no scope spans.
  return data;
}

TEST(OtlpJsonEncodeTest, WritesOtlpJsonForm) {
  const nlohmann::json json = TracesDataToJson(RichTracesData());
  const nlohmann::json& span = json["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  EXPECT_EQ(span["traceId"], kTraceHex);  // Lowercase hex, not base64.
  EXPECT_EQ(span["spanId"], kSpanHex);
  EXPECT_EQ(span["parentSpanId"], "00f067aa0ba902b7");
  EXPECT_EQ(span["kind"], 4);
  EXPECT_EQ(span["flags"], 0x301);
  EXPECT_EQ(span["startTimeUnixNano"], "18446744073709551615");
  EXPECT_EQ(span["status"], nlohmann::json::parse(R"({"code":2,"message":"failed"})"));
  const nlohmann::json& attrs = span["attributes"];
  EXPECT_EQ(attrs[0], nlohmann::json::parse(R"({"key":"s","value":{"stringValue":""}})"));
  EXPECT_EQ(attrs[1]["value"]["intValue"], "-9223372036854775808");
  EXPECT_EQ(attrs[2]["value"]["intValue"], "0");
  EXPECT_EQ(attrs[3]["value"]["doubleValue"], -0.1);
  EXPECT_EQ(attrs[4]["value"]["doubleValue"], "NaN");
  EXPECT_EQ(attrs[5]["value"]["doubleValue"], "-Infinity");
  EXPECT_EQ(attrs[7]["value"]["bytesValue"], "AP8Q");
  EXPECT_EQ(attrs[8]["value"]["arrayValue"],
            nlohmann::json::parse(R"({"values":[{"intValue":"7"},{}]})"));
  EXPECT_EQ(span["events"][0]["timeUnixNano"], "1700000000100000000");
  EXPECT_EQ(span["events"][1], nlohmann::json::object());
  EXPECT_EQ(span["links"][0]["traceId"], "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(json["resourceSpans"][1], nlohmann::json::object());
}

TEST(OtlpJsonEncodeTest, OmitsDefaultsButAlwaysWritesStatusAndResourceSpans) {
  EXPECT_EQ(TracesDataToJson(otlp::TracesData()).dump(), R"({"resourceSpans":[]})");
  otlp::TracesData data;
  otlp::Span* span = data.add_resource_spans()->add_scope_spans()->add_spans();
  span->set_trace_id(Bytes(kTraceHex));
  span->set_span_id(Bytes(kSpanHex));
  span->set_name("n");
  EXPECT_EQ(TracesDataToJson(data).dump(),
            absl::StrCat(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"n","spanId":")",
                         kSpanHex, R"(","status":{},"traceId":")", kTraceHex, R"("}]}]}]})"));
}

TEST(OtlpJsonEncodeTest, DecodeOfEncodeRoundTrips) {
  const otlp::TracesData original = RichTracesData();
  const std::string text = TracesDataToJson(original).dump();
  ExportRequest request;
  SV_ASSERT_OK(DecodeOtlpJson(text, &request));
  otlp::TracesData decoded;
  *decoded.mutable_resource_spans() = request.resource_spans();
  EXPECT_EQ(decoded.DebugString(), original.DebugString()) << text;
  // Byte equality also covers what DebugString hides (NaN payloads, -0.0).
  EXPECT_EQ(decoded.SerializeAsString(), original.SerializeAsString());
}

TEST(OtlpJsonEncodeTest, ExportResponseToJson) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
  EXPECT_EQ(ExportResponseToJson(response), "{}");
  response.mutable_partial_success();
  EXPECT_EQ(ExportResponseToJson(response), "{}");
  response.mutable_partial_success()->set_rejected_spans(3);
  response.mutable_partial_success()->set_error_message("3 spans had an all-zero trace id");
  EXPECT_EQ(ExportResponseToJson(response),
            R"({"partialSuccess":{"errorMessage":"3 spans had an all-zero trace id",)"
            R"("rejectedSpans":"3"}})");
  response.mutable_partial_success()->set_rejected_spans(0);
  EXPECT_EQ(ExportResponseToJson(response),
            R"({"partialSuccess":{"errorMessage":"3 spans had an all-zero trace id"}})");
}

TEST(OtlpJsonEncodeTest, RpcStatusToJsonOmitsDetails) {
  google::rpc::Status status;
  status.set_code(3);
  status.set_message("resourceSpans: expected an array, got \"object\"");
  status.add_details()->set_type_url("type.googleapis.com/google.rpc.BadRequest");
  EXPECT_EQ(RpcStatusToJson(status),
            R"({"code":3,"message":"resourceSpans: expected an array, got \"object\""})");
  status.set_message("bad byte \xff");
  EXPECT_EQ(nlohmann::json::parse(RpcStatusToJson(status))["code"], 3);  // Does not throw.
}

}  // namespace
}  // namespace spanvault
