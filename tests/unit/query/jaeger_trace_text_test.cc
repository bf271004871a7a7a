// JaegerTracesBody and WriteJaegerTrace print byte for byte what the HTTP API printed before
// them: TraceToJaegerJson's document (query/jaeger_json.h), in the envelope, dumped with the
// API's arguments. The sample traces of jaeger_json_test.cc and jaeger_model_test.cc are
// compared there; these are the edge cases.

#include "query/jaeger_trace_text.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "query/jaeger_json.h"
#include "tests/testing/span_builder.h"

namespace spanvault {
namespace {

using ::nlohmann::json;
using ::spanvault::testing::AddResource;
using ::spanvault::testing::AddSpan;
using ::spanvault::testing::AddValue;
using ::spanvault::testing::Bytes;

constexpr std::string_view kTraceHex = "0102030405060708090a0b0c0d0e0f10";
constexpr std::string_view kShortTraceHex = "00000000000000001122334455667788";

// The envelope as jaeger_http_api.cc built it with nlohmann::json before JaegerTracesBody.
std::string OracleBody(const std::vector<otlp::TracesData>& traces,
                       const std::vector<std::string_view>& warnings,
                       const std::vector<JaegerTraceError>& errors, bool pretty) {
  json data = json::array();
  for (const auto& trace : traces) {
    json rendered = TraceToJaegerJson(trace);
    if (!warnings.empty()) {
      rendered["warnings"] = json::array();
      for (std::string_view w : warnings) rendered["warnings"].push_back(std::string(w));
    }
    data.push_back(std::move(rendered));
  }
  json body = {
      {"data", std::move(data)}, {"total", 0}, {"limit", 0}, {"offset", 0}, {"errors", nullptr}};
  if (!errors.empty()) {
    body["errors"] = json::array();
    for (const auto& e : errors)
      body["errors"].push_back({{"msg", e.msg}, {"traceID", e.trace_id}});
  }
  return body.dump(pretty ? 4 : -1, ' ', false, json::error_handler_t::replace);
}

std::string Rendered(const otlp::TracesData& trace, int indent = -1) {
  std::string out;
  JsonWriter writer(out, indent);
  WriteJaegerTrace(trace, {}, writer);
  return out;
}

std::string Oracle(const otlp::TracesData& trace, int indent = -1) {
  return TraceToJaegerJson(trace).dump(indent, ' ', false, json::error_handler_t::replace);
}

// Compact and pretty, alone and in the envelope.
void ExpectIdentical(const otlp::TracesData& trace) {
  EXPECT_EQ(Rendered(trace), Oracle(trace));
  EXPECT_EQ(Rendered(trace, 4), Oracle(trace, 4));
  for (bool pretty : {false, true}) {
    EXPECT_EQ(JaegerTracesBody({&trace, 1}, {}, {}, pretty), OracleBody({trace}, {}, {}, pretty));
  }
}

otlp::Span* OneSpan(otlp::TracesData& trace, std::string_view service = "shop-api") {
  return AddSpan(AddResource(trace, service, "h1")->add_scope_spans(), kTraceHex,
                 "00000000000000a1", "", "GET /", 1'700'000'000'123'456'789,
                 1'700'000'000'223'456'789);
}

TEST(JaegerTraceTextTest, EmptyTrace) { ExpectIdentical(otlp::TracesData()); }

TEST(JaegerTraceTextTest, InvalidUtf8ControlCharactersQuotesAndBackslashes) {
  const std::vector<std::string> hostile = {"\xff\xfe",
                                            "ok\xc3",
                                            "\xe2\x82",
                                            "\xed\xa0\x80",
                                            "\xf4\x90\x80\x80",
                                            "\xc0\xaf",
                                            "a\"b\\c/d",
                                            "\b\f\n\r\t\x01\x1f\x7f",
                                            std::string("nul\0byte", 8),
                                            "Grüße 😀"};
  otlp::TracesData trace;
  otlp::ResourceSpans* rs = AddResource(trace, hostile[0], hostile[1]);
  otlp::ScopeSpans* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name(hostile[2]);
  ss->mutable_scope()->set_version(hostile[3]);
  otlp::Span* span = AddSpan(ss, kTraceHex, "00000000000000a1", "", hostile[4], 1, 2);
  span->mutable_status()->set_code(otlp::Status::STATUS_CODE_ERROR);
  span->mutable_status()->set_message(hostile[5]);
  span->set_trace_state(hostile[6]);
  for (const auto& s : hostile) AddValue(span->mutable_attributes(), s)->set_string_value(s);
  otlp::Span::Event* event = span->add_events();
  event->set_name(hostile[7]);
  AddValue(event->mutable_attributes(), hostile[8])->set_string_value(hostile[9]);
  AddValue(rs->mutable_resource()->mutable_attributes(), hostile[6])->set_string_value(hostile[7]);
  ExpectIdentical(trace);
}

TEST(JaegerTraceTextTest, HugeIntsAsStrings) {
  otlp::TracesData trace;
  otlp::Span* span = OneSpan(trace);
  const int64_t safe = (int64_t{1} << 53) - 1;
  for (int64_t i : {int64_t{0}, int64_t{-7}, safe, -safe, safe + 1, -safe - 1, safe + 2,
                    std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    AddValue(span->mutable_attributes(), absl::StrCat("i", i))->set_int_value(i);
  }
  ExpectIdentical(trace);
}

TEST(JaegerTraceTextTest, DoublesNanAndInfinities) {
  otlp::TracesData trace;
  otlp::Span* span = OneSpan(trace);
  const double inf = std::numeric_limits<double>::infinity();
  for (double d : {0.0, -0.0, 0.25, 0.1, 1.0, -2.5e-5, 1e15, 1e16, 1e300, 5e-324, 123456789.125,
                   std::nan(""), -std::nan(""), inf, -inf}) {
    AddValue(span->mutable_attributes(), absl::StrCat("d", d))->set_double_value(d);
  }
  ExpectIdentical(trace);
}

TEST(JaegerTraceTextTest, BinaryArraysMapsBoolsAndUnsetValues) {
  otlp::TracesData trace;
  otlp::Span* span = OneSpan(trace);
  otlp::Attributes* attrs = span->mutable_attributes();
  AddValue(attrs, "empty.bytes")->set_bytes_value("");
  AddValue(attrs, "bytes")->set_bytes_value(std::string("\x00\xff\xfe\x80", 4));
  AddValue(attrs, "yes")->set_bool_value(true);
  AddValue(attrs, "no")->set_bool_value(false);
  AddValue(attrs, "unset");
  otlp::AnyValue* list = AddValue(attrs, "list");
  list->mutable_array_value()->add_values()->set_string_value("a\xff\"");
  list->mutable_array_value()->add_values()->set_double_value(std::nan(""));
  otlp::KeyValue* entry = AddValue(attrs, "map")->mutable_kvlist_value()->add_values();
  entry->set_key("k\n");
  entry->mutable_value()->set_int_value(std::numeric_limits<int64_t>::max());
  ExpectIdentical(trace);
}

TEST(JaegerTraceTextTest, LinksEventsFlagsAndOddIds) {
  otlp::TracesData trace;
  otlp::ScopeSpans* ss = AddResource(trace, "shop-api", "h1")->add_scope_spans();
  otlp::Span* root = AddSpan(ss, kShortTraceHex, "00000000000000a1", "", "root", 10, 5000);
  root->set_flags(0x301);
  otlp::Span* child =
      AddSpan(ss, kShortTraceHex, "00000000000000b2", "00000000000000a1", "child", 20, 30);
  otlp::Span::Link* to_parent = child->add_links();
  to_parent->set_trace_id(Bytes(kShortTraceHex));
  to_parent->set_span_id(Bytes("00000000000000a1"));
  AddValue(to_parent->mutable_attributes(), "opentracing.ref_type")->set_string_value("child_of");
  otlp::Span::Link* remote = child->add_links();
  remote->set_trace_id(Bytes(kTraceHex));
  remote->set_span_id(Bytes("00000000000000ff"));
  otlp::Span::Link* odd = child->add_links();  // ids of the wrong length and all zeros
  odd->set_trace_id(std::string(16, '\0'));
  odd->set_span_id(std::string("\x01\x02", 2));
  child->add_links()->set_trace_id(std::string("\x0a\x0b\x0c", 3));
  otlp::Span::Event* named = child->add_events();
  named->set_name("retry");
  named->set_time_unix_nano(25'999);
  AddValue(named->mutable_attributes(), "attempt")->set_int_value(2);
  otlp::Span::Event* own = child->add_events();
  own->set_name("ignored");
  AddValue(own->mutable_attributes(), "event")->set_string_value("custom");
  child->add_events();  // no name, no attributes
  ExpectIdentical(trace);
}

TEST(JaegerTraceTextTest, MissingServiceNameAndResourceWithoutSpans) {
  otlp::TracesData trace;
  OneSpan(trace, "");
  AddResource(trace, "idle", "h2");
  ExpectIdentical(trace);
}

// Process keys print in string order, "p1", "p10", "p11", "p12", "p2", ..., as a json object's.
TEST(JaegerTraceTextTest, TwelveProcessesInKeyOrder) {
  otlp::TracesData trace;
  for (int i = 0; i < 12; ++i) {
    AddSpan(AddResource(trace, "svc", absl::StrCat("host-", i))->add_scope_spans(), kTraceHex,
            absl::StrCat("00000000000000", i + 10), "", "op", 1000 + i, 2000);
  }
  ExpectIdentical(trace);
}

TEST(JaegerTracesBodyTest, PendingWarningCompactAndPretty) {
  otlp::TracesData trace;
  OneSpan(trace);
  const std::vector<std::string_view> warnings = {"waiting \"for\" a decision\n"};
  for (bool pretty : {false, true}) {
    EXPECT_EQ(JaegerTracesBody({&trace, 1}, warnings, {}, pretty),
              OracleBody({trace}, warnings, {}, pretty));
  }
}

TEST(JaegerTracesBodyTest, SeveralTracesAndNotFoundErrors) {
  otlp::TracesData first;
  OneSpan(first);
  otlp::TracesData second;
  OneSpan(second, "other");
  const std::vector<otlp::TracesData> traces = {first, second, otlp::TracesData()};
  const std::vector<JaegerTraceError> errors = {{"trace not found", "1122334455667788"},
                                                {"trace not found", "0102030405060708\xff"}};
  for (bool pretty : {false, true}) {
    EXPECT_EQ(JaegerTracesBody(traces, {}, errors, pretty), OracleBody(traces, {}, errors, pretty));
    EXPECT_EQ(JaegerTracesBody(traces, {}, {}, pretty), OracleBody(traces, {}, {}, pretty));
    EXPECT_EQ(JaegerTracesBody({}, {}, {}, pretty), OracleBody({}, {}, {}, pretty));
  }
}

}  // namespace
}  // namespace spanvault
