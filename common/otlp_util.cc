#include "common/otlp_util.h"

#include <charconv>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace spanvault {
namespace {

nlohmann::json AnyValueToJson(const otlp::AnyValue& value);

nlohmann::json KeyValuesToJson(const otlp::Attributes& kvs) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& kv : kvs) out[kv.key()] = AnyValueToJson(kv.value());
  return out;
}

nlohmann::json AnyValueToJson(const otlp::AnyValue& value) {
  switch (value.value_case()) {
    case otlp::AnyValue::kStringValue:
      return value.string_value();
    case otlp::AnyValue::kBoolValue:
      return value.bool_value();
    case otlp::AnyValue::kIntValue:
      return value.int_value();
    case otlp::AnyValue::kDoubleValue:
      return value.double_value();
    case otlp::AnyValue::kBytesValue:
      return Base64Encode(value.bytes_value());
    case otlp::AnyValue::kArrayValue: {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& v : value.array_value().values()) arr.push_back(AnyValueToJson(v));
      return arr;
    }
    case otlp::AnyValue::kKvlistValue:
      return KeyValuesToJson(value.kvlist_value().values());
    default:
      return nullptr;
  }
}

std::string DoubleToString(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  if (ec != std::errc()) return absl::StrCat(d);
  return std::string(buf, end);
}

}  // namespace

const otlp::AnyValue* FindAttribute(const otlp::Attributes& attributes, std::string_view key) {
  for (const auto& kv : attributes) {
    if (kv.key() == key) return &kv.value();
  }
  return nullptr;
}

std::string ServiceName(const otlp::Resource& resource) {
  const otlp::AnyValue* v = FindAttribute(resource.attributes(), "service.name");
  if (v == nullptr) return std::string(kUnknownService);
  return AnyValueToString(*v);
}

std::string AnyValueToString(const otlp::AnyValue& value) {
  switch (value.value_case()) {
    case otlp::AnyValue::kStringValue:
      return value.string_value();
    case otlp::AnyValue::kBoolValue:
      return value.bool_value() ? "true" : "false";
    case otlp::AnyValue::kIntValue:
      return absl::StrCat(value.int_value());
    case otlp::AnyValue::kDoubleValue:
      return DoubleToString(value.double_value());
    case otlp::AnyValue::kBytesValue:
      return Base64Encode(value.bytes_value());
    case otlp::AnyValue::kArrayValue:
    case otlp::AnyValue::kKvlistValue:
      return AnyValueToJson(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    default:
      return "";
  }
}

std::string_view SpanKindName(int kind) {
  switch (kind) {
    case otlp::Span::SPAN_KIND_INTERNAL:
      return "internal";
    case otlp::Span::SPAN_KIND_SERVER:
      return "server";
    case otlp::Span::SPAN_KIND_CLIENT:
      return "client";
    case otlp::Span::SPAN_KIND_PRODUCER:
      return "producer";
    case otlp::Span::SPAN_KIND_CONSUMER:
      return "consumer";
    default:
      return "";
  }
}

void ForEachSearchableTag(const otlp::Resource& resource, const otlp::Span& span,
                          absl::FunctionRef<void(std::string_view, std::string_view)> fn) {
  for (const auto& kv : span.attributes()) fn(kv.key(), AnyValueToString(kv.value()));
  for (const auto& kv : resource.attributes()) fn(kv.key(), AnyValueToString(kv.value()));
  if (IsError(span)) {
    fn("error", "true");
    fn("otel.status_code", "ERROR");
  } else if (span.status().code() == otlp::Status::STATUS_CODE_OK) {
    fn("otel.status_code", "OK");
  }
  std::string_view kind = SpanKindName(span.kind());
  if (!kind.empty()) fn("span.kind", kind);
}

std::string Base64Encode(std::string_view bytes) {
  return absl::Base64Escape(absl::string_view(bytes.data(), bytes.size()));
}

}  // namespace spanvault
