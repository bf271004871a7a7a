#include "sampling/batch_split.h"

#include <memory>

namespace spanvault::sampling {
namespace {

int CategoryOf(const opentelemetry::proto::trace::v1::Span& span,
               const std::function<int(const TraceId&)>& category) {
  auto id = TraceId::FromBytes(span.trace_id());
  return id.ok() ? category(*id) : 0;
}

// The single category of every span, or -1 when they differ.
int SingleCategory(const ExportRequest& request,
                   const std::function<int(const TraceId&)>& category) {
  int seen = -2;
  for (const auto& rs : request.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans()) {
        int c = CategoryOf(span, category);
        if (seen == -2) seen = c;
        if (c != seen) return -1;
      }
    }
  }
  return seen;
}

}  // namespace

std::vector<SpanBatch> SplitByTrace(SpanBatch batch, int categories,
                                    const std::function<int(const TraceId&)>& category) {
  std::vector<SpanBatch> parts(categories);
  int single = SingleCategory(batch.request(), category);
  if (single >= 0) {
    parts[single] = std::move(batch);
    return parts;
  }
  std::vector<std::unique_ptr<ExportRequest>> requests(categories);
  for (auto& r : requests) r = std::make_unique<ExportRequest>();
  for (auto& rs : *batch.mutable_request().mutable_resource_spans()) {
    for (auto& ss : *rs.mutable_scope_spans()) {
      // The ScopeSpans of each category in this ResourceSpans, made on first use.
      std::vector<opentelemetry::proto::trace::v1::ScopeSpans*> targets(categories, nullptr);
      for (auto& span : *ss.mutable_spans()) {
        int c = CategoryOf(span, category);
        if (targets[c] == nullptr) {
          auto* out_rs = requests[c]->add_resource_spans();
          *out_rs->mutable_resource() = rs.resource();
          out_rs->set_schema_url(rs.schema_url());
          targets[c] = out_rs->add_scope_spans();
          *targets[c]->mutable_scope() = ss.scope();
          targets[c]->set_schema_url(ss.schema_url());
        }
        *targets[c]->add_spans() = std::move(span);
      }
    }
  }
  for (int c = 0; c < categories; ++c) parts[c] = SpanBatch(std::move(requests[c]));
  return parts;
}

}  // namespace spanvault::sampling
