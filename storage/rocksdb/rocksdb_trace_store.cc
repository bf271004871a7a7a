// RocksDbTraceStore: the RocksDB-backed TraceStore (layout in key_codec.h).
//
// Writes go through one writer thread: Consume(), ConsumePending() and Decide() queue an
// operation and return; the writer takes every queued operation, turns consecutive span writes
// into one rocksdb::WriteBatch (group commit), writes it with the WAL on, and only then calls
// each operation's `done`. Decisions read the trace as committed, so the span writes queued
// before them are committed first. Being the only writer also makes the retry check simple: a
// span whose key already exists is a retried export and is skipped.
//
// The writer is the ingest bottleneck (benchmarks/RESULTS.md), so it hands each group it wrote
// to a second thread, the answerer, which calls the `done` callbacks (in queue order) and frees
// the group. What a callback does (span metrics, ending the RPC) and destroying a decoded
// export request (one free per attribute) took a third of the writer's time when it did them.

#include <pthread.h>

#include <deque>
#include <filesystem>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "rocksdb/convenience.h"
#include "storage/crypto/key_ring.h"
#include "storage/rocksdb/batch_builder.h"
#include "storage/rocksdb/catalog.h"
#include "storage/rocksdb/db.h"
#include "storage/rocksdb/key_codec.h"
#include "storage/rocksdb/key_rotation.h"
#include "storage/rocksdb/kv_column.h"
#include "storage/rocksdb/rocks_status.h"
#include "storage/rocksdb/time_buckets.h"
#include "storage/rocksdb/trace_search.h"
#include "storage/trace_records.h"
#include "storage/trace_store.h"

namespace spanvault {
namespace {

// `buckets` and then the archive: reads see an archived trace's copy after its live spans.
std::vector<uint64_t> WithArchive(std::vector<uint64_t> buckets) {
  buckets.push_back(keys::kArchiveBucket);
  return buckets;
}

// One queued write.
struct WriteOp {
  // kArchive copies `trace` to the archive; kDropBuckets drops `buckets`.
  enum class Kind { kIndexed, kPending, kDecide, kArchive, kDropBuckets };
  Kind kind = Kind::kIndexed;
  SpanBatch batch;
  std::vector<PendingTrace> states;
  std::vector<SamplingDecision> decisions;
  SpanSinkDone done;              // all but kPending
  PendingWriteDone pending_done;  // kPending
  TraceId trace;
  std::vector<uint64_t> buckets;
  // Set by the writer, for the answerer.
  absl::Status status;
  std::vector<DuplicateSpans> duplicates;

  bool writes_spans() const { return kind == Kind::kIndexed || kind == Kind::kPending; }

  // Calls whichever callback this operation has, exactly once.
  void Answer(const absl::Status& status, std::vector<DuplicateSpans> duplicates = {}) {
    if (kind == Kind::kPending) {
      std::move(pending_done)(status, std::move(duplicates));
    } else {
      std::move(done)(status);
    }
  }
};

PendingTrace FromRecord(const TraceId& id, const spanvault::storage::v1::PendingRecord& r) {
  PendingTrace t;
  t.trace_id = id;
  t.first_seen = absl::FromUnixNanos(static_cast<int64_t>(r.first_seen_unix_nano()));
  t.last_seen = absl::FromUnixNanos(static_cast<int64_t>(r.last_seen_unix_nano()));
  t.root_seen = r.root_seen();
  t.span_count = r.span_count();
  t.bytes = r.bytes();
  return t;
}

// `options` without the key ring: once the database is open the keys live only in its
// encryption provider, so a retired key leaves memory with it.
TraceStoreOptions WithoutKeys(TraceStoreOptions options) {
  options.encryption_keys.reset();
  return options;
}

std::unique_ptr<RocksDbKeyRotation> NewKeyRotation(RocksDb& db, const TraceStoreOptions& options) {
  if (db.encryption == nullptr) return nullptr;
  KeyRotationOptions rotation;
  rotation.store_path = options.path;
  rotation.key_file = options.encryption_key_file;
  if (options.encryption_keys != nullptr) rotation.key_source = options.encryption_keys->source();
  return std::make_unique<RocksDbKeyRotation>(db, std::move(rotation));
}

class RocksDbTraceStore final : public TraceStore {
 public:
  RocksDbTraceStore(const TraceStoreOptions& options, std::unique_ptr<RocksDb> db)
      : options_(WithoutKeys(options)),
        indexed_(options.indexed_attributes.begin(), options.indexed_attributes.end()),
        db_(std::move(db)),
        clock_(options.clock != nullptr ? options.clock : &RealClock::Get()),
        buckets_(BucketWidthFor(options.retention), options.retention),
        search_(*db_, catalog_, buckets_, indexed_, options.max_scan_candidates),
        identities_(*db_->db, db_->identities, "identities"),
        audit_(*db_->db, db_->audit, "the audit log"),
        span_metrics_(*db_->db, db_->span_metrics, "the span metrics"),
        journeys_(*db_->db, db_->journeys, "the journeys"),
        key_rotation_(NewKeyRotation(*db_, options)),
        write_errors_(options.metrics == nullptr
                          ? nullptr
                          : &options.metrics->AddCounter(
                                "spanvault_storage_write_errors_total",
                                "Writes of spans, sampling decisions and retention the trace "
                                "store could not make, by reason (no_space: the disk is full).",
                                {"reason"})) {}
  ~RocksDbTraceStore() override { Shutdown(); }

  absl::Status Start();
  void Consume(SpanBatch batch, SpanSinkDone done) override {
    Enqueue(WriteOp{WriteOp::Kind::kIndexed, std::move(batch), {}, {}, std::move(done)});
  }
  void ConsumePending(SpanBatch batch, std::vector<PendingTrace> states,
                      PendingWriteDone done) override {
    Enqueue(WriteOp{
        WriteOp::Kind::kPending, std::move(batch), std::move(states), {}, {}, std::move(done)});
  }
  void Decide(std::vector<SamplingDecision> decisions, SpanSinkDone done) override {
    Enqueue(WriteOp{WriteOp::Kind::kDecide, {}, {}, std::move(decisions), std::move(done)});
  }
  void Shutdown() override ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t BytesOnDisk() override;
  absl::Status WriteState() override { return db_->disk->State(); }
  EncryptionKeyAdmin* key_admin() override { return key_rotation_.get(); }

  absl::StatusOr<std::vector<std::string>> GetServices() override { return catalog_.Services(); }
  absl::StatusOr<std::vector<Operation>> GetOperations(const std::string& service,
                                                       const std::string& span_kind) override {
    return catalog_.Operations(service, span_kind);
  }
  absl::StatusOr<otlp::TracesData> GetTrace(const TraceId& trace_id) override {
    return ReadTrace(*db_, WithArchive(buckets_.NewestFirst()), trace_id);
  }
  absl::StatusOr<std::vector<TraceId>> FindTraceIds(const TraceQuery& query) override {
    return search_.Find(query);
  }
  absl::StatusOr<std::vector<TraceSummary>> GetSummaries(const std::vector<TraceId>& ids) override;

  absl::StatusOr<std::vector<PendingTrace>> LoadPending() override;
  absl::StatusOr<std::vector<SamplingDecision>> LoadDecisions(absl::Time since,
                                                              size_t limit) override;
  absl::Status ForgetDecisions(absl::Time before) override;
  absl::Status PutRule(const std::string& id, const std::string& value) override;
  absl::Status DeleteRule(const std::string& id) override;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> LoadRules() override;
  absl::StatusOr<bool> IsPending(const TraceId& trace_id) override;
  KvStore& Identities() override { return identities_; }
  KvStore& Audit() override { return audit_; }
  KvStore& SpanMetrics() override { return span_metrics_; }
  KvStore& Journeys() override { return journeys_; }
  absl::Status Archive(const TraceId& trace_id) override;
  absl::StatusOr<RetentionReport> EnforceRetention(absl::Time now,
                                                   uint64_t max_disk_bytes) override;

 private:
  absl::Status LoadCatalog();
  absl::Status LoadBuckets();
  // Queues `op` (not a span write) and waits for its answer.
  absl::Status RunOnWriter(WriteOp op);
  // Drops `bucket` and gives its disk space back.
  absl::Status DropBucket(uint64_t bucket);
  void WriteOther(WriteOp& op);
  void Enqueue(WriteOp op) ABSL_LOCKS_EXCLUDED(mu_);
  void WriterLoop() ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<WriteOp> TakeGroup() ABSL_LOCKS_EXCLUDED(mu_);
  // Queues a written `group` for the answerer; waits while that one is far behind.
  void HandOver(std::vector<WriteOp> group) ABSL_LOCKS_EXCLUDED(answer_mu_);
  void AnswererLoop() ABSL_LOCKS_EXCLUDED(answer_mu_);
  // Writes `ops` (no decisions) in one batch and answers them.
  void WriteSpans(std::vector<WriteOp*>& ops);
  // Counts `ops` failed writes and, while the disk is full, answers with why and for how long.
  absl::Status WriteFailed(absl::Status status, size_t ops);
  absl::StatusOr<SamplingDecision> ReadDecision(const TraceId& trace);

  // Constant after construction.
  const TraceStoreOptions options_;
  const absl::flat_hash_set<std::string> indexed_;
  const std::unique_ptr<RocksDb> db_;
  Clock* const clock_;
  Catalog catalog_;
  TimeBuckets buckets_;
  const TraceSearch search_;
  RocksKvStore identities_;
  RocksKvStore audit_;
  RocksKvStore span_metrics_;
  RocksKvStore journeys_;
  // Null when the store is not encrypted.
  const std::unique_ptr<RocksDbKeyRotation> key_rotation_;
  CounterFamily* const write_errors_;  // null without metrics
  std::thread writer_;
  std::thread answerer_;

  absl::Mutex mu_;
  std::deque<WriteOp> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t queued_spans_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;

  absl::Mutex answer_mu_;
  std::deque<std::vector<WriteOp>> written_ ABSL_GUARDED_BY(answer_mu_);
  bool writer_done_ ABSL_GUARDED_BY(answer_mu_) = false;
};

absl::Status RocksDbTraceStore::Start() {
  absl::Status s = LoadCatalog();
  if (s.ok()) s = LoadBuckets();
  if (!s.ok()) return s;
  writer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sv-writer");  // per-thread CPU figures name it
    WriterLoop();
  });
  answerer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sv-answerer");
    AnswererLoop();
  });
  db_->disk->Start(*db_->db);
  if (options_.metrics != nullptr) {
    std::shared_ptr<DiskSpaceWatch> disk = db_->disk;  // the gauges may outlive the store
    options_.metrics->AddGauge(
        "spanvault_storage_disk_full",
        "1 while the trace store refuses writes because its disk is full (/readyz says why).",
        [disk] { return disk->disk_full() ? 1.0 : 0.0; });
    options_.metrics->AddGauge("spanvault_storage_free_bytes",
                               "Bytes free on the filesystem of the trace store's directory.",
                               [disk] { return static_cast<double>(disk->FreeBytes()); });
  }
  if (key_rotation_) key_rotation_->Start();
  return absl::OkStatus();
}

absl::Status RocksDbTraceStore::LoadCatalog() {
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(rocksdb::ReadOptions(), db_->catalog));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string service, operation;
    int kind = 0;
    if (keys::DecodeCatalogKey(std::string_view(it->key().data(), it->key().size()), &service,
                               &operation, &kind)) {
      catalog_.Add(service, operation, kind);
    }
  }
  return FromRocks(it->status(), "loading the catalogue");
}

absl::Status RocksDbTraceStore::LoadBuckets() {
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(keys::kBucketRecordPrefix); it->Valid(); it->Next()) {
    uint64_t start = 0;
    if (!keys::DecodeBucketRecordKey(std::string_view(it->key().data(), it->key().size()),
                                     &start)) {
      break;
    }
    if (it->value().size() != 8) return absl::DataLossError("a time bucket record does not parse");
    buckets_.Add({start, keys::GetBigEndian64(std::string_view(it->value().data(), 8))});
  }
  return FromRocks(it->status(), "loading the time buckets");
}

void RocksDbTraceStore::Enqueue(WriteOp op) {
  absl::Status rejected;
  {
    absl::MutexLock lock(&mu_);
    size_t spans = op.batch.span_count();
    if (stopping_) {
      rejected = absl::UnavailableError("spanvault is shutting down; retry later");
    } else if (spans > 0 && queued_spans_ > 0 &&
               queued_spans_ + spans > options_.max_pending_spans) {
      rejected = absl::ResourceExhaustedError(absl::StrCat(
          "ingest queue is full (", queued_spans_, " spans waiting to be written); retry later"));
    } else {
      queued_spans_ += spans;
      queue_.push_back(std::move(op));
      return;
    }
  }
  op.Answer(rejected);
}

std::vector<WriteOp> RocksDbTraceStore::TakeGroup() {
  constexpr uint64_t kMaxGroupSpans = 50000;
  std::vector<WriteOp> group;
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](RocksDbTraceStore* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
        return !self->queue_.empty() || self->stopping_;
      },
      this));
  uint64_t group_spans = 0;
  while (!queue_.empty() && (group.empty() || group_spans < kMaxGroupSpans)) {
    group_spans += queue_.front().batch.span_count();
    group.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  queued_spans_ -= group_spans;
  return group;
}

void RocksDbTraceStore::WriterLoop() {
  while (true) {
    std::vector<WriteOp> group = TakeGroup();
    if (group.empty()) return;  // stopping and drained
    std::vector<WriteOp*> spans;
    for (auto& op : group) {
      if (op.writes_spans()) {
        spans.push_back(&op);
        continue;
      }
      WriteSpans(spans);  // the others read what was written before them
      WriteOther(op);
    }
    WriteSpans(spans);
    HandOver(std::move(group));
  }
}

void RocksDbTraceStore::HandOver(std::vector<WriteOp> group) {
  // A bound, so that answers and memory to free stay a few groups behind the writer.
  constexpr size_t kMaxWaiting = 16;
  absl::MutexLock lock(&answer_mu_);
  answer_mu_.Await(absl::Condition(
      +[](RocksDbTraceStore* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->answer_mu_) {
        return self->written_.size() < kMaxWaiting;
      },
      this));
  written_.push_back(std::move(group));
}

void RocksDbTraceStore::AnswererLoop() {
  while (true) {
    std::vector<WriteOp> group;
    {
      absl::MutexLock lock(&answer_mu_);
      answer_mu_.Await(absl::Condition(
          +[](RocksDbTraceStore* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->answer_mu_) {
            return !self->written_.empty() || self->writer_done_;
          },
          this));
      if (written_.empty()) return;  // the writer is done and every write is answered
      group = std::move(written_.front());
      written_.pop_front();
    }
    for (WriteOp& op : group) op.Answer(op.status, std::move(op.duplicates));
  }
}

void RocksDbTraceStore::WriteSpans(std::vector<WriteOp*>& ops) {
  if (ops.empty()) return;
  BatchBuilder builder(*db_, catalog_, buckets_, indexed_, clock_->Now());
  absl::Status status;
  std::vector<std::vector<DuplicateSpans>> duplicates(ops.size());
  for (size_t i = 0; i < ops.size() && status.ok(); ++i) {
    WriteOp* op = ops[i];
    absl::flat_hash_map<TraceId, DuplicateSpans> dups;
    status = builder.AddSpans(op->batch, op->kind == WriteOp::Kind::kIndexed, &dups);
    for (auto& state : op->states) {
      if (auto it = dups.find(state.trace_id); it != dups.end()) {
        state.span_count -= it->second.spans;
        state.bytes -= it->second.bytes;
      }
      builder.AddPendingState(state);
    }
    for (auto& [trace, d] : dups) duplicates[i].push_back(d);
  }
  if (status.ok()) status = builder.Commit(options_.sync_writes);
  if (!status.ok()) status = WriteFailed(std::move(status), ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    ops[i]->status = status;
    if (status.ok()) ops[i]->duplicates = std::move(duplicates[i]);
  }
  ops.clear();
}

void RocksDbTraceStore::WriteOther(WriteOp& op) {
  BatchBuilder builder(*db_, catalog_, buckets_, indexed_, clock_->Now());
  absl::Status status;
  switch (op.kind) {
    case WriteOp::Kind::kDecide:
      for (const auto& decision : op.decisions) {
        status = builder.AddDecision(decision);
        if (!status.ok()) break;
      }
      break;
    case WriteOp::Kind::kArchive:
      status = builder.AddArchive(op.trace);
      break;
    case WriteOp::Kind::kDropBuckets:
      for (uint64_t bucket : op.buckets) builder.AddDropBucket(bucket);
      break;
    default:
      status = absl::InternalError("a span write reached WriteOther");
  }
  if (status.ok()) status = builder.Commit(options_.sync_writes || !op.buckets.empty());
  if (!status.ok()) status = WriteFailed(std::move(status), 1);
  op.status = std::move(status);
}

absl::Status RocksDbTraceStore::WriteFailed(absl::Status status, size_t ops) {
  bool full = db_->disk->disk_full();
  if (write_errors_ != nullptr) {
    write_errors_->With({full ? "no_space" : "other"}).Increment(static_cast<double>(ops));
  }
  if (!full) return status;
  absl::Status state = db_->disk->State();
  return state.ok() ? status : state;
}

absl::Status RocksDbTraceStore::RunOnWriter(WriteOp op) {
  absl::Notification answered;
  absl::Status result;
  op.done = [&](absl::Status s) {
    result = std::move(s);
    answered.Notify();
  };
  Enqueue(std::move(op));
  answered.WaitForNotification();
  return result;
}

absl::Status RocksDbTraceStore::Archive(const TraceId& trace_id) {
  WriteOp op;
  op.kind = WriteOp::Kind::kArchive;
  op.trace = trace_id;
  return RunOnWriter(std::move(op));
}

absl::Status RocksDbTraceStore::DropBucket(uint64_t bucket) {
  WriteOp op;
  op.kind = WriteOp::Kind::kDropBuckets;
  op.buckets = {bucket};
  absl::Status s = RunOnWriter(std::move(op));
  if (!s.ok()) return s;
  // The range delete hides the bucket. Flushing every column family retires the write-ahead
  // logs that still hold its spans; dropping whole files and compacting what is left of the
  // range gives the rest of its space back. Not while RocksDB refuses writes: a flush then
  // would make the error one it cannot resume from (disk_space_watch.h).
  if (!db_->disk->writable()) return db_->disk->State();
  std::vector<rocksdb::ColumnFamilyHandle*> columns;
  for (const auto& handle : db_->handles) columns.push_back(handle.get());
  rocksdb::Status flushed = db_->db->Flush(rocksdb::FlushOptions(), columns);
  if (!flushed.ok()) return FromRocks(flushed, "flushing before freeing a dropped time bucket");
  std::string begin = keys::BucketPrefix(bucket), end = keys::BucketEnd(bucket);
  rocksdb::Slice begin_slice(begin), end_slice(end);
  rocksdb::RangePtr range(&begin_slice, &end_slice);
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (auto* column : {db_->spans, db_->summaries, db_->index}) {
    rocksdb::Status r = rocksdb::DeleteFilesInRanges(db_->db.get(), column, &range, 1);
    if (r.ok()) r = db_->db->CompactRange(compact, column, &begin_slice, &end_slice);
    if (!r.ok()) return FromRocks(r, "freeing the space of a dropped time bucket");
  }
  return absl::OkStatus();
}

absl::StatusOr<RetentionReport> RocksDbTraceStore::EnforceRetention(absl::Time now,
                                                                    uint64_t max_disk_bytes) {
  RetentionReport report;
  report.bytes_before = BytesOnDisk();
  for (const TimeBucket& bucket : buckets_.Expired(now)) {
    absl::Status s = DropBucket(bucket.start);
    if (!s.ok()) return s;
    ++report.buckets_dropped_for_age;
  }
  while (max_disk_bytes > 0 && BytesOnDisk() > max_disk_bytes) {
    std::vector<TimeBucket> live = buckets_.OldestFirst();
    if (live.size() < 2) break;  // the newest bucket stays: it is what is arriving now
    absl::Status s = DropBucket(live.front().start);
    if (!s.ok()) return s;
    ++report.buckets_dropped_for_disk;
  }
  report.bytes_after = BytesOnDisk();
  std::vector<TimeBucket> live = buckets_.OldestFirst();
  if (!live.empty()) {
    report.oldest_data = absl::FromUnixSeconds(static_cast<int64_t>(live.front().start));
  }
  return report;
}

absl::StatusOr<std::vector<TraceSummary>> RocksDbTraceStore::GetSummaries(
    const std::vector<TraceId>& ids) {
  // The archive's summary is whole; otherwise a trace's summary is the merge of its buckets'.
  std::vector<uint64_t> buckets = buckets_.NewestFirst();
  buckets.insert(buckets.begin(), keys::kArchiveBucket);
  std::vector<std::string> keys;
  for (const auto& id : ids) {
    for (uint64_t bucket : buckets) keys.push_back(keys::TracePrefix(bucket, id));
  }
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->db->MultiGet(rocksdb::ReadOptions(), db_->summaries, slices.size(), slices.data(),
                    values.data(), statuses.data());
  std::vector<TraceSummary> out;
  for (size_t i = 0; i < ids.size(); ++i) {
    SummaryRecord merged;
    bool found = false;
    for (size_t b = 0; b < buckets.size(); ++b) {
      size_t k = i * buckets.size() + b;
      if (statuses[k].IsNotFound()) continue;
      if (!statuses[k].ok()) return FromRocks(statuses[k], "reading trace summaries");
      SummaryRecord record;
      if (!record.ParseFromArray(values[k].data(), static_cast<int>(values[k].size()))) {
        return absl::DataLossError("a stored trace summary does not parse");
      }
      found = true;
      if (b == 0) {  // archived
        merged = std::move(record);
        break;
      }
      MergeSummary(record, &merged);
    }
    if (found) out.push_back(ToTraceSummary(ids[i], merged));
  }
  return out;
}

absl::StatusOr<std::vector<PendingTrace>> RocksDbTraceStore::LoadPending() {
  std::vector<PendingTrace> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(rocksdb::ReadOptions(), db_->pending));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto id = TraceId::FromBytes(std::string_view(it->key().data(), it->key().size()));
    spanvault::storage::v1::PendingRecord record;
    if (!id.ok() ||
        !record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("a stored pending-trace record does not parse");
    }
    out.push_back(FromRecord(*id, record));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "loading pending traces");
  return out;
}

absl::StatusOr<SamplingDecision> RocksDbTraceStore::ReadDecision(const TraceId& trace) {
  std::string value;
  rocksdb::Status s = db_->db->Get(rocksdb::ReadOptions(), db_->decisions, trace.bytes(), &value);
  if (!s.ok()) return FromRocks(s, "reading a sampling decision");
  spanvault::storage::v1::DecisionRecord record;
  if (!record.ParseFromString(value)) {
    return absl::DataLossError("a stored sampling decision does not parse");
  }
  return SamplingDecision{trace, record.keep(), record.policy(),
                          absl::FromUnixNanos(static_cast<int64_t>(record.decided_at_unix_nano()))};
}

absl::StatusOr<std::vector<SamplingDecision>> RocksDbTraceStore::LoadDecisions(absl::Time since,
                                                                               size_t limit) {
  std::string floor;
  keys::PutBigEndian64(&floor,
                       static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixNanos(since))));
  std::vector<SamplingDecision> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db->NewIterator(rocksdb::ReadOptions(), db_->decision_log));
  for (it->SeekToLast(); it->Valid() && out.size() < limit; it->Prev()) {
    if (it->key().size() != 24 || it->key().compare(floor) < 0) break;
    auto id = TraceId::FromBytes(std::string_view(it->key().data() + 8, 16));
    if (!id.ok()) continue;
    auto decision = ReadDecision(*id);
    if (absl::IsNotFound(decision.status())) continue;
    if (!decision.ok()) return decision.status();
    out.push_back(std::move(*decision));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "loading sampling decisions");
  std::reverse(out.begin(), out.end());
  return out;
}

absl::Status RocksDbTraceStore::ForgetDecisions(absl::Time before) {
  std::string end;
  keys::PutBigEndian64(&end,
                       static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixNanos(before))));
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db->NewIterator(rocksdb::ReadOptions(), db_->decision_log));
  for (it->SeekToFirst(); it->Valid() && it->key().compare(end) < 0; it->Next()) {
    if (it->key().size() != 24) continue;
    auto id = TraceId::FromBytes(std::string_view(it->key().data() + 8, 16));
    if (!id.ok()) continue;
    auto decision = ReadDecision(*id);
    // A trace decided again later keeps its newer decision.
    if (decision.ok() && decision->decided_at < before) batch.Delete(db_->decisions, id->bytes());
  }
  if (!it->status().ok()) return FromRocks(it->status(), "expiring sampling decisions");
  batch.DeleteRange(db_->decision_log, "", end);
  return FromRocks(db_->db->Write(rocksdb::WriteOptions(), &batch), "expiring sampling decisions");
}

absl::Status RocksDbTraceStore::PutRule(const std::string& id, const std::string& value) {
  rocksdb::WriteOptions sync;
  sync.sync = true;
  return FromRocks(db_->db->Put(sync, db_->rules, id, value), "storing a sampling rule");
}

absl::Status RocksDbTraceStore::DeleteRule(const std::string& id) {
  std::string value;
  rocksdb::Status found = db_->db->Get(rocksdb::ReadOptions(), db_->rules, id, &value);
  if (!found.ok()) return FromRocks(found, "reading a sampling rule");
  rocksdb::WriteOptions sync;
  sync.sync = true;
  return FromRocks(db_->db->Delete(sync, db_->rules, id), "deleting a sampling rule");
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> RocksDbTraceStore::LoadRules() {
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(rocksdb::ReadOptions(), db_->rules));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace_back(it->key().ToString(), it->value().ToString());
  }
  if (!it->status().ok()) return FromRocks(it->status(), "loading sampling rules");
  return out;
}

absl::StatusOr<bool> RocksDbTraceStore::IsPending(const TraceId& trace_id) {
  std::string value;
  rocksdb::Status s = db_->db->Get(rocksdb::ReadOptions(), db_->pending, trace_id.bytes(), &value);
  if (s.IsNotFound()) return false;
  if (!s.ok()) return FromRocks(s, "reading a pending trace");
  // Late spans of a trace kept earlier wait too, but the trace itself is kept.
  auto kept = HasSummary(*db_, buckets_.NewestFirst(), trace_id);
  if (!kept.ok()) return kept.status();
  return !*kept;
}

void RocksDbTraceStore::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  // First: a key rewrite in progress is cancelled, not waited for.
  if (key_rotation_) key_rotation_->Shutdown();
  if (writer_.joinable()) writer_.join();
  {
    absl::MutexLock lock(&answer_mu_);
    writer_done_ = true;
  }
  if (answerer_.joinable()) answerer_.join();
  db_->disk->Shutdown();
  // Best effort; the WAL is written already. Never after a failed WAL write: syncing that log
  // aborts in an assertion of Debian's RocksDB (disk_space_watch.h).
  if (db_->disk->writable()) static_cast<void>(db_->db->FlushWAL(/*sync=*/true));
}

uint64_t RocksDbTraceStore::BytesOnDisk() {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.path, ec)) {
    if (entry.is_regular_file(ec)) total += entry.file_size(ec);
  }
  return total;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TraceStore>> OpenRocksDbTraceStore(
    const TraceStoreOptions& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("the store needs a path");
  RocksDbOptions db_options;
  db_options.encryption_keys = options.encryption_keys;
  db_options.testing_no_encryption = options.testing_no_encryption;
  db_options.memory_budget_bytes = options.memory_budget_bytes;
  db_options.testing_write_buffer_bytes = options.testing_write_buffer_bytes;
  auto db = OpenRocksDb(options.path, db_options);
  if (!db.ok()) return db.status();
  auto store = std::make_unique<RocksDbTraceStore>(options, std::move(*db));
  absl::Status s = store->Start();
  if (!s.ok()) return s;
  return store;
}

}  // namespace spanvault
