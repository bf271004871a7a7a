// MemoryTraceStore: the reference TraceStore. Everything in one map under one mutex; search
// scans every trace. Small and obviously right, so the conformance suite can hold the RocksDB
// store to it.

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "storage/trace_records.h"
#include "storage/trace_store.h"

namespace spanvault {
namespace {

struct StoredSpan {
  std::shared_ptr<const ResourceRecord> resource;
  uint64_t resource_key = 0;
  otlp::Span span;
};

// Thread-safe.
class MemoryTraceStore final : public TraceStore {
 public:
  void Consume(SpanBatch batch, SpanSinkDone done) override ABSL_LOCKS_EXCLUDED(mu_);
  void Shutdown() override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }
  uint64_t BytesOnDisk() override { return 0; }

  absl::StatusOr<std::vector<std::string>> GetServices() override ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::vector<Operation>> GetOperations(const std::string& service,
                                                       const std::string& span_kind) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<otlp::TracesData> GetTrace(const TraceId& trace_id) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::vector<TraceId>> FindTraceIds(const TraceQuery& query) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::vector<TraceSummary>> GetSummaries(const std::vector<TraceId>& ids) override
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  using Trace = std::map<std::string, StoredSpan>;  // by span id

  absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<TraceId, Trace> traces_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::set<Operation>> catalogue_ ABSL_GUARDED_BY(mu_);
};

void MemoryTraceStore::Consume(SpanBatch batch, SpanSinkDone done) {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) {
      std::move(done)(absl::UnavailableError("store is shut down"));
      return;
    }
    for (const auto& rs : batch.request().resource_spans()) {
      std::string service = ServiceName(rs.resource());
      for (const auto& ss : rs.scope_spans()) {
        auto record = std::make_shared<const ResourceRecord>(MakeResourceRecord(rs, ss));
        uint64_t key = ResourceRecordKey(record->SerializeAsString());
        for (const auto& span : ss.spans()) {
          auto id = TraceId::FromBytes(span.trace_id());
          if (!id.ok()) continue;  // receivers validate; never store an unreadable id
          traces_[*id][span.span_id()] = StoredSpan{record, key, span};
          catalogue_[service].insert({span.name(), std::string(SpanKindName(span.kind()))});
        }
      }
    }
  }
  std::move(done)(absl::OkStatus());
}

absl::StatusOr<std::vector<std::string>> MemoryTraceStore::GetServices() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& [service, ops] : catalogue_) out.push_back(service);
  return out;
}

absl::StatusOr<std::vector<Operation>> MemoryTraceStore::GetOperations(
    const std::string& service, const std::string& span_kind) {
  absl::MutexLock lock(&mu_);
  std::vector<Operation> out;
  auto it = catalogue_.find(service);
  if (it == catalogue_.end()) return out;
  for (const auto& op : it->second) {
    if (span_kind.empty() || op.span_kind == span_kind) out.push_back(op);
  }
  return out;
}

absl::StatusOr<otlp::TracesData> MemoryTraceStore::GetTrace(const TraceId& trace_id) {
  absl::MutexLock lock(&mu_);
  auto it = traces_.find(trace_id);
  if (it == traces_.end()) return absl::NotFoundError("trace not found");
  TraceAssembler assembler;
  for (const auto& [span_id, stored] : it->second) {
    assembler.AddResource(stored.resource_key, *stored.resource);
    assembler.AddSpan(stored.resource_key, stored.span);
  }
  return std::move(assembler).Build();
}

absl::StatusOr<std::vector<TraceId>> MemoryTraceStore::FindTraceIds(const TraceQuery& query) {
  absl::Status valid = ValidateQuery(query);
  if (!valid.ok()) return valid;
  absl::MutexLock lock(&mu_);
  std::vector<std::pair<uint64_t, TraceId>> matches;  // (newest matching start, id)
  for (const auto& [id, trace] : traces_) {
    std::optional<uint64_t> newest;
    for (const auto& [span_id, stored] : trace) {
      if (SpanMatches(query, stored.resource->resource(), stored.span)) {
        newest = std::max(newest.value_or(0), stored.span.start_time_unix_nano());
      }
    }
    if (newest) matches.emplace_back(*newest, id);
  }
  std::sort(matches.begin(), matches.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<TraceId> out;
  for (const auto& [time, id] : matches) {
    if (static_cast<int>(out.size()) >= query.search_depth) break;
    out.push_back(id);
  }
  return out;
}

absl::StatusOr<std::vector<TraceSummary>> MemoryTraceStore::GetSummaries(
    const std::vector<TraceId>& ids) {
  absl::MutexLock lock(&mu_);
  std::vector<TraceSummary> out;
  for (const auto& id : ids) {
    auto it = traces_.find(id);
    if (it == traces_.end()) continue;
    SummaryRecord summary;
    for (const auto& [span_id, stored] : it->second) {
      AddSpanToSummary(ServiceName(stored.resource->resource()), stored.span, &summary);
    }
    out.push_back(ToTraceSummary(id, summary));
  }
  return out;
}

}  // namespace

std::unique_ptr<TraceStore> NewMemoryTraceStore(const TraceStoreOptions& options) {
  return std::make_unique<MemoryTraceStore>();
}

}  // namespace spanvault
