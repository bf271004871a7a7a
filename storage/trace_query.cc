#include "absl/strings/str_cat.h"
#include "storage/trace_reader.h"

namespace spanvault {

absl::Status ValidateQuery(const TraceQuery& query) {
  if (query.start_time_min_unix_nano > query.start_time_max_unix_nano) {
    return absl::InvalidArgumentError("start time min is after start time max");
  }
  if (query.duration_min_nanos && query.duration_max_nanos &&
      *query.duration_min_nanos > *query.duration_max_nanos) {
    return absl::InvalidArgumentError("duration min is greater than duration max");
  }
  if (query.search_depth < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("search depth must be at least 1, got ", query.search_depth));
  }
  return absl::OkStatus();
}

namespace {

bool HasTag(const otlp::Resource& resource, const otlp::Span& span, const std::string& key,
            const std::string& value) {
  bool found = false;
  ForEachSearchableTag(resource, span, [&](std::string_view k, std::string_view v) {
    if (!found && k == key && v == value) found = true;
  });
  return found;
}

}  // namespace

bool SpanMatches(const TraceQuery& query, const otlp::Resource& resource, const otlp::Span& span) {
  std::string service = ServiceName(resource);
  if (!query.service_name.empty() && service != query.service_name) return false;
  if (!ServiceInScope(query.scope, service)) return false;
  if (!query.operation_name.empty() && span.name() != query.operation_name) return false;
  uint64_t start = span.start_time_unix_nano();
  if (start < query.start_time_min_unix_nano || start > query.start_time_max_unix_nano) {
    return false;
  }
  uint64_t duration = DurationNanos(span);
  if (query.duration_min_nanos && duration < *query.duration_min_nanos) return false;
  if (query.duration_max_nanos && duration > *query.duration_max_nanos) return false;
  for (const auto& [key, value] : query.attributes) {
    if (!TagInScope(query.scope, service, key)) return false;
    if (!HasTag(resource, span, key, value)) return false;
  }
  return true;
}

}  // namespace spanvault
