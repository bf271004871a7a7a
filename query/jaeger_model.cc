#include "query/jaeger_model.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace spanvault {
namespace {

constexpr std::string_view kRefTypeAttribute = "opentracing.ref_type";

bool IsZeroOrEmpty(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

void SetTimestamp(uint64_t unix_nanos, google::protobuf::Timestamp* out) {
  out->set_seconds(static_cast<int64_t>(unix_nanos / 1'000'000'000));
  out->set_nanos(static_cast<int32_t>(unix_nanos % 1'000'000'000));
}

void SetDuration(uint64_t nanos, google::protobuf::Duration* out) {
  out->set_seconds(static_cast<int64_t>(nanos / 1'000'000'000));
  out->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
}

void AddString(std::string_view key, std::string_view value,
               google::protobuf::RepeatedPtrField<jaegerpb::KeyValue>* out) {
  jaegerpb::KeyValue* kv = out->Add();
  kv->set_key(key.data(), key.size());
  kv->set_v_type(jaegerpb::STRING);
  kv->set_v_str(value.data(), value.size());
}

// Str -> STRING, Int -> INT64, Bool -> BOOL, Double -> FLOAT64, Bytes -> BINARY; arrays and
// maps as their JSON text (STRING). Filled in place: `out` may live on an arena.
void AddAnyValue(std::string_view key, const otlp::AnyValue& value,
                 google::protobuf::RepeatedPtrField<jaegerpb::KeyValue>* out) {
  jaegerpb::KeyValue* kv = out->Add();
  kv->set_key(key.data(), key.size());
  switch (value.value_case()) {
    case otlp::AnyValue::kBoolValue:
      kv->set_v_type(jaegerpb::BOOL);
      kv->set_v_bool(value.bool_value());
      break;
    case otlp::AnyValue::kIntValue:
      kv->set_v_type(jaegerpb::INT64);
      kv->set_v_int64(value.int_value());
      break;
    case otlp::AnyValue::kDoubleValue:
      kv->set_v_type(jaegerpb::FLOAT64);
      kv->set_v_float64(value.double_value());
      break;
    case otlp::AnyValue::kBytesValue:
      kv->set_v_type(jaegerpb::BINARY);
      kv->set_v_binary(value.bytes_value());
      break;
    case otlp::AnyValue::kStringValue:  // the common case, without AnyValueToString's copy
      kv->set_v_type(jaegerpb::STRING);
      kv->set_v_str(value.string_value());
      break;
    default:  // arrays and maps (as JSON text), unset values ("")
      kv->set_v_type(jaegerpb::STRING);
      kv->set_v_str(AnyValueToString(value));
  }
}

void AddAttributes(const otlp::Attributes& attributes,
                   google::protobuf::RepeatedPtrField<jaegerpb::KeyValue>* out) {
  for (const auto& kv : attributes) AddAnyValue(kv.key(), kv.value(), out);
}

jaegerpb::Process ProcessOf(const otlp::Resource& resource) {
  jaegerpb::Process process;
  process.set_service_name(ServiceName(resource));
  for (const auto& kv : resource.attributes()) {
    if (kv.key() != "service.name") AddAnyValue(kv.key(), kv.value(), process.mutable_tags());
  }
  return process;
}

// Assigns "p1", "p2", ... to distinct processes in order of first appearance.
class ProcessTable {
 public:
  explicit ProcessTable(jaegerpb::Trace& trace) : trace_(trace) {}

  // The key of `resource`'s process, adding it when no identical process is known yet.
  std::string KeyFor(const otlp::Resource& resource) {
    jaegerpb::Process process = ProcessOf(resource);
    std::string bytes = process.SerializeAsString();
    for (size_t i = 0; i < known_.size(); ++i) {
      if (known_[i] == bytes) return trace_.process_map(static_cast<int>(i)).process_id();
    }
    known_.push_back(std::move(bytes));
    jaegerpb::Trace::ProcessMapping* mapping = trace_.add_process_map();
    mapping->set_process_id(absl::StrCat("p", known_.size()));
    *mapping->mutable_process() = std::move(process);
    return mapping->process_id();
  }

 private:
  jaegerpb::Trace& trace_;
  std::vector<std::string> known_;  // serialized processes, in process_map order
};

jaegerpb::SpanRefType LinkRefType(const otlp::Span::Link& link) {
  const otlp::AnyValue* ref_type = FindAttribute(link.attributes(), kRefTypeAttribute);
  if (ref_type != nullptr && ref_type->has_string_value() &&
      ref_type->string_value() == "child_of") {
    return jaegerpb::CHILD_OF;
  }
  return jaegerpb::FOLLOWS_FROM;
}

void AddReference(jaegerpb::SpanRefType type, const std::string& trace_id,
                  const std::string& span_id, jaegerpb::Span& out) {
  jaegerpb::SpanRef* ref = out.add_references();
  ref->set_ref_type(type);
  ref->set_trace_id(trace_id);
  ref->set_span_id(span_id);
}

// The parent first (CHILD_OF), then the links; a link to the parent only sets the parent's type.
void SetReferences(const otlp::Span& span, jaegerpb::Span& out) {
  const bool has_parent = !IsZeroOrEmpty(span.parent_span_id());
  if (has_parent) AddReference(jaegerpb::CHILD_OF, span.trace_id(), span.parent_span_id(), out);
  for (const auto& link : span.links()) {
    if (has_parent && link.trace_id() == span.trace_id() &&
        link.span_id() == span.parent_span_id()) {
      out.mutable_references(0)->set_ref_type(LinkRefType(link));
      continue;
    }
    AddReference(LinkRefType(link), link.trace_id(), link.span_id(), out);
  }
}

void AddStatusTags(const otlp::Status& status,
                   google::protobuf::RepeatedPtrField<jaegerpb::KeyValue>* tags) {
  if (status.code() == otlp::Status::STATUS_CODE_OK) {
    AddString("otel.status_code", "OK", tags);
  } else if (status.code() == otlp::Status::STATUS_CODE_ERROR) {
    AddString("otel.status_code", "ERROR", tags);
    jaegerpb::KeyValue* error = tags->Add();
    error->set_key("error");
    error->set_v_type(jaegerpb::BOOL);
    error->set_v_bool(true);
  }
  if (!status.message().empty()) AddString("otel.status_description", status.message(), tags);
}

// Order as the OTLP -> Jaeger translator writes them: scope, attributes, then derived tags.
void SetTags(const otlp::Scope& scope, const otlp::Span& span, jaegerpb::Span& out) {
  auto* tags = out.mutable_tags();
  if (!scope.name().empty()) AddString("otel.scope.name", scope.name(), tags);
  if (!scope.version().empty()) AddString("otel.scope.version", scope.version(), tags);
  AddAttributes(span.attributes(), tags);
  std::string_view kind = SpanKindName(span.kind());
  if (!kind.empty()) AddString("span.kind", kind, tags);
  AddStatusTags(span.status(), tags);
  if (!span.trace_state().empty()) AddString("w3c.tracestate", span.trace_state(), tags);
}

// Events become logs: `event` = name first (unless an attribute already is `event`), then the
// event's attributes.
void SetLogs(const otlp::Span& span, jaegerpb::Span& out) {
  for (const auto& event : span.events()) {
    jaegerpb::Log* log = out.add_logs();
    SetTimestamp(event.time_unix_nano(), log->mutable_timestamp());
    if (!event.name().empty() && FindAttribute(event.attributes(), "event") == nullptr) {
      AddString("event", event.name(), log->mutable_fields());
    }
    AddAttributes(event.attributes(), log->mutable_fields());
  }
}

void FillJaegerSpan(const otlp::Scope& scope, const otlp::Span& span, const std::string& process_id,
                    jaegerpb::Span& out) {
  out.set_trace_id(span.trace_id());
  out.set_span_id(span.span_id());
  out.set_operation_name(span.name());
  SetReferences(span, out);
  // The translator carries only the W3C sampled bit, as Jaeger's SampledFlag (1).
  if ((span.flags() & 1) != 0) out.set_flags(1);
  SetTimestamp(span.start_time_unix_nano(), out.mutable_start_time());
  SetDuration(DurationNanos(span), out.mutable_duration());
  SetTags(scope, span, out);
  SetLogs(span, out);
  out.set_process_id(process_id);
}

// Start time in microseconds (as the UI shows them), then span id.
bool StartsBefore(const jaegerpb::Span* a, const jaegerpb::Span* b) {
  return std::make_tuple(a->start_time().seconds(), a->start_time().nanos() / 1000,
                         std::string_view(a->span_id())) <
         std::make_tuple(b->start_time().seconds(), b->start_time().nanos() / 1000,
                         std::string_view(b->span_id()));
}

}  // namespace

void ToJaegerTrace(const otlp::TracesData& trace, jaegerpb::Trace& out) {
  ProcessTable processes(out);
  for (const auto& resource_spans : trace.resource_spans()) {
    std::string process_id;  // assigned at the resource's first span: no span, no process
    for (const auto& scope_spans : resource_spans.scope_spans()) {
      for (const auto& span : scope_spans.spans()) {
        if (process_id.empty()) process_id = processes.KeyFor(resource_spans.resource());
        FillJaegerSpan(scope_spans.scope(), span, process_id, *out.add_spans());
      }
    }
  }
  // Sorts the pointers only: the spans stay where they were built (on `out`'s arena, if any).
  auto* spans = out.mutable_spans();
  std::stable_sort(spans->pointer_begin(), spans->pointer_end(), StartsBefore);
}

jaegerpb::Trace ToJaegerTrace(const otlp::TracesData& trace) {
  jaegerpb::Trace out;
  ToJaegerTrace(trace, out);
  return out;
}

std::vector<jaegerpb::Span> SpansWithProcesses(const jaegerpb::Trace& trace) {
  std::vector<jaegerpb::Span> out;
  out.reserve(trace.spans_size());
  for (const auto& span : trace.spans()) {
    jaegerpb::Span& copy = out.emplace_back(span);
    for (const auto& mapping : trace.process_map()) {
      if (mapping.process_id() == span.process_id()) *copy.mutable_process() = mapping.process();
    }
  }
  return out;
}

}  // namespace spanvault
