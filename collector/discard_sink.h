#pragma once

// DiscardSink: the benchmark-only end of the pipeline (`spanvault --sink=discard`).

#include <utility>

#include "absl/status/status.h"
#include "common/span_sink.h"

namespace spanvault {

// Drops every batch and answers OK at once, so a load test measures the receivers alone
// (decode, validate, answer): the same-run baseline that spanvault's store-backed ingest is
// compared with. Nothing is stored; never use it outside benchmarks. Thread-safe (stateless).
class DiscardSink final : public SpanSink {
 public:
  void Consume(SpanBatch batch, SpanSinkDone done) override {
    { SpanBatch dropped = std::move(batch); }  // freed before answering, as a store would
    std::move(done)(absl::OkStatus());
  }
};

}  // namespace spanvault
