#pragma once

// Small helpers over the OTLP messages shared by the store, the query layer and the receivers.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "opentelemetry/proto/common/v1/common.pb.h"
#include "opentelemetry/proto/resource/v1/resource.pb.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace spanvault {

namespace otlp {
using AnyValue = opentelemetry::proto::common::v1::AnyValue;
using KeyValue = opentelemetry::proto::common::v1::KeyValue;
using Attributes = google::protobuf::RepeatedPtrField<KeyValue>;
using Resource = opentelemetry::proto::resource::v1::Resource;
using Scope = opentelemetry::proto::common::v1::InstrumentationScope;
using Span = opentelemetry::proto::trace::v1::Span;
using ResourceSpans = opentelemetry::proto::trace::v1::ResourceSpans;
using ScopeSpans = opentelemetry::proto::trace::v1::ScopeSpans;
using TracesData = opentelemetry::proto::trace::v1::TracesData;
using Status = opentelemetry::proto::trace::v1::Status;
}  // namespace otlp

// The service name Jaeger shows for a resource without `service.name`.
inline constexpr std::string_view kUnknownService = "OTLPResourceNoServiceName";

// The value of attribute `key`, or nullptr.
const otlp::AnyValue* FindAttribute(const otlp::Attributes& attributes, std::string_view key);

// The resource's `service.name`, or kUnknownService when it has none.
std::string ServiceName(const otlp::Resource& resource);

// A value as one string, the way search compares it (OpenTelemetry's AsString): strings as
// they are, ints in decimal, bools as true/false, doubles in shortest round-trip form, bytes
// in base64, arrays and maps as JSON.
std::string AnyValueToString(const otlp::AnyValue& value);

// Jaeger's lowercase span-kind name ("server", "client", "producer", "consumer", "internal"),
// or "" for SPAN_KIND_UNSPECIFIED.
std::string_view SpanKindName(int kind);

inline bool IsError(const otlp::Span& span) {
  return span.status().code() == otlp::Status::STATUS_CODE_ERROR;
}

// Span duration in nanoseconds (0 when end < start).
inline uint64_t DurationNanos(const otlp::Span& span) {
  return span.end_time_unix_nano() > span.start_time_unix_nano()
             ? span.end_time_unix_nano() - span.start_time_unix_nano()
             : 0;
}

// Calls `fn(key, value)` for every tag a search can match on this span: the span's attributes,
// the resource's attributes, and the tags Jaeger derives from OTLP fields (`error`=`true` for
// an ERROR status, `otel.status_code`, `span.kind`).
void ForEachSearchableTag(const otlp::Resource& resource, const otlp::Span& span,
                          absl::FunctionRef<void(std::string_view, std::string_view)> fn);

// Standard base64 with padding.
std::string Base64Encode(std::string_view bytes);

}  // namespace spanvault
