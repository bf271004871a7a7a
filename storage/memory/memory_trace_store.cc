// MemoryTraceStore: the reference TraceStore. Everything in one map under one mutex; search
// scans every trace. Small and obviously right, so the conformance suite can hold the RocksDB
// store to it.

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
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
  explicit MemoryTraceStore(absl::Duration retention) : retention_(retention) {}
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

  void ConsumePending(SpanBatch batch, std::vector<PendingTrace> states,
                      PendingWriteDone done) override ABSL_LOCKS_EXCLUDED(mu_);
  void Decide(std::vector<SamplingDecision> decisions, SpanSinkDone done) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::vector<PendingTrace>> LoadPending() override ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::vector<SamplingDecision>> LoadDecisions(absl::Time since,
                                                              size_t limit) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status ForgetDecisions(absl::Time before) override ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status PutRule(const std::string& id, const std::string& value) override
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    rules_[id] = value;
    return absl::OkStatus();
  }
  absl::Status DeleteRule(const std::string& id) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (rules_.erase(id) == 0) return absl::NotFoundError("no such rule");
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> LoadRules() override
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return std::vector<std::pair<std::string, std::string>>(rules_.begin(), rules_.end());
  }
  absl::StatusOr<bool> IsPending(const TraceId& trace_id) override ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status Archive(const TraceId& trace_id) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (!traces_.contains(trace_id)) return absl::NotFoundError("trace not found");
    archived_.insert(trace_id);
    return absl::OkStatus();
  }
  // Span by span: traces (not archived) whose every span started before the retention.
  absl::StatusOr<RetentionReport> EnforceRetention(absl::Time now, uint64_t) override
      ABSL_LOCKS_EXCLUDED(mu_);
  KvStore& Identities() override { return identities_; }
  KvStore& Audit() override { return audit_; }
  KvStore& SpanMetrics() override { return span_metrics_; }
  KvStore& Journeys() override { return journeys_; }

 private:
  using Trace = std::map<std::string, StoredSpan>;  // by span id

  // Stores the spans of `batch`; with `index`, also catalogues them.
  // Stores the spans of `batch` not stored yet (the others are counted in `duplicates`, if
  // given); with `index`, also catalogues them.
  void StoreLocked(const SpanBatch& batch, bool index,
                   absl::flat_hash_map<TraceId, DuplicateSpans>* duplicates = nullptr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void KeepLocked(const SamplingDecision& decision) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const absl::Duration retention_;
  MemoryKvStore identities_;
  MemoryKvStore audit_;
  MemoryKvStore span_metrics_;
  MemoryKvStore journeys_;
  absl::Mutex mu_;
  absl::flat_hash_map<TraceId, PendingTrace> pending_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<TraceId, SamplingDecision> decisions_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> rules_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<TraceId, Trace> traces_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<TraceId> archived_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::set<Operation>> catalogue_ ABSL_GUARDED_BY(mu_);
};

void MemoryTraceStore::StoreLocked(const SpanBatch& batch, bool index,
                                   absl::flat_hash_map<TraceId, DuplicateSpans>* duplicates) {
  for (const auto& rs : batch.request().resource_spans()) {
    std::string service = ServiceName(rs.resource());
    for (const auto& ss : rs.scope_spans()) {
      auto record = std::make_shared<const ResourceRecord>(MakeResourceRecord(rs, ss));
      uint64_t key = ResourceRecordKey(record->SerializeAsString());
      for (const auto& span : ss.spans()) {
        auto id = TraceId::FromBytes(span.trace_id());
        if (!id.ok()) continue;  // receivers validate; never store an unreadable id
        auto& stored = traces_[*id];
        if (stored.count(span.span_id())) {  // a retried export
          if (duplicates != nullptr) {
            DuplicateSpans& d = (*duplicates)[*id];
            d.trace_id = *id;
            ++d.spans;
            d.bytes += static_cast<int64_t>(span.ByteSizeLong());
          }
          continue;
        }
        stored[span.span_id()] = StoredSpan{record, key, span};
        if (index)
          catalogue_[service].insert({span.name(), std::string(SpanKindName(span.kind()))});
      }
    }
  }
}

void MemoryTraceStore::Consume(SpanBatch batch, SpanSinkDone done) {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) {
      std::move(done)(absl::UnavailableError("store is shut down"));
      return;
    }
    StoreLocked(batch, /*index=*/true);
  }
  std::move(done)(absl::OkStatus());
}

void MemoryTraceStore::ConsumePending(SpanBatch batch, std::vector<PendingTrace> states,
                                      PendingWriteDone done) {
  absl::flat_hash_map<TraceId, DuplicateSpans> dups;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) {
      std::move(done)(absl::UnavailableError("store is shut down"), {});
      return;
    }
    StoreLocked(batch, /*index=*/false, &dups);
    for (auto& state : states) {
      if (auto it = dups.find(state.trace_id); it != dups.end()) {
        state.span_count -= it->second.spans;
        state.bytes -= it->second.bytes;
      }
      pending_[state.trace_id] = std::move(state);
    }
  }
  std::vector<DuplicateSpans> out;
  for (auto& [trace, d] : dups) out.push_back(d);
  std::move(done)(absl::OkStatus(), std::move(out));
}

void MemoryTraceStore::KeepLocked(const SamplingDecision& decision) {
  auto it = traces_.find(decision.trace_id);
  if (it == traces_.end()) return;
  StoredSpan* root = nullptr;
  for (auto& [span_id, stored] : it->second) {
    catalogue_[ServiceName(stored.resource->resource())].insert(
        {stored.span.name(), std::string(SpanKindName(stored.span.kind()))});
    bool is_root = stored.span.parent_span_id().empty();
    if (root == nullptr || (is_root && !root->span.parent_span_id().empty()) ||
        (is_root == root->span.parent_span_id().empty() &&
         stored.span.start_time_unix_nano() < root->span.start_time_unix_nano())) {
      root = &stored;
    }
  }
  if (FindAttribute(root->span.attributes(), "sampling.policy") != nullptr) return;
  auto* tag = root->span.add_attributes();
  tag->set_key("sampling.policy");
  tag->mutable_value()->set_string_value(decision.policy);
}

void MemoryTraceStore::Decide(std::vector<SamplingDecision> decisions, SpanSinkDone done) {
  {
    absl::MutexLock lock(&mu_);
    for (auto& decision : decisions) {
      auto previous = decisions_.find(decision.trace_id);
      if (!decision.keep && previous != decisions_.end() && previous->second.keep) {
        decision.keep = true;  // never delete what was kept
        decision.policy = "kept earlier";
      }
      if (decision.keep) {
        KeepLocked(decision);
      } else {
        traces_.erase(decision.trace_id);
      }
      pending_.erase(decision.trace_id);
      decisions_[decision.trace_id] = decision;
    }
  }
  std::move(done)(absl::OkStatus());
}

absl::StatusOr<std::vector<PendingTrace>> MemoryTraceStore::LoadPending() {
  absl::MutexLock lock(&mu_);
  std::vector<PendingTrace> out;
  for (const auto& [id, state] : pending_) out.push_back(state);
  return out;
}

absl::StatusOr<std::vector<SamplingDecision>> MemoryTraceStore::LoadDecisions(absl::Time since,
                                                                              size_t limit) {
  absl::MutexLock lock(&mu_);
  std::vector<SamplingDecision> out;
  for (const auto& [id, d] : decisions_) {
    if (d.decided_at >= since) out.push_back(d);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.decided_at != b.decided_at ? a.decided_at < b.decided_at : a.trace_id < b.trace_id;
  });
  if (out.size() > limit) out.erase(out.begin(), out.end() - limit);
  return out;
}

absl::Status MemoryTraceStore::ForgetDecisions(absl::Time before) {
  absl::MutexLock lock(&mu_);
  absl::erase_if(decisions_, [&](const auto& entry) { return entry.second.decided_at < before; });
  return absl::OkStatus();
}

absl::StatusOr<RetentionReport> MemoryTraceStore::EnforceRetention(absl::Time now, uint64_t) {
  RetentionReport report;
  if (retention_ <= absl::ZeroDuration()) return report;
  auto cutoff = static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixNanos(now - retention_)));
  absl::MutexLock lock(&mu_);
  absl::erase_if(traces_, [&](const auto& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (archived_.contains(entry.first)) return false;
    for (const auto& [id, stored] : entry.second) {
      if (stored.span.start_time_unix_nano() >= cutoff) return false;
    }
    return true;
  });
  return report;
}

absl::StatusOr<bool> MemoryTraceStore::IsPending(const TraceId& trace_id) {
  absl::MutexLock lock(&mu_);
  auto decided = decisions_.find(trace_id);
  bool kept = decided != decisions_.end() && decided->second.keep;
  return pending_.contains(trace_id) && !kept;
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
  if (!query.service_name.empty() && !ServiceInScope(query.scope, query.service_name)) {
    return std::vector<TraceId>();
  }
  absl::MutexLock lock(&mu_);
  std::vector<std::pair<uint64_t, TraceId>> matches;  // (newest matching start, id)
  for (const auto& [id, trace] : traces_) {
    if (pending_.contains(id)) continue;  // undecided traces are not searchable
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
    if (it == traces_.end() || pending_.contains(id)) continue;
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
  return std::make_unique<MemoryTraceStore>(options.retention);
}

}  // namespace spanvault
