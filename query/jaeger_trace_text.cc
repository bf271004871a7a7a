#include "query/jaeger_trace_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "google/protobuf/arena.h"
#include "query/jaeger_model.h"

namespace spanvault {
namespace {

// Largest integer a JavaScript number holds exactly.
constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;

// The bytes whose hex Jaeger prints as a trace id: the low half of a valid id whose high half
// is zero (%016x), else all of them (TraceId::ToJaegerHex, or every byte of an invalid id).
std::string_view JaegerTraceIdBytes(std::string_view bytes) {
  if (bytes.size() != 16) return bytes;
  const auto zero = [](char c) { return c == 0; };
  const std::string_view high = bytes.substr(0, 8);
  const std::string_view low = bytes.substr(8);
  if (std::all_of(high.begin(), high.end(), zero) && !std::all_of(low.begin(), low.end(), zero)) {
    return low;
  }
  return bytes;
}

void WriteTraceId(std::string_view bytes, JsonWriter& out) {
  out.HexString(JaegerTraceIdBytes(bytes));
}

// Span ids are uint64s in Jaeger, printed as %016x.
void WriteSpanId(std::string_view bytes, JsonWriter& out) { out.HexString(bytes, 16); }

uint64_t Micros(const google::protobuf::Timestamp& t) {
  return static_cast<uint64_t>(t.seconds()) * 1'000'000 + static_cast<uint64_t>(t.nanos()) / 1000;
}

uint64_t Micros(const google::protobuf::Duration& d) {
  return static_cast<uint64_t>(d.seconds()) * 1'000'000 + static_cast<uint64_t>(d.nanos()) / 1000;
}

void WriteTypeAndValueKeys(std::string_view type, JsonWriter& out) {
  out.Key("type");
  out.String(type);
  out.Key("value");
}

// JavaScript holds ints exactly only up to 2^53: larger ones are sent as decimal strings.
void WriteInt64(int64_t i, JsonWriter& out) {
  WriteTypeAndValueKeys("int64", out);
  if (i <= kMaxSafeInteger && i >= -kMaxSafeInteger) {
    out.Int(i);
    return;
  }
  char buf[24];
  const char* end = std::to_chars(buf, buf + sizeof(buf), i).ptr;
  out.String(std::string_view(buf, static_cast<size_t>(end - buf)));
}

// JSON has no NaN or infinities: they are sent as Go's strconv spells them, typed as strings.
void WriteFloat64(double d, JsonWriter& out) {
  if (std::isnan(d)) {
    WriteTypeAndValueKeys("string", out);
    out.String("NaN");
  } else if (std::isinf(d)) {
    WriteTypeAndValueKeys("string", out);
    out.String(d > 0 ? "+Inf" : "-Inf");
  } else {
    WriteTypeAndValueKeys("float64", out);
    out.Double(d);
  }
}

// `{"key", "type", "value"}`.
void WriteKeyValue(const jaegerpb::KeyValue& kv, JsonWriter& out) {
  out.BeginObject();
  out.Key("key");
  out.String(kv.key());
  switch (kv.v_type()) {
    case jaegerpb::BOOL:
      WriteTypeAndValueKeys("bool", out);
      out.Bool(kv.v_bool());
      break;
    case jaegerpb::INT64:
      WriteInt64(kv.v_int64(), out);
      break;
    case jaegerpb::FLOAT64:
      WriteFloat64(kv.v_float64(), out);
      break;
    case jaegerpb::BINARY:
      WriteTypeAndValueKeys("binary", out);
      out.String(Base64Encode(kv.v_binary()));
      break;
    default:
      WriteTypeAndValueKeys("string", out);
      out.String(kv.v_str());
  }
  out.EndObject();
}

void WriteKeyValues(const google::protobuf::RepeatedPtrField<jaegerpb::KeyValue>& kvs,
                    JsonWriter& out) {
  out.BeginArray();
  for (const auto& kv : kvs) WriteKeyValue(kv, out);
  out.EndArray();
}

void WriteLogs(const jaegerpb::Span& span, JsonWriter& out) {
  out.BeginArray();
  for (const auto& log : span.logs()) {
    out.BeginObject();
    out.Key("fields");
    WriteKeyValues(log.fields(), out);
    out.Key("timestamp");
    out.Uint(Micros(log.timestamp()));
    out.EndObject();
  }
  out.EndArray();
}

void WriteReferences(const jaegerpb::Span& span, JsonWriter& out) {
  out.BeginArray();
  for (const auto& ref : span.references()) {
    out.BeginObject();
    out.Key("refType");
    out.String(ref.ref_type() == jaegerpb::CHILD_OF ? "CHILD_OF" : "FOLLOWS_FROM");
    out.Key("spanID");
    WriteSpanId(ref.span_id(), out);
    out.Key("traceID");
    WriteTraceId(ref.trace_id(), out);
    out.EndObject();
  }
  out.EndArray();
}

// Keys in nlohmann's (sorted) order.
void WriteSpan(const jaegerpb::Span& span, JsonWriter& out) {
  out.BeginObject();
  out.Key("duration");
  out.Uint(Micros(span.duration()));
  if (span.flags() != 0) {
    out.Key("flags");
    out.Uint(span.flags());
  }
  out.Key("logs");
  WriteLogs(span, out);
  out.Key("operationName");
  out.String(span.operation_name());
  out.Key("processID");
  out.String(span.process_id());
  out.Key("references");
  WriteReferences(span, out);
  out.Key("spanID");
  WriteSpanId(span.span_id(), out);
  out.Key("startTime");
  out.Uint(Micros(span.start_time()));
  out.Key("tags");
  WriteKeyValues(span.tags(), out);
  out.Key("traceID");
  WriteTraceId(span.trace_id(), out);
  out.Key("warnings");
  out.Null();
  out.EndObject();
}

// Process ids as object keys, in nlohmann's order: "p1", "p10", "p11", ..., "p2".
void WriteProcesses(const jaegerpb::Trace& trace, JsonWriter& out) {
  std::vector<const jaegerpb::Trace::ProcessMapping*> sorted;
  sorted.reserve(trace.process_map_size());
  for (const auto& mapping : trace.process_map()) sorted.push_back(&mapping);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->process_id() < b->process_id(); });
  out.BeginObject();
  for (const auto* mapping : sorted) {
    out.Key(mapping->process_id());
    out.BeginObject();
    out.Key("serviceName");
    out.String(mapping->process().service_name());
    out.Key("tags");
    WriteKeyValues(mapping->process().tags(), out);
    out.EndObject();
  }
  out.EndObject();
}

void WriteWarnings(std::span<const std::string_view> warnings, JsonWriter& out) {
  if (warnings.empty()) return out.Null();
  out.BeginArray();
  for (std::string_view warning : warnings) out.String(warning);
  out.EndArray();
}

void WriteErrors(std::span<const JaegerTraceError> errors, JsonWriter& out) {
  if (errors.empty()) return out.Null();
  out.BeginArray();
  for (const auto& error : errors) {
    out.BeginObject();
    out.Key("msg");
    out.String(error.msg);
    out.Key("traceID");
    out.String(error.trace_id);
    out.EndObject();
  }
  out.EndArray();
}

}  // namespace

void WriteJaegerTrace(const otlp::TracesData& trace, std::span<const std::string_view> warnings,
                      JsonWriter& out) {
  // On an arena: the model's messages and strings are freed at once, not one by one.
  google::protobuf::Arena arena;
  jaegerpb::Trace& model = *google::protobuf::Arena::CreateMessage<jaegerpb::Trace>(&arena);
  ToJaegerTrace(trace, model);
  out.BeginObject();
  out.Key("processes");
  WriteProcesses(model, out);
  out.Key("spans");
  out.BeginArray();
  for (const auto& span : model.spans()) WriteSpan(span, out);
  out.EndArray();
  // Every span of a trace has the same id; Jaeger takes it from the first.
  out.Key("traceID");
  if (model.spans().empty()) {
    out.String("");
  } else {
    WriteTraceId(model.spans(0).trace_id(), out);
  }
  out.Key("warnings");
  WriteWarnings(warnings, out);
  out.EndObject();
}

std::string JaegerTracesBody(std::span<const otlp::TracesData> traces,
                             std::span<const std::string_view> warnings,
                             std::span<const JaegerTraceError> errors, bool pretty) {
  std::string body;
  JsonWriter out(body, pretty ? 4 : -1);
  out.BeginObject();
  out.Key("data");
  out.BeginArray();
  for (const auto& trace : traces) WriteJaegerTrace(trace, warnings, out);
  out.EndArray();
  out.Key("errors");
  WriteErrors(errors, out);
  out.Key("limit");
  out.Int(0);
  out.Key("offset");
  out.Int(0);
  out.Key("total");
  out.Int(0);
  out.EndObject();
  return body;
}

}  // namespace spanvault
