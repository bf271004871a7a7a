#include "storage/rocksdb/kv_column.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "rocksdb/write_batch.h"
#include "storage/rocksdb/rocks_status.h"

namespace spanvault {

absl::StatusOr<std::optional<std::string>> RocksKvStore::Get(const std::string& key) {
  std::string value;
  rocksdb::Status s = db_.Get(rocksdb::ReadOptions(), column_, key, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, absl::StrCat("reading ", what_));
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> RocksKvStore::ScanPage(
    const std::string& prefix, const std::string& from, size_t limit) {
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_.NewIterator(rocksdb::ReadOptions(), column_));
  for (it->Seek(std::max(prefix, from));
       it->Valid() && out.size() < limit && it->key().starts_with(prefix); it->Next()) {
    out.emplace_back(it->key().ToString(), it->value().ToString());
  }
  if (!it->status().ok()) return FromRocks(it->status(), absl::StrCat("reading ", what_));
  return out;
}

absl::Status RocksKvStore::Write(const KvWrite& write) {
  rocksdb::WriteBatch batch;
  for (const auto& [key, value] : write.puts) batch.Put(column_, key, value);
  for (const auto& key : write.deletes) batch.Delete(column_, key);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  return FromRocks(db_.Write(sync, &batch), absl::StrCat("writing ", what_));
}

}  // namespace spanvault
