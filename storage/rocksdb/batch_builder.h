#pragma once

// BatchBuilder: turns span writes and sampling decisions into one rocksdb::WriteBatch.

#include <deque>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "rocksdb/write_batch.h"
#include "storage/rocksdb/catalog.h"
#include "storage/rocksdb/db.h"
#include "storage/rocksdb/index_builder.h"
#include "storage/rocksdb/time_buckets.h"
#include "storage/trace_records.h"
#include "storage/trace_store.h"

namespace spanvault {

// Not thread-safe: used by the store's single writer thread, which is what makes the
// "does this span exist yet" checks race-free.
class BatchBuilder {
 public:
  // Everything borrowed must outlive the builder. Spans go to the time bucket of their start
  // as of `now` (TimeBuckets::BucketFor).
  BatchBuilder(RocksDb& db, Catalog& catalog, TimeBuckets& buckets,
               const absl::flat_hash_set<std::string>& indexed, absl::Time now)
      : db_(db), catalog_(catalog), buckets_(buckets), index_(indexed), now_(now) {}

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
  // Copies every stored span of the trace, its summary and index entries into the archive
  // bucket, which retention never drops. kNotFound when the trace has no span. Reads the trace
  // as committed.
  absl::Status AddArchive(const TraceId& trace);
  // Deletes every key of `bucket` in the trace column families (range deletes) and its
  // registry entry; on commit, the bucket is no longer live.
  void AddDropBucket(uint64_t bucket);

  bool empty() const { return batch_.Count() == 0 && !index_used_; }
  // Writes everything added (index entries and summaries included) atomically.
  absl::Status Commit(bool sync);

 private:
  absl::Status KeepTrace(const SamplingDecision& decision);
  absl::Status DropTrace(const SamplingDecision& decision);
  absl::StatusOr<bool> WasKept(const TraceId& trace);
  // The bucket of a span starting at `start_unix_nano`; remembers new ones for Commit.
  uint64_t BucketOf(uint64_t start_unix_nano);
  void AddSummaryDelta(uint64_t bucket, const TraceId& trace, const SummaryRecord& delta);
  void RememberDecision(const SamplingDecision& decision);
  void AddToCatalog(const std::string& service, const otlp::Span& span);

  struct NewOperation {
    std::string service;
    std::string name;
    int kind;
  };

  RocksDb& db_;
  Catalog& catalog_;
  TimeBuckets& buckets_;
  IndexBuilder index_;
  const absl::Time now_;
  absl::flat_hash_map<uint64_t, uint64_t> new_buckets_;  // start -> end
  std::vector<uint64_t> dropped_buckets_;
  bool index_used_ = false;
  rocksdb::WriteBatch batch_;
  absl::flat_hash_map<std::string, SummaryRecord> summary_deltas_;  // by bucket + trace id
  absl::flat_hash_set<std::string> written_keys_;  // span, resource and catalogue keys
  std::vector<NewOperation> new_operations_;
};

}  // namespace spanvault
