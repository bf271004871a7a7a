#pragma once

// TraceStore: where spans end up. A SpanSink for the pipeline and a TraceReader for queries.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/metrics.h"
#include "common/span_sink.h"
#include "storage/trace_reader.h"

namespace spanvault {

// Thread-safe.
class TraceStore : public SpanSink, public TraceReader {
 public:
  // Answers every batch still queued, then stops accepting (later batches get kUnavailable).
  // Idempotent.
  virtual void Shutdown() = 0;
  // Bytes the store occupies on disk (0 for memory).
  virtual uint64_t BytesOnDisk() = 0;
};

struct TraceStoreOptions {
  // Directory of the RocksDB database; created when missing. Required for RocksDB.
  std::string path;
  // Attribute keys that get a search index (DefaultIndexedAttributes() in the server).
  std::vector<std::string> indexed_attributes;
  // fsync the write-ahead log before acknowledging. Default: false (a process crash loses
  // nothing acknowledged; a power loss may lose the last writes).
  bool sync_writes = false;
  // Spans queued for writing before Consume answers kResourceExhausted. Default: 200,000.
  uint64_t max_pending_spans = 200000;
  // Most candidates a search verifies one by one when the indexes alone cannot answer it
  // (non-indexed tags, several conditions). Default: 20,000.
  int max_scan_candidates = 20000;
};

// The in-memory reference store (tests, and the conformance suite's baseline).
std::unique_ptr<TraceStore> NewMemoryTraceStore(const TraceStoreOptions& options);

// Opens (or creates) the RocksDB store at options.path. kInvalidArgument for bad options;
// kUnavailable / kDataLoss when the database cannot be opened.
absl::StatusOr<std::unique_ptr<TraceStore>> OpenRocksDbTraceStore(const TraceStoreOptions& options);

}  // namespace spanvault
