#include "query/jaeger_json.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "query/jaeger_model.h"

namespace spanvault {
namespace {

using Json = nlohmann::json;

// Largest integer a JavaScript number holds exactly; larger ints are sent as decimal strings.
constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;

// Jaeger prints a trace id as %016x of the low half when the high half is zero, else 32 digits.
std::string JaegerTraceIdHex(std::string_view bytes) {
  auto id = TraceId::FromBytes(bytes);
  return id.ok() ? id->ToJaegerHex() : BytesToHex(bytes);
}

// Span ids are uint64s in Jaeger, printed as %016x.
std::string JaegerSpanIdHex(std::string_view bytes) {
  std::string hex = BytesToHex(bytes);
  if (hex.size() < 16) hex.insert(0, 16 - hex.size(), '0');
  return hex;
}

Json KeyValue(std::string_view key, std::string_view type, Json value) {
  return Json{{"key", key}, {"type", type}, {"value", std::move(value)}};
}

// JSON has no NaN or infinities: send them as Go's strconv spells them, typed as strings.
Json DoubleKeyValue(std::string_view key, double d) {
  if (std::isnan(d)) return KeyValue(key, "string", "NaN");
  if (std::isinf(d)) return KeyValue(key, "string", d > 0 ? "+Inf" : "-Inf");
  return KeyValue(key, "float64", d);
}

Json IntKeyValue(std::string_view key, int64_t i) {
  if (i > kMaxSafeInteger || i < -kMaxSafeInteger) return KeyValue(key, "int64", absl::StrCat(i));
  return KeyValue(key, "int64", i);
}

Json KeyValueJson(const jaegerpb::KeyValue& kv) {
  switch (kv.v_type()) {
    case jaegerpb::BOOL:
      return KeyValue(kv.key(), "bool", kv.v_bool());
    case jaegerpb::INT64:
      return IntKeyValue(kv.key(), kv.v_int64());
    case jaegerpb::FLOAT64:
      return DoubleKeyValue(kv.key(), kv.v_float64());
    case jaegerpb::BINARY:
      return KeyValue(kv.key(), "binary", Base64Encode(kv.v_binary()));
    default:
      return KeyValue(kv.key(), "string", kv.v_str());
  }
}

Json KeyValuesJson(const google::protobuf::RepeatedPtrField<jaegerpb::KeyValue>& kvs) {
  Json out = Json::array();
  for (const auto& kv : kvs) out.push_back(KeyValueJson(kv));
  return out;
}

uint64_t Micros(const google::protobuf::Timestamp& t) {
  return static_cast<uint64_t>(t.seconds()) * 1'000'000 + static_cast<uint64_t>(t.nanos()) / 1000;
}

uint64_t Micros(const google::protobuf::Duration& d) {
  return static_cast<uint64_t>(d.seconds()) * 1'000'000 + static_cast<uint64_t>(d.nanos()) / 1000;
}

Json ReferencesJson(const jaegerpb::Span& span) {
  Json refs = Json::array();
  for (const auto& ref : span.references()) {
    refs.push_back({{"refType", ref.ref_type() == jaegerpb::CHILD_OF ? "CHILD_OF" : "FOLLOWS_FROM"},
                    {"traceID", JaegerTraceIdHex(ref.trace_id())},
                    {"spanID", JaegerSpanIdHex(ref.span_id())}});
  }
  return refs;
}

Json LogsJson(const jaegerpb::Span& span) {
  Json logs = Json::array();
  for (const auto& log : span.logs()) {
    logs.push_back(
        Json{{"timestamp", Micros(log.timestamp())}, {"fields", KeyValuesJson(log.fields())}});
  }
  return logs;
}

Json SpanJson(const jaegerpb::Span& span) {
  Json out = {
      {"traceID", JaegerTraceIdHex(span.trace_id())},
      {"spanID", JaegerSpanIdHex(span.span_id())},
      {"operationName", span.operation_name()},
      {"references", ReferencesJson(span)},
      {"startTime", Micros(span.start_time())},
      {"duration", Micros(span.duration())},
      {"tags", KeyValuesJson(span.tags())},
      {"logs", LogsJson(span)},
      {"processID", span.process_id()},
      {"warnings", nullptr},
  };
  if (span.flags() != 0) out["flags"] = span.flags();
  return out;
}

Json ProcessesJson(const jaegerpb::Trace& trace) {
  Json out = Json::object();
  for (const auto& mapping : trace.process_map()) {
    out[mapping.process_id()] = Json{{"serviceName", mapping.process().service_name()},
                                     {"tags", KeyValuesJson(mapping.process().tags())}};
  }
  return out;
}

}  // namespace

nlohmann::json TraceToJaegerJson(const otlp::TracesData& trace) {
  const jaegerpb::Trace model = ToJaegerTrace(trace);
  Json spans = Json::array();
  for (const auto& span : model.spans()) spans.push_back(SpanJson(span));
  // Every span of a trace has the same id; Jaeger takes it from the first.
  Json trace_id = spans.empty() ? Json("") : spans.front()["traceID"];
  return Json{{"traceID", std::move(trace_id)},
              {"spans", std::move(spans)},
              {"processes", ProcessesJson(model)},
              {"warnings", nullptr}};
}

}  // namespace spanvault
