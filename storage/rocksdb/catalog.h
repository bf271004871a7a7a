#pragma once

// Catalog: the services/operations catalogue, kept in memory and persisted by the writer.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "storage/trace_reader.h"

namespace spanvault {

// Thread-safe.
class Catalog {
 public:
  // Adds an entry; true if it was not known before (the caller then persists it).
  bool Add(const std::string& service, const std::string& operation, int span_kind)
      ABSL_LOCKS_EXCLUDED(mu_);
  bool Contains(const std::string& service, const std::string& operation, int span_kind) const
      ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<std::string> Services() const ABSL_LOCKS_EXCLUDED(mu_);
  // Sorted by name then kind; `span_kind` "" means every kind.
  std::vector<Operation> Operations(const std::string& service, const std::string& span_kind) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::set<std::pair<std::string, int>>> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace spanvault
