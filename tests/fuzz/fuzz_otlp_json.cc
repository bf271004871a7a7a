// OTLP/JSON export requests: decode, then validate what decoded.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collector/otlp_validate.h"
#include "common/otlp_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  spanvault::ExportRequest request;
  std::string_view json(reinterpret_cast<const char*>(data), size);
  if (!spanvault::DecodeOtlpJson(json, &request).ok()) return 0;
  spanvault::ValidateExportRequest(spanvault::ValidationLimits{}, &request);
  return 0;
}
