#include "query/jaeger_json.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ids.h"

namespace spanvault {
namespace {

using Json = nlohmann::json;

// Largest integer a JavaScript number holds exactly; larger ints are sent as decimal strings.
constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;

constexpr std::string_view kRefTypeAttribute = "opentracing.ref_type";

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

bool IsZeroOrEmpty(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

Json KeyValue(std::string_view key, std::string_view type, Json value) {
  return Json{{"key", key}, {"type", type}, {"value", std::move(value)}};
}

Json StringKeyValue(std::string_view key, std::string_view value) {
  return KeyValue(key, "string", std::string(value));
}

// JSON has no NaN or infinities: send them as Go's strconv spells them, typed as strings.
Json DoubleKeyValue(std::string_view key, double d) {
  if (std::isnan(d)) return StringKeyValue(key, "NaN");
  if (std::isinf(d)) return StringKeyValue(key, d > 0 ? "+Inf" : "-Inf");
  return KeyValue(key, "float64", d);
}

Json IntKeyValue(std::string_view key, int64_t i) {
  if (i > kMaxSafeInteger || i < -kMaxSafeInteger) return KeyValue(key, "int64", absl::StrCat(i));
  return KeyValue(key, "int64", i);
}

Json AnyValueToKeyValue(std::string_view key, const otlp::AnyValue& value) {
  switch (value.value_case()) {
    case otlp::AnyValue::kBoolValue:
      return KeyValue(key, "bool", value.bool_value());
    case otlp::AnyValue::kIntValue:
      return IntKeyValue(key, value.int_value());
    case otlp::AnyValue::kDoubleValue:
      return DoubleKeyValue(key, value.double_value());
    case otlp::AnyValue::kBytesValue:
      return KeyValue(key, "binary", Base64Encode(value.bytes_value()));
    default:  // strings, arrays and maps (as JSON text), unset values ("")
      return StringKeyValue(key, AnyValueToString(value));
  }
}

void AppendAttributes(const otlp::Attributes& attributes, Json& out) {
  for (const auto& kv : attributes) out.push_back(AnyValueToKeyValue(kv.key(), kv.value()));
}

Json ProcessJson(const otlp::Resource& resource) {
  Json tags = Json::array();
  for (const auto& kv : resource.attributes()) {
    if (kv.key() != "service.name") tags.push_back(AnyValueToKeyValue(kv.key(), kv.value()));
  }
  return Json{{"serviceName", ServiceName(resource)}, {"tags", std::move(tags)}};
}

// Assigns "p1", "p2", ... to distinct processes in order of first appearance.
class ProcessTable {
 public:
  // The key of `resource`'s process, adding it when no identical process is known yet.
  std::string KeyFor(const otlp::Resource& resource) {
    Json process = ProcessJson(resource);
    for (const auto& [key, known] : processes_) {
      if (known == process) return key;
    }
    std::string key = absl::StrCat("p", processes_.size() + 1);
    processes_.emplace_back(key, std::move(process));
    return key;
  }

  Json ToJson() const {
    Json out = Json::object();
    for (const auto& [key, process] : processes_) out[key] = process;
    return out;
  }

 private:
  std::vector<std::pair<std::string, Json>> processes_;
};

std::string_view LinkRefType(const otlp::Span::Link& link) {
  const otlp::AnyValue* ref_type = FindAttribute(link.attributes(), kRefTypeAttribute);
  if (ref_type != nullptr && ref_type->has_string_value() &&
      ref_type->string_value() == "child_of") {
    return "CHILD_OF";
  }
  return "FOLLOWS_FROM";
}

Json Reference(std::string_view ref_type, std::string_view trace_id, std::string_view span_id) {
  return Json{{"refType", ref_type},
              {"traceID", JaegerTraceIdHex(trace_id)},
              {"spanID", JaegerSpanIdHex(span_id)}};
}

// The parent first (CHILD_OF), then the links; a link to the parent only sets the parent's type.
Json References(const otlp::Span& span) {
  Json refs = Json::array();
  const bool has_parent = !IsZeroOrEmpty(span.parent_span_id());
  if (has_parent) refs.push_back(Reference("CHILD_OF", span.trace_id(), span.parent_span_id()));
  for (const auto& link : span.links()) {
    if (has_parent && link.trace_id() == span.trace_id() &&
        link.span_id() == span.parent_span_id()) {
      refs[0]["refType"] = LinkRefType(link);
      continue;
    }
    refs.push_back(Reference(LinkRefType(link), link.trace_id(), link.span_id()));
  }
  return refs;
}

void AppendStatusTags(const otlp::Status& status, Json& tags) {
  if (status.code() == otlp::Status::STATUS_CODE_OK) {
    tags.push_back(StringKeyValue("otel.status_code", "OK"));
  } else if (status.code() == otlp::Status::STATUS_CODE_ERROR) {
    tags.push_back(StringKeyValue("otel.status_code", "ERROR"));
    tags.push_back(KeyValue("error", "bool", true));
  }
  if (!status.message().empty()) {
    tags.push_back(StringKeyValue("otel.status_description", status.message()));
  }
}

// Order as the OTLP -> Jaeger translator writes them: scope, attributes, then derived tags.
Json SpanTags(const otlp::Scope& scope, const otlp::Span& span) {
  Json tags = Json::array();
  if (!scope.name().empty()) tags.push_back(StringKeyValue("otel.scope.name", scope.name()));
  if (!scope.version().empty()) {
    tags.push_back(StringKeyValue("otel.scope.version", scope.version()));
  }
  AppendAttributes(span.attributes(), tags);
  std::string_view kind = SpanKindName(span.kind());
  if (!kind.empty()) tags.push_back(StringKeyValue("span.kind", kind));
  AppendStatusTags(span.status(), tags);
  if (!span.trace_state().empty()) {
    tags.push_back(StringKeyValue("w3c.tracestate", span.trace_state()));
  }
  return tags;
}

Json Logs(const otlp::Span& span) {
  Json logs = Json::array();
  for (const auto& event : span.events()) {
    Json fields = Json::array();
    if (!event.name().empty() && FindAttribute(event.attributes(), "event") == nullptr) {
      fields.push_back(StringKeyValue("event", event.name()));
    }
    AppendAttributes(event.attributes(), fields);
    logs.push_back(
        Json{{"timestamp", event.time_unix_nano() / 1000}, {"fields", std::move(fields)}});
  }
  return logs;
}

Json SpanJson(const otlp::Scope& scope, const otlp::Span& span, const std::string& process_id) {
  Json out = {
      {"traceID", JaegerTraceIdHex(span.trace_id())},
      {"spanID", JaegerSpanIdHex(span.span_id())},
      {"operationName", span.name()},
      {"references", References(span)},
      {"startTime", span.start_time_unix_nano() / 1000},
      {"duration", DurationNanos(span) / 1000},
      {"tags", SpanTags(scope, span)},
      {"logs", Logs(span)},
      {"processID", process_id},
      {"warnings", nullptr},
  };
  // The translator carries only the W3C sampled bit, as Jaeger's SampledFlag (1).
  if ((span.flags() & 1) != 0) out["flags"] = 1;
  return out;
}

struct SortableSpan {
  uint64_t start_micros;
  std::string span_id;
  Json json;
};

}  // namespace

nlohmann::json TraceToJaegerJson(const otlp::TracesData& trace) {
  ProcessTable processes;
  std::vector<SortableSpan> spans;
  for (const auto& resource_spans : trace.resource_spans()) {
    std::string process_id;  // assigned at the resource's first span: no span, no process
    for (const auto& scope_spans : resource_spans.scope_spans()) {
      for (const auto& span : scope_spans.spans()) {
        if (process_id.empty()) process_id = processes.KeyFor(resource_spans.resource());
        spans.push_back({span.start_time_unix_nano() / 1000, JaegerSpanIdHex(span.span_id()),
                         SpanJson(scope_spans.scope(), span, process_id)});
      }
    }
  }
  // Jaeger takes the trace id from the first span; every span of a trace has the same one.
  Json trace_id = spans.empty() ? Json("") : spans.front().json["traceID"];
  std::stable_sort(spans.begin(), spans.end(), [](const SortableSpan& a, const SortableSpan& b) {
    return std::tie(a.start_micros, a.span_id) < std::tie(b.start_micros, b.span_id);
  });
  Json span_array = Json::array();
  for (auto& span : spans) span_array.push_back(std::move(span.json));
  return Json{{"traceID", std::move(trace_id)},
              {"spans", std::move(span_array)},
              {"processes", processes.ToJson()},
              {"warnings", nullptr}};
}

}  // namespace spanvault
