#include "storage/trace_records.h"

#include <algorithm>

namespace spanvault {

ResourceRecord MakeResourceRecord(const otlp::ResourceSpans& rs, const otlp::ScopeSpans& ss) {
  ResourceRecord record;
  *record.mutable_resource() = rs.resource();
  record.set_resource_schema_url(rs.schema_url());
  *record.mutable_scope() = ss.scope();
  record.set_scope_schema_url(ss.schema_url());
  return record;
}

uint64_t ResourceRecordKey(std::string_view serialized) {
  uint64_t hash = 14695981039346656037ull;
  for (char c : serialized) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

void AddSpanToSummary(const std::string& service, const otlp::Span& span, SummaryRecord* summary) {
  SummaryRecord one;
  one.set_span_count(1);
  one.set_error_span_count(IsError(span) ? 1 : 0);
  one.set_min_start_time_unix_nano(span.start_time_unix_nano());
  one.set_max_end_time_unix_nano(std::max(span.end_time_unix_nano(), span.start_time_unix_nano()));
  if (span.parent_span_id().empty()) {
    one.set_has_root(true);
    one.set_root_service_name(service);
    one.set_root_operation_name(span.name());
    one.set_root_start_time_unix_nano(span.start_time_unix_nano());
  }
  auto* svc = one.add_services();
  svc->set_name(service);
  svc->set_span_count(1);
  svc->set_error_span_count(one.error_span_count());
  MergeSummary(one, summary);
}

namespace {

// True when `a` should be the root rather than `b`: earlier start, then smaller names, so the
// choice does not depend on merge order.
bool BetterRoot(const SummaryRecord& a, const SummaryRecord& b) {
  if (!b.has_root()) return a.has_root();
  if (!a.has_root()) return false;
  return std::forward_as_tuple(a.root_start_time_unix_nano(), a.root_service_name(), a.root_operation_name()) <
         std::forward_as_tuple(b.root_start_time_unix_nano(), b.root_service_name(), b.root_operation_name());
}

void MergeServices(const SummaryRecord& from, SummaryRecord* into) {
  std::map<std::string, std::pair<int64_t, int64_t>> merged;
  for (const auto* rec : {&from, static_cast<const SummaryRecord*>(into)}) {
    for (const auto& s : rec->services()) {
      auto& counts = merged[s.name()];
      counts.first += s.span_count();
      counts.second += s.error_span_count();
    }
  }
  into->clear_services();
  for (const auto& [name, counts] : merged) {
    auto* s = into->add_services();
    s->set_name(name);
    s->set_span_count(counts.first);
    s->set_error_span_count(counts.second);
  }
}

}  // namespace

void MergeSummary(const SummaryRecord& from, SummaryRecord* into) {
  if (from.span_count() == 0) return;
  bool into_empty = into->span_count() == 0;
  if (BetterRoot(from, *into)) {
    into->set_has_root(true);
    into->set_root_service_name(from.root_service_name());
    into->set_root_operation_name(from.root_operation_name());
    into->set_root_start_time_unix_nano(from.root_start_time_unix_nano());
  }
  into->set_min_start_time_unix_nano(
      into_empty ? from.min_start_time_unix_nano()
                 : std::min(into->min_start_time_unix_nano(), from.min_start_time_unix_nano()));
  into->set_max_end_time_unix_nano(
      std::max(into->max_end_time_unix_nano(), from.max_end_time_unix_nano()));
  into->set_span_count(into->span_count() + from.span_count());
  into->set_error_span_count(into->error_span_count() + from.error_span_count());
  MergeServices(from, into);
}

TraceSummary ToTraceSummary(const TraceId& trace_id, const SummaryRecord& summary) {
  TraceSummary out;
  out.trace_id = trace_id;
  out.root_service_name = summary.root_service_name();
  out.root_operation_name = summary.root_operation_name();
  out.min_start_time_unix_nano = summary.min_start_time_unix_nano();
  out.max_end_time_unix_nano = summary.max_end_time_unix_nano();
  out.span_count = summary.span_count();
  out.error_span_count = summary.error_span_count();
  for (const auto& s : summary.services()) {
    out.services.push_back({s.name(), s.span_count(), s.error_span_count()});
  }
  return out;
}

void TraceAssembler::AddResource(uint64_t key, ResourceRecord record) {
  resources_[key] = std::move(record);
}

void TraceAssembler::AddSpan(uint64_t resource_key, otlp::Span span) {
  spans_[resource_key].push_back(std::move(span));
}

otlp::TracesData TraceAssembler::Build() && {
  otlp::TracesData out;
  for (auto& [key, spans] : spans_) {
    std::sort(spans.begin(), spans.end(), [](const otlp::Span& a, const otlp::Span& b) {
      return std::forward_as_tuple(a.start_time_unix_nano(), a.span_id()) <
             std::forward_as_tuple(b.start_time_unix_nano(), b.span_id());
    });
    auto* rs = out.add_resource_spans();
    auto* ss = rs->add_scope_spans();
    if (auto it = resources_.find(key); it != resources_.end()) {
      *rs->mutable_resource() = std::move(*it->second.mutable_resource());
      rs->set_schema_url(it->second.resource_schema_url());
      *ss->mutable_scope() = std::move(*it->second.mutable_scope());
      ss->set_schema_url(it->second.scope_schema_url());
    }
    for (auto& span : spans) *ss->add_spans() = std::move(span);
  }
  return out;
}

}  // namespace spanvault
