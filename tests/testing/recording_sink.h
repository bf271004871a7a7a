#pragma once

// RecordingSink: a SpanSink that keeps every batch and answers with a chosen status.

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/span_sink.h"

namespace spanvault::testing {

// Thread-safe.
class RecordingSink final : public SpanSink {
 public:
  void Consume(SpanBatch batch, SpanSinkDone done) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::Status answer;
    {
      absl::MutexLock lock(&mu_);
      answer = answer_;
      if (answer.ok()) batches_.push_back(std::move(batch));
    }
    std::move(done)(answer);
  }

  // Every later Consume answers `status` (and keeps nothing unless it is OK).
  void AnswerWith(absl::Status status) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    answer_ = std::move(status);
  }

  size_t SpanCount() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    size_t n = 0;
    for (const auto& b : batches_) n += b.span_count();
    return n;
  }

  // The request of the i-th batch kept.
  ExportRequest Request(size_t i) const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return batches_.at(i).request();
  }

 private:
  mutable absl::Mutex mu_;
  absl::Status answer_ ABSL_GUARDED_BY(mu_);
  std::vector<SpanBatch> batches_ ABSL_GUARDED_BY(mu_);
};

}  // namespace spanvault::testing
