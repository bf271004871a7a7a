#include "query/trace_filter.h"

#include <string>
#include <string_view>
#include <utility>

namespace spanvault {
namespace {

constexpr std::string_view kServiceNameKey = "service.name";

// Redacts or removes the attributes of a span (event, link, scope, resource) of `service`
// as `policy` says. With `keep_service_name`, service.name stays as it is.
void FilterAttributes(const AccessPolicy& policy, const std::string& service,
                      otlp::Attributes* attributes, bool keep_service_name = false) {
  otlp::Attributes kept;
  for (otlp::KeyValue& kv : *attributes) {
    if (keep_service_name && kv.key() == kServiceNameKey) {
      kept.Add(std::move(kv));
      continue;
    }
    switch (policy.ForAttribute(service, kv.key())) {
      case AttributeAccess::kShow:
        kept.Add(std::move(kv));
        break;
      case AttributeAccess::kRedact:
        kv.mutable_value()->set_string_value(kRedactedValue);
        kept.Add(std::move(kv));
        break;
      case AttributeAccess::kHide:
        break;
    }
  }
  attributes->Swap(&kept);
}

void FilterSpan(const AccessPolicy& policy, const std::string& service, otlp::Span* span) {
  FilterAttributes(policy, service, span->mutable_attributes());
  for (auto& event : *span->mutable_events()) {
    FilterAttributes(policy, service, event.mutable_attributes());
  }
  for (auto& link : *span->mutable_links()) {
    FilterAttributes(policy, service, link.mutable_attributes());
  }
}

// The readable resource `rs` of `service`, filtered in place.
void FilterResourceSpans(const AccessPolicy& policy, const std::string& service,
                         otlp::ResourceSpans* rs) {
  FilterAttributes(policy, service, rs->mutable_resource()->mutable_attributes(),
                   /*keep_service_name=*/true);
  for (auto& ss : *rs->mutable_scope_spans()) {
    FilterAttributes(policy, service, ss.mutable_scope()->mutable_attributes());
    for (auto& span : *ss.mutable_spans()) FilterSpan(policy, service, &span);
  }
}

// Ids, timing and kind of `span`, nothing else.
otlp::Span Placeholder(const otlp::Span& span) {
  otlp::Span out;
  out.set_trace_id(span.trace_id());
  out.set_span_id(span.span_id());
  out.set_parent_span_id(span.parent_span_id());
  out.set_name(kHiddenName);
  out.set_kind(span.kind());
  out.set_start_time_unix_nano(span.start_time_unix_nano());
  out.set_end_time_unix_nano(span.end_time_unix_nano());
  return out;
}

// The one resource that holds a trace's placeholders.
otlp::ResourceSpans PlaceholderResource() {
  otlp::ResourceSpans rs;
  auto* name = rs.mutable_resource()->add_attributes();
  name->set_key(std::string(kServiceNameKey));
  name->mutable_value()->set_string_value(kHiddenName);
  rs.add_scope_spans();
  return rs;
}

}  // namespace

std::optional<otlp::TracesData> ViewTrace(const AccessPolicy& policy, otlp::TracesData trace) {
  if (policy.ReadsEverything()) return trace;
  otlp::TracesData out;
  otlp::ResourceSpans hidden = PlaceholderResource();
  bool any_readable = false;
  for (auto& rs : *trace.mutable_resource_spans()) {
    std::string service = ServiceName(rs.resource());
    if (policy.CanReadService(service)) {
      FilterResourceSpans(policy, service, &rs);
      any_readable = any_readable || !rs.scope_spans().empty();
      *out.add_resource_spans() = std::move(rs);
      continue;
    }
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans()) {
        *hidden.mutable_scope_spans(0)->add_spans() = Placeholder(span);
      }
    }
  }
  if (!any_readable) return std::nullopt;
  if (hidden.scope_spans(0).spans_size() > 0) *out.add_resource_spans() = std::move(hidden);
  return out;
}

std::optional<TraceSummary> ViewSummary(const AccessPolicy& policy, TraceSummary summary) {
  if (policy.ReadsEverything()) return summary;
  std::vector<ServiceSummary> readable;
  summary.span_count = 0;
  summary.error_span_count = 0;
  for (auto& service : summary.services) {
    if (!policy.CanReadService(service.name)) continue;
    summary.span_count += service.span_count;
    summary.error_span_count += service.error_span_count;
    readable.push_back(std::move(service));
  }
  if (readable.empty()) return std::nullopt;
  summary.services = std::move(readable);
  if (!summary.root_service_name.empty() && !policy.CanReadService(summary.root_service_name)) {
    summary.root_service_name.clear();
    summary.root_operation_name.clear();
  }
  return summary;
}

SearchScope ScopeOf(std::shared_ptr<const AccessPolicy> policy) {
  if (policy->ReadsEverything()) return {};
  return SearchScope{
      .service_visible =
          [policy](std::string_view service) { return policy->CanReadService(service); },
      .tag_visible =
          [policy](std::string_view service, std::string_view key) {
            return policy->ForAttribute(service, key) == AttributeAccess::kShow;
          }};
}

}  // namespace spanvault
