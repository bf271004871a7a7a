#include "collector/otlp_validate.h"

#include <algorithm>
#include <cstdint>

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

// Cuts `s` to at most `limit` bytes without splitting a UTF-8 sequence: protobuf refuses to
// parse a `string` field that is not valid UTF-8, so a split character would make the stored
// span unreadable. `s` is valid UTF-8 (both decoders check), so this backs off at most 3 bytes.
void TruncateUtf8(size_t limit, std::string* s) {
  size_t n = limit;
  while (n > 0 && (static_cast<unsigned char>((*s)[n]) & 0xC0) == 0x80) --n;
  s->resize(n);
}

// Truncates the strings in `value` and keeps at most `*budget` of the array elements and kvlist
// entries nested in it (in document order, counting down `*budget`); the rest are dropped and
// counted in `result`.
void LimitValue(const ValidationLimits& limits, int64_t* budget, otlp::AnyValue* value,
                ValidationResult* result) {
  auto keep_within_budget = [&](auto* list) {
    const int keep = static_cast<int>(std::min<int64_t>(list->size(), *budget));
    if (keep < list->size()) {
      result->dropped_entries += list->size() - keep;
      list->DeleteSubrange(keep, list->size() - keep);
    }
    *budget -= keep;
  };
  const size_t limit = limits.max_attribute_value_bytes;
  if (value->has_string_value() && value->string_value().size() > limit) {
    TruncateUtf8(limit, value->mutable_string_value());
    ++result->truncated_values;
  } else if (value->has_bytes_value() && value->bytes_value().size() > limit) {
    value->mutable_bytes_value()->resize(limit);
    ++result->truncated_values;
  } else if (value->has_array_value()) {
    auto* values = value->mutable_array_value()->mutable_values();
    keep_within_budget(values);
    for (auto& v : *values) LimitValue(limits, budget, &v, result);
  } else if (value->has_kvlist_value()) {
    auto* values = value->mutable_kvlist_value()->mutable_values();
    keep_within_budget(values);
    for (auto& kv : *values) LimitValue(limits, budget, kv.mutable_value(), result);
  }
}

// Removes the entries of `list` beyond `limit` and returns how many; `dropped` (a uint32 OTLP
// count) grows by that many, saturating.
template <typename List>
int64_t CapList(int limit, List* list, uint32_t* dropped) {
  if (list->size() <= limit) return 0;
  const int excess = list->size() - limit;
  list->DeleteSubrange(limit, excess);
  *dropped = static_cast<uint32_t>(
      std::min<uint64_t>(uint64_t{*dropped} + static_cast<uint64_t>(excess), UINT32_MAX));
  return excess;
}

// Caps and truncates the attributes of `message` (Resource, InstrumentationScope, Span, Event,
// Link: all have attributes and dropped_attributes_count). Every attribute and every value
// nested in one counts down `*budget`; attributes past the budget are dropped.
template <typename Message>
void LimitAttributes(const ValidationLimits& limits, int64_t* budget, Message* message,
                     ValidationResult* result) {
  auto* attributes = message->mutable_attributes();
  uint32_t dropped = message->dropped_attributes_count();
  result->dropped_entries += CapList(limits.max_attributes, attributes, &dropped);
  for (int i = 0; i < attributes->size(); ++i) {
    if (*budget <= 0) {
      result->dropped_entries += CapList(i, attributes, &dropped);
      break;
    }
    --*budget;
    LimitValue(limits, budget, attributes->Mutable(i)->mutable_value(), result);
  }
  message->set_dropped_attributes_count(dropped);
}

void LimitName(const ValidationLimits& limits, std::string* name, ValidationResult* result) {
  if (name->size() <= limits.max_name_bytes) return;
  TruncateUtf8(limits.max_name_bytes, name);
  ++result->truncated_names;
}

void LimitSpan(const ValidationLimits& limits, otlp::Span* span, ValidationResult* result) {
  int64_t budget = limits.max_values_per_span;
  LimitName(limits, span->mutable_name(), result);
  LimitAttributes(limits, &budget, span, result);
  uint32_t dropped = span->dropped_events_count();
  result->dropped_entries += CapList(limits.max_events_per_span, span->mutable_events(), &dropped);
  span->set_dropped_events_count(dropped);
  dropped = span->dropped_links_count();
  result->dropped_entries += CapList(limits.max_links_per_span, span->mutable_links(), &dropped);
  span->set_dropped_links_count(dropped);
  for (auto& event : *span->mutable_events()) {
    LimitName(limits, event.mutable_name(), result);
    LimitAttributes(limits, &budget, &event, result);
  }
  for (auto& link : *span->mutable_links()) LimitAttributes(limits, &budget, &link, result);
}

// The warnings for what was truncated or dropped, "" when nothing was.
std::string LimitWarnings(const ValidationLimits& limits, const ValidationResult& result) {
  std::string out;
  auto add = [&out](auto&&... parts) { absl::StrAppend(&out, out.empty() ? "" : "; ", parts...); };
  if (result.truncated_values > 0) {
    add(result.truncated_values, " attribute value(s) truncated to ",
        limits.max_attribute_value_bytes, " bytes");
  }
  if (result.truncated_names > 0) {
    add(result.truncated_names, " span or event name(s) truncated to ", limits.max_name_bytes,
        " bytes");
  }
  if (result.dropped_entries > 0) {
    add(result.dropped_entries, " attribute(s), event(s) or link(s) dropped over the limits (",
        limits.max_attributes, " attributes per list, ", limits.max_events_per_span, " events, ",
        limits.max_links_per_span, " links and ", limits.max_values_per_span,
        " attribute values per span)");
  }
  return out;
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
    LimitSpan(limits, spans->Mutable(i), result);
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
    int64_t resource_budget = limits.max_values_per_span;
    LimitAttributes(limits, &resource_budget, rs->mutable_resource(), &result);
    auto* scopes = rs->mutable_scope_spans();
    for (int s = 0; s < scopes->size(); ++s) {
      int64_t scope_budget = limits.max_values_per_span;
      LimitAttributes(limits, &scope_budget, scopes->Mutable(s)->mutable_scope(), &result);
      FilterSpans(limits, absl::StrCat("resourceSpans[", r, "].scopeSpans[", s, "]"),
                  scopes->Mutable(s), &result);
    }
  }
  std::string summary;
  if (result.rejected_spans > 0) {
    summary = absl::StrCat(result.rejected_spans, " span(s) rejected; first: ", result.message);
  }
  const std::string warnings = LimitWarnings(limits, result);
  if (!warnings.empty()) absl::StrAppend(&summary, summary.empty() ? "" : "; ", warnings);
  result.message = summary;
  return result;
}

}  // namespace spanvault
