#pragma once

// KvStore: a small durable key-value space, kept apart from the traces: identities (users,
// roles, tokens) and the audit log. The server backs each with a column family of the encrypted
// RocksDB store (TraceStore::Identities(), TraceStore::Audit()); tests use MemoryKvStore.

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace spanvault {

// One atomic change: every put and delete is applied, or none.
struct KvWrite {
  std::vector<std::pair<std::string, std::string>> puts;
  std::vector<std::string> deletes;
};

// Implementations are thread-safe and durable once a call returns OK.
class KvStore {
 public:
  virtual ~KvStore() = default;
  // nullopt when the key is absent.
  virtual absl::StatusOr<std::optional<std::string>> Get(const std::string& key) = 0;
  // At most `limit` entries whose key starts with `prefix` and is not below `from`, in key order.
  virtual absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ScanPage(
      const std::string& prefix, const std::string& from, size_t limit) = 0;
  virtual absl::Status Write(const KvWrite& write) = 0;

  // Every entry whose key starts with `prefix`, in key order.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Scan(const std::string& prefix) {
    return ScanPage(prefix, prefix, std::numeric_limits<size_t>::max());
  }
};

// In memory, for tests.
class MemoryKvStore final : public KvStore {
 public:
  absl::StatusOr<std::optional<std::string>> Get(const std::string& key) override {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ScanPage(
      const std::string& prefix, const std::string& from, size_t limit) override {
    absl::MutexLock lock(&mu_);
    std::vector<std::pair<std::string, std::string>> out;
    for (auto it = entries_.lower_bound(std::max(prefix, from));
         it != entries_.end() && out.size() < limit &&
         it->first.compare(0, prefix.size(), prefix) == 0;
         ++it) {
      out.push_back(*it);
    }
    return out;
  }
  absl::Status Write(const KvWrite& write) override {
    absl::MutexLock lock(&mu_);
    for (const auto& [key, value] : write.puts) entries_[key] = value;
    for (const auto& key : write.deletes) entries_.erase(key);
    return absl::OkStatus();
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::string> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace spanvault
