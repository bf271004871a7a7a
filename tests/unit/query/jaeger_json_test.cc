#include "query/jaeger_json.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/ids.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/jaeger_trace_text.h"
#include "tests/testing/span_builder.h"

namespace spanvault {
namespace {

using ::nlohmann::json;
using ::spanvault::testing::AddResource;
using ::spanvault::testing::AddSpan;
using ::spanvault::testing::AddValue;
using ::spanvault::testing::Bytes;
using ::testing::ElementsAre;

// 16 bytes whose high half is zero: Jaeger prints 16 hex digits.
constexpr std::string_view kShortTraceHex = "00000000000000001122334455667788";
// A trace id of another trace, for remote links.
constexpr std::string_view kRemoteTraceHex = "0102030405060708090a0b0c0d0e0f10";

void AddString(otlp::Attributes* attrs, std::string_view key, std::string_view value) {
  otlp::KeyValue* kv = attrs->Add();
  kv->set_key(std::string(key));
  kv->mutable_value()->set_string_value(std::string(value));
}

// Every attribute type, on the root span.
void AddEveryAttributeType(otlp::Span* span) {
  otlp::Attributes* attrs = span->mutable_attributes();
  AddString(attrs, "http.method", "GET");
  AddValue(attrs, "retried")->set_bool_value(true);
  AddValue(attrs, "http.status_code")->set_int_value(200);
  AddValue(attrs, "max.safe")->set_int_value(9007199254740991);
  AddValue(attrs, "big")->set_int_value(9007199254740993);
  AddValue(attrs, "negative.big")->set_int_value(std::numeric_limits<int64_t>::min());
  AddValue(attrs, "ratio")->set_double_value(0.25);
  AddValue(attrs, "nan")->set_double_value(std::nan(""));
  AddValue(attrs, "inf")->set_double_value(-std::numeric_limits<double>::infinity());
  AddValue(attrs, "payload")->set_bytes_value(std::string("\x00\x00\x30\x39", 4));
  otlp::AnyValue* list = AddValue(attrs, "list");
  list->mutable_array_value()->add_values()->set_string_value("a");
  list->mutable_array_value()->add_values()->set_int_value(1);
  otlp::KeyValue* entry = AddValue(attrs, "map")->mutable_kvlist_value()->add_values();
  entry->set_key("k");
  entry->mutable_value()->set_string_value("v");
  AddValue(attrs, "unset");
}

// frontend (p1): root (SERVER, OK, sampled) and child (CLIENT, ERROR, events, links).
// backend (p2): one span whose only link points at its parent.
// A third resource identical to frontend: its span shares p1.
otlp::TracesData SampleTrace() {
  otlp::TracesData trace;
  otlp::ResourceSpans* frontend = AddResource(trace, "frontend", "h1");
  otlp::ScopeSpans* http = frontend->add_scope_spans();
  http->mutable_scope()->set_name("io.opentelemetry.http");
  http->mutable_scope()->set_version("1.2.3");
  otlp::Span* child = AddSpan(http, kShortTraceHex, "00000000000000c2", "00000000000000a1",
                              "GET /api", 1'000'200'999, 1'000'700'000);
  child->set_kind(otlp::Span::SPAN_KIND_CLIENT);
  child->mutable_status()->set_code(otlp::Status::STATUS_CODE_ERROR);
  child->mutable_status()->set_message("boom");
  otlp::Span::Event* retry = child->add_events();
  retry->set_name("retry");
  retry->set_time_unix_nano(1'000'300'123);
  AddValue(retry->mutable_attributes(), "attempt")->set_int_value(2);
  otlp::Span::Event* own = child->add_events();
  own->set_name("ignored name");
  own->set_time_unix_nano(1'000'400'000);
  AddString(own->mutable_attributes(), "level", "warn");
  AddString(own->mutable_attributes(), "event", "custom");
  otlp::Span::Link* remote = child->add_links();
  remote->set_trace_id(Bytes(kRemoteTraceHex));
  remote->set_span_id(Bytes("00000000000000ff"));
  otlp::Span::Link* child_of = child->add_links();
  child_of->set_trace_id(Bytes(kShortTraceHex));
  child_of->set_span_id(Bytes("00000000000000ee"));
  AddString(child_of->mutable_attributes(), "opentracing.ref_type", "child_of");

  otlp::Span* root =
      AddSpan(http, kShortTraceHex, "00000000000000a1", "", "GET /", 1'000'000'500, 1'001'000'000);
  root->set_kind(otlp::Span::SPAN_KIND_SERVER);
  root->mutable_status()->set_code(otlp::Status::STATUS_CODE_OK);
  root->set_flags(0x301);
  root->set_trace_state("vendor=x");
  AddEveryAttributeType(root);

  otlp::ResourceSpans* backend = AddResource(trace, "backend", "");
  otlp::Span* db = AddSpan(backend->add_scope_spans(), kShortTraceHex, "00000000000000d3",
                           "00000000000000c2", "SELECT", 1'000'250'000, 1'000'240'000);
  db->add_links()->set_trace_id(Bytes(kShortTraceHex));
  db->mutable_links(0)->set_span_id(Bytes("00000000000000c2"));

  // Starts in the same microsecond as root, with a smaller span id: sorted before it.
  otlp::ResourceSpans* again = AddResource(trace, "frontend", "h1");
  AddSpan(again->add_scope_spans(), kShortTraceHex, "000000000000000b", "00000000000000a1",
          "internal", 1'000'000'900, 1'000'001'000)
      ->set_kind(otlp::Span::SPAN_KIND_INTERNAL);
  return trace;
}

std::vector<std::string> Keys(const json& kvs) {
  std::vector<std::string> keys;
  for (const auto& kv : kvs) keys.push_back(kv.at("key").get<std::string>());
  return keys;
}

const json* FindSpan(const json& trace, std::string_view span_id) {
  for (const auto& span : trace.at("spans")) {
    if (span.at("spanID") == span_id) return &span;
  }
  return nullptr;
}

TEST(TraceToJaegerJsonTest, TopLevelAndProcesses) {
  json out = TraceToJaegerJson(SampleTrace());
  EXPECT_EQ(out.at("traceID"), "1122334455667788");
  EXPECT_TRUE(out.at("warnings").is_null());
  EXPECT_EQ(out.at("processes"), json::parse(R"({
    "p1": {"serviceName": "frontend",
           "tags": [{"key": "host.name", "type": "string", "value": "h1"}]},
    "p2": {"serviceName": "backend", "tags": []}
  })"));
  ASSERT_NE(FindSpan(out, "000000000000000b"), nullptr);
  EXPECT_EQ(FindSpan(out, "000000000000000b")->at("processID"), "p1");
  EXPECT_EQ(FindSpan(out, "00000000000000d3")->at("processID"), "p2");
}

TEST(TraceToJaegerJsonTest, SpansSortedByStartTimeThenSpanId) {
  json out = TraceToJaegerJson(SampleTrace());
  std::vector<std::string> ids;
  for (const auto& span : out.at("spans")) ids.push_back(span.at("spanID").get<std::string>());
  EXPECT_THAT(ids, ElementsAre("000000000000000b", "00000000000000a1", "00000000000000c2",
                               "00000000000000d3"));
}

TEST(TraceToJaegerJsonTest, RootSpanExactJson) {
  json out = TraceToJaegerJson(SampleTrace());
  const json* root = FindSpan(out, "00000000000000a1");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(*root, json::parse(R"({
    "traceID": "1122334455667788",
    "spanID": "00000000000000a1",
    "flags": 1,
    "operationName": "GET /",
    "references": [],
    "startTime": 1000000,
    "duration": 999,
    "tags": [
      {"key": "otel.scope.name", "type": "string", "value": "io.opentelemetry.http"},
      {"key": "otel.scope.version", "type": "string", "value": "1.2.3"},
      {"key": "http.method", "type": "string", "value": "GET"},
      {"key": "retried", "type": "bool", "value": true},
      {"key": "http.status_code", "type": "int64", "value": 200},
      {"key": "max.safe", "type": "int64", "value": 9007199254740991},
      {"key": "big", "type": "int64", "value": "9007199254740993"},
      {"key": "negative.big", "type": "int64", "value": "-9223372036854775808"},
      {"key": "ratio", "type": "float64", "value": 0.25},
      {"key": "nan", "type": "string", "value": "NaN"},
      {"key": "inf", "type": "string", "value": "-Inf"},
      {"key": "payload", "type": "binary", "value": "AAAwOQ=="},
      {"key": "list", "type": "string", "value": "[\"a\",1]"},
      {"key": "map", "type": "string", "value": "{\"k\":\"v\"}"},
      {"key": "unset", "type": "string", "value": ""},
      {"key": "span.kind", "type": "string", "value": "server"},
      {"key": "otel.status_code", "type": "string", "value": "OK"},
      {"key": "w3c.tracestate", "type": "string", "value": "vendor=x"}
    ],
    "logs": [],
    "processID": "p1",
    "warnings": null
  })"));
}

TEST(TraceToJaegerJsonTest, ChildSpanExactJson) {
  json out = TraceToJaegerJson(SampleTrace());
  const json* child = FindSpan(out, "00000000000000c2");
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(*child, json::parse(R"({
    "traceID": "1122334455667788",
    "spanID": "00000000000000c2",
    "operationName": "GET /api",
    "references": [
      {"refType": "CHILD_OF", "traceID": "1122334455667788", "spanID": "00000000000000a1"},
      {"refType": "FOLLOWS_FROM", "traceID": "0102030405060708090a0b0c0d0e0f10",
       "spanID": "00000000000000ff"},
      {"refType": "CHILD_OF", "traceID": "1122334455667788", "spanID": "00000000000000ee"}
    ],
    "startTime": 1000200,
    "duration": 499,
    "tags": [
      {"key": "otel.scope.name", "type": "string", "value": "io.opentelemetry.http"},
      {"key": "otel.scope.version", "type": "string", "value": "1.2.3"},
      {"key": "span.kind", "type": "string", "value": "client"},
      {"key": "otel.status_code", "type": "string", "value": "ERROR"},
      {"key": "error", "type": "bool", "value": true},
      {"key": "otel.status_description", "type": "string", "value": "boom"}
    ],
    "logs": [
      {"timestamp": 1000300, "fields": [
        {"key": "event", "type": "string", "value": "retry"},
        {"key": "attempt", "type": "int64", "value": 2}]},
      {"timestamp": 1000400, "fields": [
        {"key": "level", "type": "string", "value": "warn"},
        {"key": "event", "type": "string", "value": "custom"}]}
    ],
    "processID": "p1",
    "warnings": null
  })"));
}

TEST(TraceToJaegerJsonTest, LinkToParentOnlyOverridesParentRefType) {
  json out = TraceToJaegerJson(SampleTrace());
  const json* db = FindSpan(out, "00000000000000d3");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->at("references"), json::parse(R"([
    {"refType": "FOLLOWS_FROM", "traceID": "1122334455667788", "spanID": "00000000000000c2"}
  ])"));
  // No scope, kind or status: no derived tags. Flags 0 are omitted; end < start is duration 0.
  EXPECT_EQ(db->at("tags"), json::array());
  EXPECT_FALSE(db->contains("flags"));
  EXPECT_EQ(db->at("duration"), 0);
}

TEST(TraceToJaegerJsonTest, InternalKindIsTagged) {
  json out = TraceToJaegerJson(SampleTrace());
  const json* span = FindSpan(out, "000000000000000b");
  ASSERT_NE(span, nullptr);
  EXPECT_THAT(Keys(span->at("tags")), ElementsAre("span.kind"));
  EXPECT_EQ(span->at("tags")[0].at("value"), "internal");
}

TEST(TraceToJaegerJsonTest, FullTraceIdHasThirtyTwoDigits) {
  otlp::TracesData trace;
  otlp::ResourceSpans* rs = AddResource(trace, "svc", "");
  AddSpan(rs->add_scope_spans(), kRemoteTraceHex, "0000000000000001", "0000000000000002", "op",
          5'000, 6'000);
  json out = TraceToJaegerJson(trace);
  EXPECT_EQ(out.at("traceID"), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(out.at("spans")[0].at("traceID"), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(out.at("spans")[0].at("references")[0].at("traceID"),
            "0102030405060708090a0b0c0d0e0f10");
}

TEST(TraceToJaegerJsonTest, ResourceWithoutServiceName) {
  otlp::TracesData trace;
  otlp::ResourceSpans* rs = AddResource(trace, "", "");
  AddSpan(rs->add_scope_spans(), kShortTraceHex, "0000000000000001", "", "op", 5'000, 6'000);
  json out = TraceToJaegerJson(trace);
  EXPECT_EQ(out.at("processes"),
            json::parse(R"({"p1": {"serviceName": "OTLPResourceNoServiceName", "tags": []}})"));
}

TEST(TraceToJaegerJsonTest, ResourceWithoutSpansGetsNoProcess) {
  otlp::TracesData trace;
  AddResource(trace, "empty", "")->add_scope_spans();
  otlp::ResourceSpans* rs = AddResource(trace, "svc", "");
  AddSpan(rs->add_scope_spans(), kShortTraceHex, "0000000000000001", "", "op", 5'000, 6'000);
  json out = TraceToJaegerJson(trace);
  EXPECT_EQ(out.at("processes"), json::parse(R"({"p1": {"serviceName": "svc", "tags": []}})"));
  EXPECT_EQ(out.at("spans")[0].at("processID"), "p1");
}

TEST(TraceToJaegerJsonTest, EmptyTrace) {
  EXPECT_EQ(TraceToJaegerJson(otlp::TracesData()),
            json::parse(R"({"traceID": "", "spans": [], "processes": {}, "warnings": null})"));
}

TEST(TraceToJaegerJsonTest, InvalidUtf8DoesNotThrowWithReplaceHandler) {
  otlp::TracesData trace;
  otlp::ResourceSpans* rs = AddResource(trace, "svc", "");
  otlp::Span* span =
      AddSpan(rs->add_scope_spans(), kShortTraceHex, "0000000000000001", "", "op\xff", 1, 2);
  AddString(span->mutable_attributes(), "bad", "\xc3\x28");
  json out = TraceToJaegerJson(trace);
  std::string dumped;
  EXPECT_NO_THROW(dumped = out.dump(-1, ' ', false, json::error_handler_t::replace));
  EXPECT_NE(dumped.find("\"op\xEF\xBF\xBD\""), std::string::npos);
}

// The HTTP API renders traces with WriteJaegerTrace: the same bytes as this document dumped
// with the API's arguments, compact and pretty (more cases: jaeger_trace_text_test.cc).
TEST(TraceToJaegerJsonTest, WriteJaegerTraceIsByteIdentical) {
  const otlp::TracesData trace = SampleTrace();
  for (int indent : {-1, 4}) {
    std::string text;
    JsonWriter writer(text, indent);
    WriteJaegerTrace(trace, {}, writer);
    EXPECT_EQ(text,
              TraceToJaegerJson(trace).dump(indent, ' ', false, json::error_handler_t::replace));
  }
}

}  // namespace
}  // namespace spanvault
