#include "query/trace_chunks.h"

#include <utility>

#include "query/jaeger_model.h"

namespace spanvault {

namespace {

// The most a nested message adds to its parent beyond its own size: a one-byte tag and a
// length of up to five bytes.
constexpr size_t kFieldOverhead = 6;

}  // namespace

std::vector<std::vector<::jaeger::api_v2::Span>> ChunkJaegerSpans(const otlp::TracesData& trace,
                                                                  int max_spans, size_t max_bytes) {
  std::vector<std::vector<::jaeger::api_v2::Span>> chunks;
  size_t used = 0;  // serialized bytes of the last chunk, about
  for (auto& span : SpansWithProcesses(ToJaegerTrace(trace))) {
    const size_t bytes = span.ByteSizeLong() + kFieldOverhead;
    if (chunks.empty() || chunks.back().size() >= static_cast<size_t>(max_spans) ||
        used + bytes > max_bytes) {
      chunks.emplace_back();
      used = 0;
    }
    chunks.back().push_back(std::move(span));
    used += bytes;
  }
  return chunks;
}

namespace {

// Builds the chunks one span at a time.
class Chunker {
 public:
  explicit Chunker(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Starts a resource group: the next span opens a ResourceSpans copied from `rs` (no scopes).
  void BeginResource(const otlp::ResourceSpans& rs) {
    resource_ = &rs;
    scope_ = nullptr;
    current_rs_ = nullptr;
  }
  void BeginScope(const otlp::ScopeSpans& ss) {
    scope_ = &ss;
    current_ss_ = nullptr;
  }

  void Add(otlp::Span span) {
    const size_t span_bytes = span.ByteSizeLong() + kFieldOverhead;
    if (!chunks_.empty() && used_ + span_bytes > max_bytes_) {
      chunks_.emplace_back();
      used_ = 0;
      current_rs_ = nullptr;
    }
    if (chunks_.empty()) chunks_.emplace_back();
    if (current_rs_ == nullptr) {
      current_rs_ = chunks_.back().add_resource_spans();
      *current_rs_->mutable_resource() = resource_->resource();
      current_rs_->set_schema_url(resource_->schema_url());
      used_ += current_rs_->ByteSizeLong() + kFieldOverhead;
      current_ss_ = nullptr;
    }
    if (current_ss_ == nullptr) {
      current_ss_ = current_rs_->add_scope_spans();
      *current_ss_->mutable_scope() = scope_->scope();
      current_ss_->set_schema_url(scope_->schema_url());
      used_ += current_ss_->ByteSizeLong() + kFieldOverhead;
    }
    *current_ss_->add_spans() = std::move(span);
    used_ += span_bytes;
  }

  std::vector<otlp::TracesData> Take() { return std::move(chunks_); }

 private:
  const size_t max_bytes_;
  std::vector<otlp::TracesData> chunks_;
  size_t used_ = 0;  // serialized bytes of the last chunk, about
  const otlp::ResourceSpans* resource_ = nullptr;
  const otlp::ScopeSpans* scope_ = nullptr;
  otlp::ResourceSpans* current_rs_ = nullptr;  // in the last chunk, for resource_
  otlp::ScopeSpans* current_ss_ = nullptr;     // in current_rs_, for scope_
};

}  // namespace

std::vector<otlp::TracesData> SplitTrace(otlp::TracesData trace, size_t max_bytes) {
  Chunker chunker(max_bytes);
  for (auto& rs : *trace.mutable_resource_spans()) {
    chunker.BeginResource(rs);
    for (auto& ss : *rs.mutable_scope_spans()) {
      chunker.BeginScope(ss);
      for (auto& span : *ss.mutable_spans()) chunker.Add(std::move(span));
    }
  }
  return chunker.Take();
}

}  // namespace spanvault
