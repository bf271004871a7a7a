#pragma once

// TraceStore: where spans end up. A SpanSink for the pipeline and a TraceReader for queries.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/kv_store.h"
#include "common/metrics.h"
#include "common/span_sink.h"
#include "storage/trace_reader.h"

namespace spanvault {

class EncryptionKeyAdmin;
class KeyRing;

// The tail sampler's state of one undecided trace.
struct PendingTrace {
  TraceId trace_id;
  absl::Time first_seen;  // when its first span arrived
  absl::Time last_seen;   // when its latest span arrived
  bool root_seen = false;
  int64_t span_count = 0;
  int64_t bytes = 0;  // serialized span bytes
};

// Spans of one trace that a pending write skipped because they were stored already (a retried
// export, or a span sent twice in one request).
struct DuplicateSpans {
  TraceId trace_id;
  int64_t spans = 0;
  int64_t bytes = 0;  // their serialized size (Span::ByteSizeLong)
};

// Called exactly once when a pending write is durable or failed; with OK, also the duplicates
// it skipped, so the sampler's counts stay exact.
using PendingWriteDone = absl::AnyInvocable<void(absl::Status, std::vector<DuplicateSpans>) &&>;

struct SamplingDecision {
  TraceId trace_id;
  bool keep = false;
  std::string policy;  // the policy that decided; tagged on a kept trace as `sampling.policy`
  absl::Time decided_at;
};

// What one retention pass removed (TraceStore::EnforceRetention).
struct RetentionReport {
  int buckets_dropped_for_age = 0;
  int buckets_dropped_for_disk = 0;
  uint64_t bytes_before = 0;  // BytesOnDisk() before and after the pass
  uint64_t bytes_after = 0;
  // The start of the oldest time bucket still stored; nullopt when none is.
  std::optional<absl::Time> oldest_data;
};

// Thread-safe.
class TraceStore : public SpanSink, public TraceReader, public TraceArchive {
 public:
  // Answers every batch still queued, then stops accepting (later batches get kUnavailable).
  // Idempotent.
  virtual void Shutdown() = 0;
  // Bytes the store occupies on disk (0 for memory).
  virtual uint64_t BytesOnDisk() = 0;
  // OK while the store can write. kUnavailable saying why while it refuses every write: "disk
  // full: ..." (with the free bytes) until space is freed, when it resumes by itself; or
  // "storage write error: ...". Reads go on meanwhile.
  virtual absl::Status WriteState() { return absl::OkStatus(); }
  // Rotation of the keys the store's files are encrypted with; nullptr when the store is not
  // encrypted (memory, or RocksDB with testing_no_encryption). Owned by the store.
  virtual EncryptionKeyAdmin* key_admin() { return nullptr; }

  // --- Durable tail sampling (DESIGN.md §5). Consume() stores spans as decided and kept. ---

  // Stores the spans of `batch`, whose traces are not decided yet, and the sampler's new state
  // `states` of those traces, in one atomic write: the spans are readable by trace id but get
  // no index entries and no summary, so search does not find them. Spans stored already are
  // skipped, and the stored states' span_count and bytes are reduced by them. `done` as for
  // Consume, with the duplicates skipped.
  virtual void ConsumePending(SpanBatch batch, std::vector<PendingTrace> states,
                              PendingWriteDone done) = 0;

  // Applies decisions, after every write queued before: keep indexes every stored span of the
  // trace, writes its summary and tags its root span (or earliest span) with the attribute
  // `sampling.policy` (unless a span has it already); drop deletes the trace's spans, unless the
  // trace was kept before (then the spans are indexed as late spans of a kept trace). Both remove
  // the pending state and remember the decision. `done` runs once all of it is durable.
  virtual void Decide(std::vector<SamplingDecision> decisions, SpanSinkDone done) = 0;

  // --- Retention (DESIGN.md §5); TraceArchive::Archive keeps a trace beyond it. ---

  // Removes, a whole time bucket at a time (one range delete per column family, then the files
  // freed), every bucket whose spans all started before `now` minus the retention; then, while
  // the store occupies more than `max_disk_bytes` (0: no budget), the oldest buckets left but
  // the newest. Archived traces, pending sampling state, the catalogue and the key-value spaces
  // stay. Blocks until the disk space is given back.
  virtual absl::StatusOr<RetentionReport> EnforceRetention(absl::Time now,
                                                           uint64_t max_disk_bytes) = 0;

  // Every pending trace's state, as last written (for the sampler after a restart).
  virtual absl::StatusOr<std::vector<PendingTrace>> LoadPending() = 0;
  // The newest decisions made at or after `since`, at most `limit`, oldest first.
  virtual absl::StatusOr<std::vector<SamplingDecision>> LoadDecisions(absl::Time since,
                                                                      size_t limit) = 0;
  // Forgets the decisions made before `before`.
  virtual absl::Status ForgetDecisions(absl::Time before) = 0;

  // A small persistent table of the sampler's runtime rules: opaque values by id, written
  // synchronously (fsync) so an acknowledged rule survives a crash.
  virtual absl::Status PutRule(const std::string& id, const std::string& value) = 0;
  // kNotFound for an unknown id.
  virtual absl::Status DeleteRule(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<std::pair<std::string, std::string>>> LoadRules() = 0;

  // Durable key-value spaces in the same (encrypted) store, kept apart from the traces and
  // their retention: users, roles and tokens; the audit log; the span-metrics aggregates
  // (RED metrics and dependency links, spanmetrics/aggregate_codec.h) and the order journeys
  // (journeys/journey_codec.h), which keep their own retention.
  virtual KvStore& Identities() = 0;
  virtual KvStore& Audit() = 0;
  virtual KvStore& SpanMetrics() = 0;
  virtual KvStore& Journeys() = 0;
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
  // Keys every RocksDB file is encrypted with (storage/crypto/key_file.h loads them; the
  // newest encrypts new files). Required for RocksDB unless testing_no_encryption.
  std::shared_ptr<const KeyRing> encryption_keys;
  // The key file encryption_keys came from: key rotation adds keys to it and removes retired
  // ones. Empty when they came from elsewhere (SPANVAULT_ENCRYPTION_KEY, tests); then rotation
  // can only rewrite files under the newest key already configured.
  std::string encryption_key_file;
  // How long spans are kept (by start time; see EnforceRetention). Spans go to time buckets of a
  // seventh of it (BucketWidthFor), so data stays between `retention` and about 8/7 of it.
  // Zero keeps everything (the disk budget still applies). Default: 7 days.
  absl::Duration retention = absl::Hours(24 * 7);
  // Time for bucketing spans (a span that starts in the future or before the retention counts
  // as now). Null: the real clock. Must outlive the store.
  Clock* clock = nullptr;
  // Tests only: RocksDB files in plaintext. Default: false.
  bool testing_no_encryption = false;
  // The process's memory budget; RocksDB's memtables and block cache are sized from it
  // (RocksDbOptions::memory_budget_bytes). 0: RocksDB's defaults. Default: 0.
  uint64_t memory_budget_bytes = 0;
  // Tests only: every RocksDB memtable this many bytes (frequent flushes and compactions).
  // 0: the production sizes. Default: 0.
  uint64_t testing_write_buffer_bytes = 0;
  // Where the store counts the writes it could not make (spanvault_storage_write_errors_total,
  // by reason). Null: not counted. Must outlive the store.
  MetricsRegistry* metrics = nullptr;
};

// The in-memory reference store (tests, and the conformance suite's baseline).
std::unique_ptr<TraceStore> NewMemoryTraceStore(const TraceStoreOptions& options);

// Opens (or creates) the RocksDB store at options.path. kInvalidArgument for bad options (no
// path; no keys without testing_no_encryption); kFailedPrecondition for the wrong keys or an
// encrypted directory opened without encryption or the reverse (nothing on disk changes);
// kUnavailable / kDataLoss when the database cannot be opened.
absl::StatusOr<std::unique_ptr<TraceStore>> OpenRocksDbTraceStore(const TraceStoreOptions& options);

}  // namespace spanvault
