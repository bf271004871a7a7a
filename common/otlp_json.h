#pragma once

// OTLP/JSON: decoding export requests and encoding OTLP messages, as the OTLP specification
// defines the JSON form (not plain proto3 JSON): trace and span ids are hex, not base64.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "common/otlp_util.h"
#include "common/span_batch.h"
#include "google/rpc/status.pb.h"
#include "nlohmann/json.hpp"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace spanvault {

// Decodes an OTLP/JSON ExportTraceServiceRequest into `out` (cleared first). Accepts what
// real senders emit: lowerCamelCase and snake_case keys, enums as integers or names, 64-bit
// integers as strings or numbers, hex ids of either case, every AnyValue kind (bytes in base64),
// `instrumentationLibrarySpans` as an alias of `scopeSpans`, and ignores unknown fields.
// Returns kInvalidArgument with a message that names the problem and where it is (for example
// `resourceSpans[0].scopeSpans[0].spans[3].traceId: must be 32 hex digits, got 30`) for
// invalid JSON, a wrong type, a bad id, an unknown enum name, or nesting deeper than 64
// levels. Never throws.
absl::Status DecodeOtlpJson(std::string_view json, ExportRequest* out);

// Encodes `data` the way Jaeger's api_v3 gateway writes it: lowerCamelCase keys, hex ids,
// 64-bit integers as decimal strings, enums as integers, default-valued scalars omitted,
// bytes values in base64.
nlohmann::json TracesDataToJson(const otlp::TracesData& data);

// `{}` on full success, or `{"partialSuccess":{"rejectedSpans":"N","errorMessage":"..."}}`.
std::string ExportResponseToJson(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse& response);

// `{"code":3,"message":"..."}` (details, if any, as `{"@type": ..., ...}` are omitted).
std::string RpcStatusToJson(const google::rpc::Status& status);

}  // namespace spanvault
