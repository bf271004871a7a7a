// RocksDbTraceStore: the RocksDB-backed TraceStore (layout in key_codec.h).
//
// Writes go through one writer thread: Consume() queues a batch and returns; the writer takes
// every queued batch, turns them into one rocksdb::WriteBatch (group commit), writes it with
// the WAL on, and only then calls each batch's `done`. Being the only writer also makes the
// retry check simple: a span whose key already exists is a retried export and is skipped, so
// the summary (a merge operand per trace) counts each span once.

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/write_batch.h"
#include "storage/rocksdb/catalog.h"
#include "storage/rocksdb/db.h"
#include "storage/rocksdb/index_builder.h"
#include "storage/rocksdb/key_codec.h"
#include "storage/rocksdb/rocks_status.h"
#include "storage/rocksdb/trace_search.h"
#include "storage/trace_records.h"
#include "storage/trace_store.h"

namespace spanvault {
namespace {

// One span on its way into a WriteBatch.
struct SpanRef {
  TraceId trace;
  const std::string* service;
  const otlp::Resource* resource;
  uint64_t resource_key;
  const std::string* resource_bytes;
  const otlp::Span* span;
};

// Serializes a SpanRecord without copying the span into one: field 1 (fixed64) then field 2
// (the span, length-delimited).
std::string EncodeSpanRecord(uint64_t resource_key, const otlp::Span& span) {
  std::string body = span.SerializeAsString();
  std::string out;
  out.push_back(0x09);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(resource_key >> (8 * i)));
  out.push_back(0x12);
  size_t n = body.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>(n | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  out.append(body);
  return out;
}

class RocksDbTraceStore final : public TraceStore {
 public:
  RocksDbTraceStore(const TraceStoreOptions& options, std::unique_ptr<RocksDb> db)
      : options_(options),
        indexed_(options.indexed_attributes.begin(), options.indexed_attributes.end()),
        db_(std::move(db)),
        search_(*db_, catalog_, indexed_, options.max_scan_candidates) {}
  ~RocksDbTraceStore() override { Shutdown(); }

  absl::Status Start();
  void Consume(SpanBatch batch, SpanSinkDone done) override ABSL_LOCKS_EXCLUDED(mu_);
  void Shutdown() override ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t BytesOnDisk() override;

  absl::StatusOr<std::vector<std::string>> GetServices() override { return catalog_.Services(); }
  absl::StatusOr<std::vector<Operation>> GetOperations(const std::string& service,
                                                       const std::string& span_kind) override {
    return catalog_.Operations(service, span_kind);
  }
  absl::StatusOr<otlp::TracesData> GetTrace(const TraceId& trace_id) override {
    return ReadTrace(*db_, trace_id);
  }
  absl::StatusOr<std::vector<TraceId>> FindTraceIds(const TraceQuery& query) override {
    return search_.Find(query);
  }
  absl::StatusOr<std::vector<TraceSummary>> GetSummaries(const std::vector<TraceId>& ids) override;

 private:
  struct Pending {
    SpanBatch batch;
    SpanSinkDone done;
  };

  absl::Status LoadCatalog();
  void WriterLoop() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status WriteGroup(const std::vector<Pending>& group);
  std::vector<SpanRef> CollectSpans(const std::vector<Pending>& group,
                                    std::deque<std::string>* strings);
  absl::StatusOr<std::vector<bool>> ExistingSpans(const std::vector<SpanRef>& spans);

  // Constant after construction.
  const TraceStoreOptions options_;
  const absl::flat_hash_set<std::string> indexed_;
  const std::unique_ptr<RocksDb> db_;
  Catalog catalog_;
  const TraceSearch search_;
  std::thread writer_;

  absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t queued_spans_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

absl::Status RocksDbTraceStore::Start() {
  absl::Status s = LoadCatalog();
  if (!s.ok()) return s;
  writer_ = std::thread([this] { WriterLoop(); });
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

void RocksDbTraceStore::Consume(SpanBatch batch, SpanSinkDone done) {
  absl::Status rejected;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      rejected = absl::UnavailableError("spanvault is shutting down; retry later");
    } else if (queued_spans_ > 0 && queued_spans_ + batch.span_count() > options_.max_pending_spans) {
      rejected = absl::ResourceExhaustedError(absl::StrCat(
          "ingest queue is full (", queued_spans_, " spans waiting to be written); retry later"));
    } else {
      queued_spans_ += batch.span_count();
      queue_.push_back(Pending{std::move(batch), std::move(done)});
      return;
    }
  }
  std::move(done)(rejected);
}

void RocksDbTraceStore::WriterLoop() {
  constexpr uint64_t kMaxGroupSpans = 50000;
  while (true) {
    std::vector<Pending> group;
    uint64_t group_spans = 0;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](RocksDbTraceStore* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return !self->queue_.empty() || self->stopping_;
          },
          this));
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && (group.empty() || group_spans < kMaxGroupSpans)) {
        group_spans += queue_.front().batch.span_count();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queued_spans_ -= group_spans;
    }
    absl::Status status = WriteGroup(group);
    for (auto& pending : group) std::move(pending.done)(status);
  }
}

std::vector<SpanRef> RocksDbTraceStore::CollectSpans(const std::vector<Pending>& group,
                                                     std::deque<std::string>* strings) {
  std::vector<SpanRef> spans;
  for (const auto& pending : group) {
    for (const auto& rs : pending.batch.request().resource_spans()) {
      const std::string* service = &strings->emplace_back(ServiceName(rs.resource()));
      for (const auto& ss : rs.scope_spans()) {
        const std::string* bytes =
            &strings->emplace_back(MakeResourceRecord(rs, ss).SerializeAsString());
        uint64_t key = ResourceRecordKey(*bytes);
        for (const auto& span : ss.spans()) {
          auto trace = TraceId::FromBytes(span.trace_id());
          if (!trace.ok() || !IsValidSpanId(span.span_id())) continue;  // receivers validate
          spans.push_back(SpanRef{*trace, service, &rs.resource(), key, bytes, &span});
        }
      }
    }
  }
  return spans;
}

absl::StatusOr<std::vector<bool>> RocksDbTraceStore::ExistingSpans(
    const std::vector<SpanRef>& spans) {
  std::vector<std::string> keys;
  keys.reserve(spans.size());
  for (const auto& s : spans) keys.push_back(keys::SpanKey(s.trace, s.span->span_id()));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->db->MultiGet(rocksdb::ReadOptions(), db_->spans, slices.size(), slices.data(),
                    values.data(), statuses.data());
  std::vector<bool> exists(spans.size());
  absl::flat_hash_set<std::string> in_group;
  for (size_t i = 0; i < spans.size(); ++i) {
    if (!statuses[i].ok() && !statuses[i].IsNotFound()) {
      return FromRocks(statuses[i], "checking for retried spans");
    }
    exists[i] = statuses[i].ok() || !in_group.insert(keys[i]).second;
  }
  return exists;
}

absl::Status RocksDbTraceStore::WriteGroup(const std::vector<Pending>& group) {
  std::deque<std::string> strings;
  std::vector<SpanRef> spans = CollectSpans(group, &strings);
  auto exists = ExistingSpans(spans);
  if (!exists.ok()) return exists.status();
  rocksdb::WriteBatch batch;
  IndexBuilder index(indexed_);
  absl::flat_hash_map<TraceId, SummaryRecord> summaries;
  absl::flat_hash_set<std::string> resources_written;
  for (size_t i = 0; i < spans.size(); ++i) {
    if ((*exists)[i]) continue;
    const SpanRef& s = spans[i];
    std::string resource_key = keys::ResourceKey(s.trace, s.resource_key);
    if (resources_written.insert(resource_key).second) {
      batch.Put(db_->spans, resource_key, *s.resource_bytes);
    }
    batch.Put(db_->spans, keys::SpanKey(s.trace, s.span->span_id()),
              EncodeSpanRecord(s.resource_key, *s.span));
    AddSpanToSummary(*s.service, *s.span, &summaries[s.trace]);
    index.AddSpan(s.trace, *s.service, *s.resource, *s.span);
    if (catalog_.Add(*s.service, s.span->name(), s.span->kind())) {
      batch.Put(db_->catalog, keys::CatalogKey(*s.service, s.span->name(), s.span->kind()), "");
    }
  }
  for (const auto& [trace, summary] : summaries) {
    batch.Merge(db_->summaries, trace.bytes(), summary.SerializeAsString());
  }
  index.ForEach([&](const std::string& key, const std::string& value) {
    batch.Put(db_->index, key, value);
  });
  if (batch.Count() == 0) return absl::OkStatus();
  rocksdb::WriteOptions write;
  write.sync = options_.sync_writes;
  return FromRocks(db_->db->Write(write, &batch), "writing spans");
}

absl::StatusOr<std::vector<TraceSummary>> RocksDbTraceStore::GetSummaries(
    const std::vector<TraceId>& ids) {
  std::vector<rocksdb::Slice> slices;
  for (const auto& id : ids) slices.emplace_back(id.bytes().data(), id.bytes().size());
  std::vector<rocksdb::PinnableSlice> values(ids.size());
  std::vector<rocksdb::Status> statuses(ids.size());
  db_->db->MultiGet(rocksdb::ReadOptions(), db_->summaries, slices.size(), slices.data(),
                    values.data(), statuses.data());
  std::vector<TraceSummary> out;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return FromRocks(statuses[i], "reading trace summaries");
    SummaryRecord record;
    if (!record.ParseFromArray(values[i].data(), static_cast<int>(values[i].size()))) {
      return absl::DataLossError("a stored trace summary does not parse");
    }
    out.push_back(ToTraceSummary(ids[i], record));
  }
  return out;
}

void RocksDbTraceStore::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  if (writer_.joinable()) writer_.join();
  static_cast<void>(db_->db->FlushWAL(/*sync=*/true));  // best effort; the WAL is written already
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

absl::StatusOr<std::unique_ptr<TraceStore>> OpenRocksDbTraceStore(const TraceStoreOptions& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("the store needs a path");
  auto db = OpenRocksDb(options.path);
  if (!db.ok()) return db.status();
  auto store = std::make_unique<RocksDbTraceStore>(options, std::move(*db));
  absl::Status s = store->Start();
  if (!s.ok()) return s;
  return store;
}

}  // namespace spanvault
