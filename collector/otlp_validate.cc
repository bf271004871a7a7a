#include "collector/otlp_validate.h"

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/otlp_util.h"

namespace spanvault {
namespace {

// The reason a span can never be stored, or "" when it is fine.
std::string SpanProblem(const otlp::Span& span) {
  if (span.trace_id().size() != 16) {
    return absl::StrCat("trace id must be 16 bytes, got ", span.trace_id().size());
  }
  if (!IsValidTraceId(span.trace_id())) return "trace id is all zeros";
  if (span.span_id().size() != 8) {
    return absl::StrCat("span id must be 8 bytes, got ", span.span_id().size());
  }
  if (!IsValidSpanId(span.span_id())) return "span id is all zeros";
  if (!span.parent_span_id().empty() && span.parent_span_id().size() != 8) {
    return absl::StrCat("parent span id must be empty or 8 bytes, got ",
                        span.parent_span_id().size());
  }
  return "";
}

int64_t TruncateValue(size_t limit, otlp::AnyValue* value) {
  int64_t n = 0;
  if (value->has_string_value() && value->string_value().size() > limit) {
    value->mutable_string_value()->resize(limit);
    ++n;
  } else if (value->has_bytes_value() && value->bytes_value().size() > limit) {
    value->mutable_bytes_value()->resize(limit);
    ++n;
  } else if (value->has_array_value()) {
    for (auto& v : *value->mutable_array_value()->mutable_values()) n += TruncateValue(limit, &v);
  } else if (value->has_kvlist_value()) {
    for (auto& kv : *value->mutable_kvlist_value()->mutable_values()) {
      n += TruncateValue(limit, kv.mutable_value());
    }
  }
  return n;
}

int64_t TruncateAttributes(size_t limit, otlp::Attributes* attributes) {
  int64_t n = 0;
  for (auto& kv : *attributes) n += TruncateValue(limit, kv.mutable_value());
  return n;
}

int64_t TruncateSpan(size_t limit, otlp::Span* span) {
  int64_t n = TruncateAttributes(limit, span->mutable_attributes());
  for (auto& event : *span->mutable_events())
    n += TruncateAttributes(limit, event.mutable_attributes());
  for (auto& link : *span->mutable_links())
    n += TruncateAttributes(limit, link.mutable_attributes());
  return n;
}

// Keeps the valid spans of one ScopeSpans, in order.
void FilterSpans(const ValidationLimits& limits, const std::string& where, otlp::ScopeSpans* ss,
                 ValidationResult* result) {
  auto* spans = ss->mutable_spans();
  int kept = 0;
  for (int i = 0; i < spans->size(); ++i) {
    std::string problem = SpanProblem(spans->Get(i));
    if (!problem.empty()) {
      if (result->rejected_spans++ == 0) {
        result->message = absl::StrCat(where, ".spans[", i, "]: ", problem);
      }
      continue;
    }
    result->truncated_values += TruncateSpan(limits.max_attribute_value_bytes, spans->Mutable(i));
    if (kept != i) spans->SwapElements(kept, i);
    ++kept;
  }
  spans->DeleteSubrange(kept, spans->size() - kept);
  result->accepted_spans += kept;
}

}  // namespace

ValidationResult ValidateExportRequest(const ValidationLimits& limits, ExportRequest* request) {
  ValidationResult result;
  auto* all = request->mutable_resource_spans();
  for (int r = 0; r < all->size(); ++r) {
    auto* rs = all->Mutable(r);
    result.truncated_values += TruncateAttributes(limits.max_attribute_value_bytes,
                                                  rs->mutable_resource()->mutable_attributes());
    auto* scopes = rs->mutable_scope_spans();
    for (int s = 0; s < scopes->size(); ++s) {
      FilterSpans(limits, absl::StrCat("resourceSpans[", r, "].scopeSpans[", s, "]"),
                  scopes->Mutable(s), &result);
    }
  }
  std::string summary;
  if (result.rejected_spans > 0) {
    summary = absl::StrCat(result.rejected_spans, " span(s) rejected; first: ", result.message);
  }
  if (result.truncated_values > 0) {
    absl::StrAppend(&summary, summary.empty() ? "" : "; ", result.truncated_values,
                    " attribute value(s) truncated to ", limits.max_attribute_value_bytes,
                    " bytes");
  }
  result.message = summary;
  return result;
}

}  // namespace spanvault
