#pragma once

// RocksKvStore: a KvStore over one column family of the store's (encrypted) RocksDB.

#include <string>

#include "common/kv_store.h"
#include "rocksdb/db.h"

namespace spanvault {

// Writes are synced (fsync) before they return, so an acknowledged change survives a crash.
// Thread-safe, as RocksDB is.
class RocksKvStore final : public KvStore {
 public:
  // `what` names the contents in error messages ("identities"). `db` and `column` must outlive
  // this.
  RocksKvStore(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* column, std::string what)
      : db_(db), column_(column), what_(std::move(what)) {}

  absl::StatusOr<std::optional<std::string>> Get(const std::string& key) override;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ScanPage(
      const std::string& prefix, const std::string& from, size_t limit) override;
  absl::Status Write(const KvWrite& write) override;

 private:
  rocksdb::DB& db_;
  rocksdb::ColumnFamilyHandle* const column_;
  const std::string what_;
};

}  // namespace spanvault
