#include "storage/rocksdb/db.h"

#include <filesystem>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/write_buffer_manager.h"
#include "storage/crypto/store_encryption.h"
#include "storage/rocksdb/info_logger.h"
#include "storage/rocksdb/key_codec.h"
#include "storage/rocksdb/rocks_status.h"
#include "storage/rocksdb/summary_merge.h"
#include "storage/trace_records.h"

namespace spanvault {
namespace {

constexpr char kFormatKey[] = "spanvault.format";
constexpr char kFormatVersion[] = "2";  // 2: keys start with a time bucket

rocksdb::ColumnFamilyOptions TableOptions(bool bloom, size_t write_buffer_mb,
                                          const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  if (cache) table.block_cache = cache;
  if (bloom) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_size = 16 * 1024;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.write_buffer_size = write_buffer_mb << 20;
  cf.compression = rocksdb::kLZ4Compression;
  cf.bottommost_compression = rocksdb::kZSTD;
  return cf;
}

// `cache`: the block cache every column family shares; null: one of RocksDB's per family.
// `testing_write_buffer_bytes` > 0: every memtable that size (tests only).
std::vector<rocksdb::ColumnFamilyDescriptor> Descriptors(
    const std::shared_ptr<rocksdb::Cache>& cache, uint64_t testing_write_buffer_bytes) {
  auto table = [&cache](bool bloom, size_t write_buffer_mb) {
    return TableOptions(bloom, write_buffer_mb, cache);
  };
  auto spans = table(/*bloom=*/true, 64);
  // Bucket and trace id: reading a trace probes every live bucket, most of them without it.
  spans.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(24));
  auto summaries = table(/*bloom=*/true, 16);
  summaries.merge_operator = NewSummaryMergeOperator();
  std::vector<rocksdb::ColumnFamilyDescriptor> out = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {"spans", spans},
      {"summaries", summaries},
      {"index", table(/*bloom=*/false, 32)},
      {"catalog", table(/*bloom=*/false, 4)},
      {"pending", table(/*bloom=*/true, 8)},
      {"decisions", table(/*bloom=*/true, 8)},
      {"decision_log", table(/*bloom=*/false, 4)},
      {"rules", table(/*bloom=*/false, 1)},
      {"identities", table(/*bloom=*/false, 1)},
      {"audit", table(/*bloom=*/false, 4)},
      {"span_metrics", table(/*bloom=*/true, 4)},
      {"journeys", table(/*bloom=*/true, 4)}};
  if (testing_write_buffer_bytes > 0) {
    for (auto& descriptor : out) descriptor.options.write_buffer_size = testing_write_buffer_bytes;
  }
  return out;
}

absl::Status CheckFormat(rocksdb::DB& db) {
  std::string version;
  rocksdb::Status s = db.Get(rocksdb::ReadOptions(), kFormatKey, &version);
  if (s.IsNotFound()) {
    rocksdb::WriteOptions sync;
    sync.sync = true;
    return FromRocks(db.Put(sync, kFormatKey, kFormatVersion), "writing the format version");
  }
  if (!s.ok()) return FromRocks(s, "reading the format version");
  if (version != kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat("data directory has storage format ", version,
                                                      ", this build reads ", kFormatVersion));
  }
  return absl::OkStatus();
}

// A full disk at start: RocksDB could not open, or opened but refused the guard (a restart
// before space is freed would otherwise come up unable to resume: disk_space_watch.h).
absl::Status OpenError(const rocksdb::Status& s, const std::string& path, DiskSpaceWatch& disk) {
  if (!s.IsNoSpace()) return FromRocks(s, absl::StrCat("opening the database in ", path));
  return absl::UnavailableError(absl::StrCat(
      "disk full: the filesystem of ", path, " has ", disk.FreeBytes(),
      " bytes free, too few to open the database (", s.ToString(),
      "); free some space, then start spanvault again"));
}

}  // namespace

RocksDb::~RocksDb() {
  if (disk) disk->Shutdown();
  handles.clear();
  if (db) static_cast<void>(db->Close());  // the DB is going away either way
}

absl::StatusOr<std::unique_ptr<RocksDb>> OpenRocksDb(const std::string& path,
                                                     const RocksDbOptions& db_options) {
  if (db_options.encryption_keys == nullptr && !db_options.testing_no_encryption) {
    return absl::InvalidArgumentError(
        "the RocksDB store needs encryption keys (or testing_no_encryption in tests)");
  }
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", path, ": ", ec.message()));
  // Checked before RocksDB touches the directory, so a wrong key changes nothing on disk.
  auto store_env = PrepareStoreEnv(
      path, db_options.testing_no_encryption ? nullptr : db_options.encryption_keys);
  if (!store_env.ok()) return store_env.status();
  rocksdb::DBOptions options;
  options.env = store_env->env ? store_env->env.get() : rocksdb::Env::Default();
  // No LOG file: it would bypass the encryption (see info_logger.h).
  options.info_log = NewSpdlogInfoLogger();
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.max_background_jobs = 2;
  options.keep_log_file_num = 5;
  // A write-ahead log file goes once every column family with data in it has flushed; the
  // quiet ones (catalogue, audit, rules) would keep gigabytes of it for a long time, all of
  // which a restart replays (8 s at 10 M spans: benchmarks/RESULTS.md). Past this size
  // RocksDB flushes them.
  options.max_total_wal_size = 256 << 20;
  options.paranoid_checks = true;
  std::shared_ptr<rocksdb::Cache> cache;
  if (db_options.memory_budget_bytes > 0) {
    options.write_buffer_manager =
        std::make_shared<rocksdb::WriteBufferManager>(db_options.memory_budget_bytes / 4);
    cache = rocksdb::NewLRUCache(db_options.memory_budget_bytes / 8);
  }
  DiskSpaceWatchOptions watch;
  watch.path = path;
  watch.resume_free_bytes = db_options.resume_free_bytes;
  auto disk = std::make_shared<DiskSpaceWatch>(std::move(watch));
  options.listeners.push_back(disk);
  std::vector<rocksdb::ColumnFamilyHandle*> raw;
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(
      options, path, Descriptors(cache, db_options.testing_write_buffer_bytes), &raw, &raw_db);
  if (!s.ok()) return OpenError(s, path, *disk);
  auto out = std::make_unique<RocksDb>();
  out->env = std::move(store_env->env);
  out->encryption = std::move(store_env->provider);
  out->disk = std::move(disk);
  out->db.reset(raw_db);
  for (auto* h : raw) out->handles.emplace_back(h);
  out->spans = raw[1];
  out->summaries = raw[2];
  out->index = raw[3];
  out->catalog = raw[4];
  out->pending = raw[5];
  out->decisions = raw[6];
  out->decision_log = raw[7];
  out->rules = raw[8];
  out->identities = raw[9];
  out->audit = raw[10];
  out->span_metrics = raw[11];
  out->journeys = raw[12];
  absl::Status format = CheckFormat(*out->db);
  if (!format.ok()) return format;
  rocksdb::Status guard = out->disk->WriteGuard(*out->db);
  if (!guard.ok()) return OpenError(guard, path, *out->disk);
  absl::Status marker = WriteEncryptionMarker(path, store_env->marker);
  if (!marker.ok()) return marker;
  return out;
}

namespace {

absl::Status ForEachRecordInBucket(
    RocksDb& db, uint64_t bucket, const TraceId& trace_id,
    absl::flat_hash_set<std::string>* seen_spans,
    const std::function<void(uint64_t, uint64_t, ResourceRecord)>& on_resource,
    const std::function<void(std::string_view, SpanRecord)>& on_span) {
  std::string prefix = keys::TracePrefix(bucket, trace_id);
  std::string upper = prefix;
  upper.push_back('\xff');
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read;
  read.iterate_upper_bound = &upper_slice;
  read.prefix_same_as_start = true;
  std::unique_ptr<rocksdb::Iterator> it(db.db->NewIterator(read, db.spans));
  constexpr size_t kTagAt = 24;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    rocksdb::Slice key = it->key();
    if (key.size() != kTagAt + 9) continue;
    std::string_view id(key.data() + kTagAt + 1, 8);
    if (key[kTagAt] == keys::kResourceTag) {
      ResourceRecord record;
      if (!record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return absl::DataLossError("a stored resource record does not parse");
      }
      on_resource(bucket, keys::GetBigEndian64(id), std::move(record));
    } else if (key[kTagAt] == keys::kSpanTag) {
      if (!seen_spans->emplace(id).second) continue;
      SpanRecord record;
      if (!record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return absl::DataLossError("a stored span record does not parse");
      }
      on_span(std::string_view(key.data(), key.size()), std::move(record));
    }
  }
  return FromRocks(it->status(), "reading a trace");
}

}  // namespace

absl::Status ForEachTraceRecord(
    RocksDb& db, const std::vector<uint64_t>& buckets, const TraceId& trace_id,
    const std::function<void(uint64_t, uint64_t, ResourceRecord)>& on_resource,
    const std::function<void(std::string_view, SpanRecord)>& on_span) {
  absl::flat_hash_set<std::string> seen_spans;
  for (uint64_t bucket : buckets) {
    absl::Status s = ForEachRecordInBucket(db, bucket, trace_id, &seen_spans, on_resource, on_span);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> HasSummary(RocksDb& db, const std::vector<uint64_t>& buckets,
                                const TraceId& trace_id) {
  for (uint64_t bucket : buckets) {
    std::string value;
    rocksdb::Status s = db.db->Get(rocksdb::ReadOptions(), db.summaries,
                                   keys::TracePrefix(bucket, trace_id), &value);
    if (s.ok()) return true;
    if (!s.IsNotFound()) return FromRocks(s, "reading a trace summary");
  }
  return false;
}

absl::StatusOr<otlp::TracesData> ReadTrace(RocksDb& db, const std::vector<uint64_t>& buckets,
                                           const TraceId& trace_id) {
  TraceAssembler assembler;
  bool any_span = false;
  absl::Status s = ForEachTraceRecord(
      db, buckets, trace_id,
      [&](uint64_t, uint64_t key, ResourceRecord record) {
        assembler.AddResource(key, std::move(record));
      },
      [&](std::string_view, SpanRecord record) {
        assembler.AddSpan(record.resource_key(), std::move(*record.mutable_span()));
        any_span = true;
      });
  if (!s.ok()) return s;
  if (!any_span) return absl::NotFoundError("trace not found");
  return std::move(assembler).Build();
}

}  // namespace spanvault
