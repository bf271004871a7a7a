#include "common/span_batch.h"

namespace spanvault {

size_t CountSpans(const ExportRequest& request) {
  size_t n = 0;
  for (const auto& rs : request.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) n += ss.spans_size();
  }
  return n;
}

SpanBatch::SpanBatch(std::unique_ptr<ExportRequest> request)
    : request_(std::move(request)), span_count_(CountSpans(*request_)) {}

}  // namespace spanvault
