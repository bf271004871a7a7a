#include "storage/rocksdb/catalog.h"

namespace spanvault {

bool Catalog::Add(const std::string& service, const std::string& operation, int span_kind) {
  absl::MutexLock lock(&mu_);
  return entries_[service].emplace(operation, span_kind).second;
}

bool Catalog::Contains(const std::string& service, const std::string& operation,
                       int span_kind) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(service);
  return it != entries_.end() && it->second.count({operation, span_kind}) > 0;
}

std::vector<std::string> Catalog::Services() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& [service, ops] : entries_) out.push_back(service);
  return out;
}

std::vector<Operation> Catalog::Operations(const std::string& service,
                                           const std::string& span_kind) const {
  absl::MutexLock lock(&mu_);
  std::set<Operation> ops;
  auto it = entries_.find(service);
  if (it == entries_.end()) return {};
  for (const auto& [name, kind] : it->second) {
    Operation op{name, std::string(SpanKindName(kind))};
    if (span_kind.empty() || op.span_kind == span_kind) ops.insert(op);
  }
  return std::vector<Operation>(ops.begin(), ops.end());
}

}  // namespace spanvault
