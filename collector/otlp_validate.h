#pragma once

// Validation of OTLP export requests before they enter the pipeline.

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/span_batch.h"

namespace spanvault {

struct ValidationLimits {
  // Longer string and bytes attribute values are truncated to this many bytes (the span is
  // kept; the response carries a warning). Default: 64 KiB.
  size_t max_attribute_value_bytes = 64 * 1024;
};

struct ValidationResult {
  int64_t accepted_spans = 0;
  int64_t rejected_spans = 0;
  int64_t truncated_values = 0;
  // Empty when everything was accepted untouched; else a human-readable summary naming the
  // first problem, for ExportTracePartialSuccess.error_message.
  std::string message;
};

// Removes the spans that can never be stored (trace id not 16 bytes or all zero, span id not 8
// bytes or all zero, parent span id neither empty nor 8 bytes) and truncates oversized
// attribute values. Never fails: everything it rejects is counted in the result.
ValidationResult ValidateExportRequest(const ValidationLimits& limits, ExportRequest* request);

}  // namespace spanvault
