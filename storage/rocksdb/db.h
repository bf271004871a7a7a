#pragma once

// RocksDb: the opened database and its column families (layout in key_codec.h).

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ids.h"
#include "common/otlp_util.h"
#include "rocksdb/db.h"

namespace spanvault {

// Owns the DB and its column-family handles (handles are released before the DB closes).
// Thread-safe, as rocksdb::DB is.
struct RocksDb {
  ~RocksDb();

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
};

// Opens or creates the database at `path` (the directory is created). kUnavailable when it
// cannot be opened (locked by another process, I/O error), kDataLoss when it is corrupt,
// kFailedPrecondition when it was written by an incompatible format version.
absl::StatusOr<std::unique_ptr<RocksDb>> OpenRocksDb(const std::string& path);

// Reads every record of one trace (one prefix scan). kNotFound when it has no span.
absl::StatusOr<otlp::TracesData> ReadTrace(RocksDb& db, const TraceId& trace_id);

}  // namespace spanvault
