#include "query/jaeger_model.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/jaeger_grpc_v2.h"
#include "query/jaeger_json.h"
#include "query/jaeger_trace_text.h"
#include "tests/testing/span_builder.h"

namespace spanvault {
namespace {

using ::spanvault::testing::AddResource;
using ::spanvault::testing::AddSpan;
using ::spanvault::testing::AddValue;
using ::spanvault::testing::Bytes;
using ::testing::ElementsAre;

constexpr std::string_view kTraceHex = "0102030405060708090a0b0c0d0e0f10";
constexpr std::string_view kOtherTraceHex = "1112131415161718191a1b1c1d1e1f20";

std::vector<std::string> Keys(const google::protobuf::RepeatedPtrField<jaegerpb::KeyValue>& kvs) {
  std::vector<std::string> keys;
  for (const auto& kv : kvs) keys.push_back(kv.key());
  return keys;
}

const jaegerpb::KeyValue& Tag(const jaegerpb::Span& span, std::string_view key) {
  for (const auto& kv : span.tags()) {
    if (kv.key() == key) return kv;
  }
  ADD_FAILURE() << "no tag " << key;
  static const jaegerpb::KeyValue kNone;
  return kNone;
}

// A server span with every attribute type, an error status, an event and links, and a child.
otlp::TracesData RichTrace() {
  otlp::TracesData trace;
  otlp::ResourceSpans* rs = AddResource(trace, "shop-api", "host-a");
  otlp::ScopeSpans* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("io.opentelemetry.http");
  ss->mutable_scope()->set_version("1.2.3");
  otlp::Span* root = AddSpan(ss, kTraceHex, "00000000000000a1", "", "POST /orders",
                             1'700'000'000'123'456'789, 1'700'000'001'123'457'000);
  root->set_kind(otlp::Span::SPAN_KIND_SERVER);
  root->set_flags(0x301);
  root->set_trace_state("vendor=x");
  root->mutable_status()->set_code(otlp::Status::STATUS_CODE_ERROR);
  root->mutable_status()->set_message("card declined");
  auto* attrs = root->mutable_attributes();
  AddValue(attrs, "order_id")->set_string_value("A-1001");
  AddValue(attrs, "retried")->set_bool_value(true);
  AddValue(attrs, "http.response.status_code")->set_int_value(402);
  AddValue(attrs, "ratio")->set_double_value(0.25);
  AddValue(attrs, "payload")->set_bytes_value(std::string("\x00\x30\x39", 3));
  otlp::AnyValue* list = AddValue(attrs, "list");
  list->mutable_array_value()->add_values()->set_string_value("a");
  list->mutable_array_value()->add_values()->set_int_value(1);
  otlp::Span::Event* event = root->add_events();
  event->set_name("payment.failed");
  event->set_time_unix_nano(1'700'000'000'500'000'001);
  AddValue(event->mutable_attributes(), "attempt")->set_int_value(2);
  otlp::Span::Link* remote = root->add_links();
  remote->set_trace_id(Bytes(kOtherTraceHex));
  remote->set_span_id(Bytes("00000000000000f1"));
  otlp::Span::Link* child_of = root->add_links();
  child_of->set_trace_id(Bytes(kOtherTraceHex));
  child_of->set_span_id(Bytes("00000000000000f2"));
  AddValue(child_of->mutable_attributes(), "opentracing.ref_type")->set_string_value("child_of");
  otlp::Span* child = AddSpan(ss, kTraceHex, "00000000000000b2", "00000000000000a1", "charge",
                              1'700'000'000'200'000'000, 1'700'000'000'300'000'000);
  child->set_kind(otlp::Span::SPAN_KIND_CLIENT);
  child->mutable_status()->set_code(otlp::Status::STATUS_CODE_OK);
  return trace;
}

TEST(ToJaegerTraceTest, TagsInTranslatorOrderWithTypes) {
  jaegerpb::Trace model = ToJaegerTrace(RichTrace());
  ASSERT_EQ(model.spans_size(), 2);
  const jaegerpb::Span& root = model.spans(0);
  EXPECT_THAT(Keys(root.tags()), ElementsAre("otel.scope.name", "otel.scope.version", "order_id",
                                             "retried", "http.response.status_code", "ratio",
                                             "payload", "list", "span.kind", "otel.status_code",
                                             "error", "otel.status_description", "w3c.tracestate"));
  EXPECT_EQ(Tag(root, "order_id").v_type(), jaegerpb::STRING);
  EXPECT_EQ(Tag(root, "order_id").v_str(), "A-1001");
  EXPECT_EQ(Tag(root, "retried").v_type(), jaegerpb::BOOL);
  EXPECT_TRUE(Tag(root, "retried").v_bool());
  EXPECT_EQ(Tag(root, "http.response.status_code").v_type(), jaegerpb::INT64);
  EXPECT_EQ(Tag(root, "http.response.status_code").v_int64(), 402);
  EXPECT_EQ(Tag(root, "ratio").v_type(), jaegerpb::FLOAT64);
  EXPECT_EQ(Tag(root, "ratio").v_float64(), 0.25);
  EXPECT_EQ(Tag(root, "payload").v_type(), jaegerpb::BINARY);
  EXPECT_EQ(Tag(root, "payload").v_binary(), std::string("\x00\x30\x39", 3));
  EXPECT_EQ(Tag(root, "list").v_type(), jaegerpb::STRING);
  EXPECT_EQ(Tag(root, "list").v_str(), R"(["a",1])");
  EXPECT_EQ(Tag(root, "span.kind").v_str(), "server");
  EXPECT_EQ(Tag(root, "otel.status_code").v_str(), "ERROR");
  EXPECT_EQ(Tag(root, "error").v_type(), jaegerpb::BOOL);
  EXPECT_TRUE(Tag(root, "error").v_bool());
  EXPECT_EQ(Tag(root, "otel.status_description").v_str(), "card declined");
  EXPECT_EQ(Tag(root, "w3c.tracestate").v_str(), "vendor=x");
  EXPECT_THAT(Keys(model.spans(1).tags()), ElementsAre("otel.scope.name", "otel.scope.version",
                                                       "span.kind", "otel.status_code"));
}

TEST(ToJaegerTraceTest, IdsTimesFlagsAndLogs) {
  jaegerpb::Trace model = ToJaegerTrace(RichTrace());
  const jaegerpb::Span& root = model.spans(0);
  EXPECT_EQ(root.trace_id(), Bytes(kTraceHex));
  EXPECT_EQ(root.span_id(), Bytes("00000000000000a1"));
  EXPECT_EQ(root.operation_name(), "POST /orders");
  EXPECT_EQ(root.flags(), 1u);  // only the sampled bit
  EXPECT_EQ(root.start_time().seconds(), 1'700'000'000);
  EXPECT_EQ(root.start_time().nanos(), 123'456'789);
  EXPECT_EQ(root.duration().seconds(), 1);
  EXPECT_EQ(root.duration().nanos(), 211);
  ASSERT_EQ(root.logs_size(), 1);
  EXPECT_EQ(root.logs(0).timestamp().seconds(), 1'700'000'000);
  EXPECT_EQ(root.logs(0).timestamp().nanos(), 500'000'001);
  EXPECT_THAT(Keys(root.logs(0).fields()), ElementsAre("event", "attempt"));
  EXPECT_EQ(root.logs(0).fields(0).v_str(), "payment.failed");
  EXPECT_EQ(model.spans(1).flags(), 0u);
}

TEST(ToJaegerTraceTest, ReferencesParentFirstThenLinks) {
  jaegerpb::Trace model = ToJaegerTrace(RichTrace());
  const jaegerpb::Span& root = model.spans(0);
  ASSERT_EQ(root.references_size(), 2);
  EXPECT_EQ(root.references(0).ref_type(), jaegerpb::FOLLOWS_FROM);
  EXPECT_EQ(root.references(0).trace_id(), Bytes(kOtherTraceHex));
  EXPECT_EQ(root.references(0).span_id(), Bytes("00000000000000f1"));
  EXPECT_EQ(root.references(1).ref_type(), jaegerpb::CHILD_OF);
  const jaegerpb::Span& child = model.spans(1);
  ASSERT_EQ(child.references_size(), 1);
  EXPECT_EQ(child.references(0).ref_type(), jaegerpb::CHILD_OF);
  EXPECT_EQ(child.references(0).trace_id(), Bytes(kTraceHex));
  EXPECT_EQ(child.references(0).span_id(), Bytes("00000000000000a1"));
}

TEST(ToJaegerTraceTest, LinkToParentOnlySetsTheParentsType) {
  otlp::TracesData trace;
  otlp::ScopeSpans* ss = AddResource(trace, "svc", "")->add_scope_spans();
  otlp::Span* span = AddSpan(ss, kTraceHex, "00000000000000b2", "00000000000000a1", "x", 10, 20);
  otlp::Span::Link* link = span->add_links();
  link->set_trace_id(Bytes(kTraceHex));
  link->set_span_id(Bytes("00000000000000a1"));
  jaegerpb::Trace model = ToJaegerTrace(trace);
  ASSERT_EQ(model.spans(0).references_size(), 1);
  EXPECT_EQ(model.spans(0).references(0).ref_type(), jaegerpb::FOLLOWS_FROM);
}

TEST(ToJaegerTraceTest, ProcessesSharedAndNumberedInOrderOfAppearance) {
  otlp::TracesData trace;
  AddSpan(AddResource(trace, "b-svc", "h1")->add_scope_spans(), kTraceHex, "0000000000000003", "",
          "x", 30, 40);
  AddSpan(AddResource(trace, "a-svc", "")->add_scope_spans(), kTraceHex, "0000000000000002", "",
          "y", 20, 30);
  AddSpan(AddResource(trace, "b-svc", "h1")->add_scope_spans(), kTraceHex, "0000000000000001", "",
          "z", 10, 20);
  AddSpan(AddResource(trace, "", "")->add_scope_spans(), kTraceHex, "0000000000000004", "", "w", 40,
          50);
  AddResource(trace, "no-spans", "");  // a resource without spans gets no process
  jaegerpb::Trace model = ToJaegerTrace(trace);
  ASSERT_EQ(model.process_map_size(), 3);
  EXPECT_EQ(model.process_map(0).process_id(), "p1");
  EXPECT_EQ(model.process_map(0).process().service_name(), "b-svc");
  EXPECT_THAT(Keys(model.process_map(0).process().tags()), ElementsAre("host.name"));
  EXPECT_EQ(model.process_map(1).process().service_name(), "a-svc");
  EXPECT_EQ(model.process_map(1).process().tags_size(), 0);
  EXPECT_EQ(model.process_map(2).process().service_name(), "OTLPResourceNoServiceName");
  // Sorted by start time; identical resources share p1.
  ASSERT_EQ(model.spans_size(), 4);
  EXPECT_EQ(model.spans(0).operation_name(), "z");
  EXPECT_EQ(model.spans(0).process_id(), "p1");
  EXPECT_EQ(model.spans(1).process_id(), "p2");
  EXPECT_EQ(model.spans(2).process_id(), "p1");
  EXPECT_EQ(model.spans(3).process_id(), "p3");
  EXPECT_FALSE(model.spans(0).has_process());
  std::vector<jaegerpb::Span> spans = SpansWithProcesses(model);
  ASSERT_EQ(spans.size(), 4u);
  EXPECT_EQ(spans[1].process().service_name(), "a-svc");
  EXPECT_EQ(spans[2].process().service_name(), "b-svc");
  EXPECT_THAT(Keys(spans[2].process().tags()), ElementsAre("host.name"));
}

// The JSON the HTTP API serves is written from this model: both show the same trace.
TEST(ToJaegerTraceTest, JsonIsWrittenFromTheModel) {
  otlp::TracesData trace = RichTrace();
  jaegerpb::Trace model = ToJaegerTrace(trace);
  nlohmann::json json = TraceToJaegerJson(trace);
  ASSERT_EQ(json["spans"].size(), 2u);
  for (int i = 0; i < model.spans_size(); ++i) {
    const nlohmann::json& span = json["spans"][i];
    EXPECT_EQ(span["operationName"], model.spans(i).operation_name());
    EXPECT_EQ(span["spanID"], BytesToHex(model.spans(i).span_id()));
    ASSERT_EQ(span["tags"].size(), static_cast<size_t>(model.spans(i).tags_size()));
    for (int t = 0; t < model.spans(i).tags_size(); ++t) {
      EXPECT_EQ(span["tags"][t]["key"], model.spans(i).tags(t).key());
    }
  }
  EXPECT_EQ(json["spans"][0]["tags"][6]["type"], "binary");
  EXPECT_EQ(json["spans"][0]["tags"][6]["value"], "ADA5");
  EXPECT_EQ(json["spans"][0]["startTime"], 1'700'000'000'123'456u);
  EXPECT_EQ(json["spans"][0]["duration"], 1'000'000u);
  EXPECT_EQ(json["spans"][0]["logs"][0]["timestamp"], 1'700'000'000'500'000u);
  EXPECT_EQ(json["processes"]["p1"]["serviceName"], "shop-api");
}

// ... and the text the HTTP API sends is byte for byte that document's dump().
TEST(ToJaegerTraceTest, RenderedTextIsTheDumpedJson) {
  const otlp::TracesData trace = RichTrace();
  for (bool pretty : {false, true}) {
    nlohmann::json envelope = {{"data", nlohmann::json::array({TraceToJaegerJson(trace)})},
                               {"total", 0},
                               {"limit", 0},
                               {"offset", 0},
                               {"errors", nullptr}};
    EXPECT_EQ(JaegerTracesBody({&trace, 1}, {}, {}, pretty),
              envelope.dump(pretty ? 4 : -1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
}

otlp::TracesData TraceWithSpans(int count) {
  otlp::TracesData trace;
  otlp::ScopeSpans* ss = AddResource(trace, "svc", "h")->add_scope_spans();
  for (int i = 0; i < count; ++i) {
    AddSpan(ss, kTraceHex, testing::SpanHex(i + 1), i == 0 ? "" : "0000000000000001",
            absl::StrCat("op", i), 1000 + i * 1000, 2000 + i * 1000);
  }
  return trace;
}

TEST(ChunkTraceTest, AtMostTenSpansPerChunkInOrderWithProcesses) {
  std::vector<jaegerpb::SpansResponseChunk> chunks = ChunkTrace(TraceWithSpans(23), 10);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].spans_size(), 10);
  EXPECT_EQ(chunks[1].spans_size(), 10);
  EXPECT_EQ(chunks[2].spans_size(), 3);
  EXPECT_EQ(chunks[0].spans(0).operation_name(), "op0");
  EXPECT_EQ(chunks[2].spans(2).operation_name(), "op22");
  for (const auto& chunk : chunks) {
    for (const auto& span : chunk.spans()) {
      EXPECT_EQ(span.process().service_name(), "svc");
      EXPECT_EQ(span.trace_id(), Bytes(kTraceHex));
    }
  }
}

TEST(ChunkTraceTest, ExactMultipleAndEmpty) {
  EXPECT_EQ(ChunkTrace(TraceWithSpans(10), 10).size(), 1u);
  EXPECT_EQ(ChunkTrace(TraceWithSpans(20), 10).size(), 2u);
  EXPECT_TRUE(ChunkTrace(otlp::TracesData(), 10).empty());
}

}  // namespace
}  // namespace spanvault
