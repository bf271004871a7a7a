// OTLP/protobuf export requests as the receivers take them: parse, validate, then render what
// was accepted as the Jaeger UI's JSON (hostile strings and ids reach the renderer too). The
// renderer the HTTP API uses must print exactly what the nlohmann::json document dumps.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "collector/otlp_validate.h"
#include "common/span_batch.h"
#include "query/jaeger_json.h"
#include "query/jaeger_trace_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  spanvault::ExportRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  spanvault::ValidateExportRequest(spanvault::ValidationLimits{}, &request);
  spanvault::otlp::TracesData trace;
  *trace.mutable_resource_spans() = request.resource_spans();
  const std::string expected = spanvault::TraceToJaegerJson(trace).dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string rendered;
  spanvault::JsonWriter writer(rendered);
  spanvault::WriteJaegerTrace(trace, {}, writer);
  if (rendered != expected) std::abort();
  return 0;
}
