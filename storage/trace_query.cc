#include "storage/trace_reader.h"

namespace spanvault {

absl::Status ValidateQuery(const TraceQuery& query) { return absl::OkStatus(); }

bool SpanMatches(const TraceQuery& query, const otlp::Resource& resource, const otlp::Span& span) {
  return false;
}

}  // namespace spanvault
