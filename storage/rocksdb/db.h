#pragma once

// RocksDb: the opened database and its column families (layout in key_codec.h).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ids.h"
#include "common/otlp_util.h"
#include "rocksdb/db.h"
#include "storage/crypto/key_ring.h"
#include "storage/rocksdb/disk_space_watch.h"
#include "storage/trace_records.h"

namespace spanvault {

class AesCtrEncryptionProvider;

// Owns the DB and its column-family handles (handles are released before the DB closes).
// Thread-safe, as rocksdb::DB is.
struct RocksDb {
  ~RocksDb();

  // The encrypted Env (null in plaintext test mode); declared first so it outlives the DB.
  std::unique_ptr<rocksdb::Env> env;
  // The encryption provider inside `env` (null in plaintext test mode), for key rotation.
  std::shared_ptr<AesCtrEncryptionProvider> encryption;
  // Registered as a listener: whether RocksDB refuses writes (a full disk) and the thread that
  // resumes them (started by the store). Declared before `db`, which holds it too.
  std::shared_ptr<DiskSpaceWatch> disk;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<std::unique_ptr<rocksdb::ColumnFamilyHandle>> handles;
  rocksdb::ColumnFamilyHandle* spans = nullptr;
  rocksdb::ColumnFamilyHandle* summaries = nullptr;
  rocksdb::ColumnFamilyHandle* index = nullptr;
  rocksdb::ColumnFamilyHandle* catalog = nullptr;
  // Tail sampling: pending traces, remembered decisions (and their time order), runtime rules.
  rocksdb::ColumnFamilyHandle* pending = nullptr;
  rocksdb::ColumnFamilyHandle* decisions = nullptr;
  rocksdb::ColumnFamilyHandle* decision_log = nullptr;
  rocksdb::ColumnFamilyHandle* rules = nullptr;
  // Kept apart from traces and their retention: users, roles and tokens; the audit log.
  rocksdb::ColumnFamilyHandle* identities = nullptr;
  rocksdb::ColumnFamilyHandle* audit = nullptr;
  // RED-metric and dependency aggregates (spanmetrics/).
  rocksdb::ColumnFamilyHandle* span_metrics = nullptr;
  // Order journeys (journeys/).
  rocksdb::ColumnFamilyHandle* journeys = nullptr;
};

struct RocksDbOptions {
  // Every file is encrypted with these keys (storage/crypto/aes_ctr_provider.h). Required
  // unless testing_no_encryption.
  std::shared_ptr<const KeyRing> encryption_keys;
  // Tests only: plaintext files (the plaintext hunt's negative control). Default: false.
  bool testing_no_encryption = false;
  // Memory for RocksDB: every memtable together takes at most a quarter of it (flushes start
  // beyond), the block cache shared by every column family an eighth. 0: RocksDB's defaults
  // (memtables bounded per column family only, a cache per column family). Default: 0.
  uint64_t memory_budget_bytes = 0;
  // Tests only: every column family's memtable this many bytes, instead of the production
  // sizes (1 to 64 MiB), so that flushes and compactions come quickly. 0: production. Default: 0.
  uint64_t testing_write_buffer_bytes = 0;
  // Free bytes on the data directory's filesystem before writes are resumed after it filled
  // up (DiskSpaceWatchOptions). Default: 8 MiB.
  uint64_t resume_free_bytes = 8 << 20;
};

// Opens or creates the database at `path` (the directory is created). kInvalidArgument when
// `options` has no keys and is not testing_no_encryption. kFailedPrecondition when the
// directory is encrypted and the options are not (or the reverse), when the keys are wrong or
// miss a key id the files use (nothing on disk is changed then), or when it was written by an
// incompatible format version. kUnavailable when it cannot be opened (locked by another
// process, I/O error), kDataLoss when it is corrupt.
absl::StatusOr<std::unique_ptr<RocksDb>> OpenRocksDb(const std::string& path,
                                                     const RocksDbOptions& options);

// Calls `on_resource(bucket, resource_key, record)` and `on_span(key, record)` for every record
// stored under the trace in each of `buckets` (one prefix scan per bucket; in each, resources
// come before spans). A span found in an earlier bucket of the list is not reported again (an
// archived trace has a copy of its spans). kDataLoss for a record that does not parse.
absl::Status ForEachTraceRecord(
    RocksDb& db, const std::vector<uint64_t>& buckets, const TraceId& trace_id,
    const std::function<void(uint64_t, uint64_t, ResourceRecord)>& on_resource,
    const std::function<void(std::string_view, SpanRecord)>& on_span);

// True when the trace has a summary (it was kept) in one of `buckets`.
absl::StatusOr<bool> HasSummary(RocksDb& db, const std::vector<uint64_t>& buckets,
                                const TraceId& trace_id);

// Reads every record of one trace in `buckets`. kNotFound when it has no span.
absl::StatusOr<otlp::TracesData> ReadTrace(RocksDb& db, const std::vector<uint64_t>& buckets,
                                           const TraceId& trace_id);

}  // namespace spanvault
