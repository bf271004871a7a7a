#pragma once

// BatchBuilder: turns span writes and sampling decisions into one rocksdb::WriteBatch.

#include <deque>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "rocksdb/write_batch.h"
#include "storage/rocksdb/catalog.h"
#include "storage/rocksdb/db.h"
#include "storage/rocksdb/index_builder.h"
#include "storage/trace_records.h"
#include "storage/trace_store.h"

namespace spanvault {

// Not thread-safe: used by the store's single writer thread, which is what makes the
// "does this span exist yet" checks race-free.
class BatchBuilder {
 public:
  // Everything borrowed must outlive the builder.
  BatchBuilder(RocksDb& db, Catalog& catalog, const absl::flat_hash_set<std::string>& indexed)
      : db_(db), catalog_(catalog), index_(indexed) {}

  // Adds the spans of `batch` that are not stored yet (a retried export is skipped; with
  // `duplicates`, counted there by trace). With `indexed`, the spans are of kept traces: they
  // also get index entries, catalogue entries and a summary merge operand; otherwise they wait
  // for a sampling decision.
  absl::Status AddSpans(const SpanBatch& batch, bool indexed,
                        absl::flat_hash_map<TraceId, DuplicateSpans>* duplicates = nullptr);
  // Records the sampler's state of a pending trace.
  void AddPendingState(const PendingTrace& state);
  // Adds a decision. Reads the trace as committed: commit earlier span writes first.
  absl::Status AddDecision(const SamplingDecision& decision);

  bool empty() const { return batch_.Count() == 0 && !index_used_; }
  // Writes everything added (index entries and summaries included) atomically.
  absl::Status Commit(bool sync);

 private:
  absl::Status KeepTrace(const SamplingDecision& decision);
  absl::Status DropTrace(const SamplingDecision& decision);
  absl::StatusOr<bool> WasKept(const TraceId& trace);
  void RememberDecision(const SamplingDecision& decision);
  void AddToCatalog(const std::string& service, const otlp::Span& span);

  struct NewOperation {
    std::string service;
    std::string name;
    int kind;
  };

  RocksDb& db_;
  Catalog& catalog_;
  IndexBuilder index_;
  bool index_used_ = false;
  rocksdb::WriteBatch batch_;
  absl::flat_hash_map<TraceId, SummaryRecord> summary_deltas_;
  absl::flat_hash_set<std::string> written_keys_;  // span, resource and catalogue keys
  std::vector<NewOperation> new_operations_;
};

}  // namespace spanvault
