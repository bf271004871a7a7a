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
  // Longer span and event names are truncated to this many bytes (the span is kept; the
  // response carries a warning). Default: 4 KiB.
  size_t max_name_bytes = 4 * 1024;
  // Attributes beyond this many in one list (resource, scope, span, event, link) are dropped
  // and counted in that message's dropped_attributes_count. Default: 1024.
  int max_attributes = 1024;
  // Events and links beyond this many in one span are dropped and counted in its
  // dropped_events_count / dropped_links_count. Default: 1024 each.
  int max_events_per_span = 1024;
  int max_links_per_span = 1024;
  // Attribute values in one span in all (its own, its events' and links', and every array
  // element and kvlist entry nested in them), and likewise in one resource or scope: the
  // per-list limits alone still let 1024 events carry 1024 attributes each. Attributes past
  // it are dropped into dropped_attributes_count, nested entries are dropped. Default: 16384.
  int64_t max_values_per_span = 16384;
};

struct ValidationResult {
  int64_t accepted_spans = 0;
  int64_t rejected_spans = 0;
  int64_t truncated_values = 0;
  int64_t truncated_names = 0;
  // Attributes, events and links dropped over the count limits.
  int64_t dropped_entries = 0;
  // Empty when everything was accepted untouched; else a human-readable summary naming the
  // first problem, for ExportTracePartialSuccess.error_message.
  std::string message;
};

// Removes the spans that can never be stored (trace id not 16 bytes or all zero, span id not 8
// bytes or all zero, parent span id neither empty nor 8 bytes), truncates oversized attribute
// values and names (strings at a UTF-8 character boundary, so they stay valid `string` fields)
// and drops attributes, events and links over the count limits. Never fails: everything it
// rejects, truncates or drops is counted in the result.
ValidationResult ValidateExportRequest(const ValidationLimits& limits, ExportRequest* request);

}  // namespace spanvault
