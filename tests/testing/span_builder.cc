#include "tests/testing/span_builder.h"

#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "common/ids.h"
#include "gtest/gtest.h"

namespace spanvault::testing {

namespace {
std::string Bytes(const std::string& hex) {
  auto b = HexToBytes(hex, "id");
  return b.ok() ? *b : std::string();
}
}  // namespace

std::string TraceHex(uint64_t n) { return absl::StrFormat("%032x", n); }
std::string SpanHex(uint64_t n) { return absl::StrFormat("%016x", n); }

ExportRequest MakeRequest(const std::vector<TestSpan>& spans) {
  ExportRequest request;
  for (const auto& t : spans) {
    auto* rs = request.add_resource_spans();
    auto* svc = rs->mutable_resource()->add_attributes();
    svc->set_key("service.name");
    svc->mutable_value()->set_string_value(t.service);
    for (const auto& [k, v] : t.resource_attributes) {
      auto* kv = rs->mutable_resource()->add_attributes();
      kv->set_key(k);
      kv->mutable_value()->set_string_value(v);
    }
    auto* ss = rs->add_scope_spans();
    ss->mutable_scope()->set_name("test");
    auto* span = ss->add_spans();
    span->set_trace_id(Bytes(t.trace_id));
    span->set_span_id(Bytes(t.span_id));
    span->set_parent_span_id(Bytes(t.parent_span_id));
    span->set_name(t.name);
    span->set_kind(static_cast<opentelemetry::proto::trace::v1::Span::SpanKind>(t.kind));
    span->set_start_time_unix_nano(t.start_unix_nano);
    span->set_end_time_unix_nano(t.start_unix_nano + t.duration_nanos);
    for (const auto& [k, v] : t.attributes) {
      auto* kv = span->add_attributes();
      kv->set_key(k);
      kv->mutable_value()->set_string_value(v);
    }
    if (t.error)
      span->mutable_status()->set_code(opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  }
  return request;
}

SpanBatch MakeBatch(const std::vector<TestSpan>& spans) {
  return SpanBatch(std::make_unique<ExportRequest>(MakeRequest(spans)));
}

absl::Status ConsumeAndWait(SpanSink& sink, SpanBatch batch) {
  absl::Notification done;
  absl::Status result;
  sink.Consume(std::move(batch), [&](absl::Status s) {
    result = s;
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

std::string Bytes(std::string_view hex) {
  absl::StatusOr<std::string> bytes = HexToBytes(hex, "test id");
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.value_or("");
}

otlp::AnyValue* AddValue(otlp::Attributes* attrs, std::string_view key) {
  otlp::KeyValue* kv = attrs->Add();
  kv->set_key(std::string(key));
  return kv->mutable_value();
}

otlp::ResourceSpans* AddResource(otlp::TracesData& trace, std::string_view service,
                                 std::string_view host) {
  otlp::ResourceSpans* rs = trace.add_resource_spans();
  auto* attrs = rs->mutable_resource()->mutable_attributes();
  if (!service.empty()) AddValue(attrs, "service.name")->set_string_value(std::string(service));
  if (!host.empty()) AddValue(attrs, "host.name")->set_string_value(std::string(host));
  return rs;
}

otlp::Span* AddSpan(otlp::ScopeSpans* ss, std::string_view trace_hex, std::string_view span_hex,
                    std::string_view parent_hex, std::string_view name, uint64_t start_ns,
                    uint64_t end_ns) {
  otlp::Span* span = ss->add_spans();
  span->set_trace_id(Bytes(trace_hex));
  span->set_span_id(Bytes(span_hex));
  if (!parent_hex.empty()) span->set_parent_span_id(Bytes(parent_hex));
  span->set_name(std::string(name));
  span->set_start_time_unix_nano(start_ns);
  span->set_end_time_unix_nano(end_ns);
  return span;
}

}  // namespace spanvault::testing
