#pragma once

// SpanSink: the one edge of the ingest pipeline (receivers -> sampler -> store).

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "common/span_batch.h"

namespace spanvault {

// Called exactly once per Consume(), possibly on another thread.
using SpanSinkDone = absl::AnyInvocable<void(absl::Status) &&>;

// Consumes batches of spans asynchronously. Implementations are thread-safe.
class SpanSink {
 public:
  virtual ~SpanSink() = default;

  // Takes ownership of `batch` and calls `done` exactly once: with OK once every span of the
  // batch is durable (its write-ahead-log record is written), or with an error and nothing of
  // the batch acknowledged. kResourceExhausted or kUnavailable mean "retry later" (a full queue
  // answers at once, without blocking the caller); kInvalidArgument means the batch can never
  // be accepted. Never blocks on I/O.
  virtual void Consume(SpanBatch batch, SpanSinkDone done) = 0;
};

}  // namespace spanvault
