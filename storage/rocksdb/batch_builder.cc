#include "storage/rocksdb/batch_builder.h"

#include <algorithm>
#include <optional>

#include "storage/rocksdb/key_codec.h"
#include "storage/rocksdb/rocks_status.h"

namespace spanvault {
namespace {

// One span of a batch, with where it belongs.
struct SpanRef {
  TraceId trace;
  const std::string* service;
  const otlp::Resource* resource;
  uint64_t resource_key;
  const std::string* resource_bytes;
  const otlp::Span* span;
};

// Serializes a SpanRecord without copying the span into one: field 1 (fixed64) then field 2
// (the span, length-delimited).
std::string EncodeSpanRecord(uint64_t resource_key, const otlp::Span& span) {
  std::string body = span.SerializeAsString();
  std::string out;
  out.push_back(0x09);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(resource_key >> (8 * i)));
  out.push_back(0x12);
  size_t n = body.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>(n | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  out.append(body);
  return out;
}

std::vector<SpanRef> CollectSpans(const SpanBatch& batch, std::deque<std::string>* strings) {
  std::vector<SpanRef> spans;
  for (const auto& rs : batch.request().resource_spans()) {
    const std::string* service = &strings->emplace_back(ServiceName(rs.resource()));
    for (const auto& ss : rs.scope_spans()) {
      const std::string* bytes =
          &strings->emplace_back(MakeResourceRecord(rs, ss).SerializeAsString());
      uint64_t key = ResourceRecordKey(*bytes);
      for (const auto& span : ss.spans()) {
        auto trace = TraceId::FromBytes(span.trace_id());
        if (!trace.ok() || !IsValidSpanId(span.span_id())) continue;  // receivers validate
        spans.push_back(SpanRef{*trace, service, &rs.resource(), key, bytes, &span});
      }
    }
  }
  return spans;
}

std::string DecisionLogKey(absl::Time decided_at, const TraceId& trace) {
  std::string key;
  keys::PutBigEndian64(&key, static_cast<uint64_t>(absl::ToUnixNanos(decided_at)));
  key.append(trace.bytes());
  return key;
}

}  // namespace

absl::Status BatchBuilder::AddSpans(const SpanBatch& batch, bool indexed,
                                    absl::flat_hash_map<TraceId, DuplicateSpans>* duplicates) {
  std::deque<std::string> strings;
  std::vector<SpanRef> spans = CollectSpans(batch, &strings);
  std::vector<std::string> span_keys;
  span_keys.reserve(spans.size());
  for (const auto& s : spans) span_keys.push_back(keys::SpanKey(s.trace, s.span->span_id()));
  std::vector<rocksdb::Slice> slices(span_keys.begin(), span_keys.end());
  std::vector<rocksdb::PinnableSlice> values(span_keys.size());
  std::vector<rocksdb::Status> statuses(span_keys.size());
  db_.db->MultiGet(rocksdb::ReadOptions(), db_.spans, slices.size(), slices.data(), values.data(),
                   statuses.data());
  for (size_t i = 0; i < spans.size(); ++i) {
    if (!statuses[i].ok() && !statuses[i].IsNotFound()) {
      return FromRocks(statuses[i], "checking for retried spans");
    }
    const SpanRef& s = spans[i];
    if (statuses[i].ok() || !written_keys_.insert(span_keys[i]).second) {  // a retry
      if (duplicates != nullptr) {
        DuplicateSpans& d = (*duplicates)[s.trace];
        d.trace_id = s.trace;
        ++d.spans;
        d.bytes += static_cast<int64_t>(s.span->ByteSizeLong());
      }
      continue;
    }
    std::string resource_key = keys::ResourceKey(s.trace, s.resource_key);
    if (written_keys_.insert(resource_key).second) {
      batch_.Put(db_.spans, resource_key, *s.resource_bytes);
    }
    batch_.Put(db_.spans, span_keys[i], EncodeSpanRecord(s.resource_key, *s.span));
    if (!indexed) continue;
    AddSpanToSummary(*s.service, *s.span, &summary_deltas_[s.trace]);
    index_.AddSpan(s.trace, *s.service, *s.resource, *s.span);
    index_used_ = true;
    AddToCatalog(*s.service, *s.span);
  }
  return absl::OkStatus();
}

void BatchBuilder::AddToCatalog(const std::string& service, const otlp::Span& span) {
  if (catalog_.Contains(service, span.name(), span.kind())) return;
  std::string key = keys::CatalogKey(service, span.name(), span.kind());
  if (!written_keys_.insert(key).second) return;
  batch_.Put(db_.catalog, key, "");
  new_operations_.push_back({service, span.name(), span.kind()});
}

void BatchBuilder::AddPendingState(const PendingTrace& state) {
  spanvault::storage::v1::PendingRecord record;
  record.set_first_seen_unix_nano(absl::ToUnixNanos(state.first_seen));
  record.set_last_seen_unix_nano(absl::ToUnixNanos(state.last_seen));
  record.set_root_seen(state.root_seen);
  record.set_span_count(state.span_count);
  record.set_bytes(state.bytes);
  batch_.Put(db_.pending, state.trace_id.bytes(), record.SerializeAsString());
}

absl::Status BatchBuilder::AddDecision(const SamplingDecision& decision) {
  if (decision.keep) return KeepTrace(decision);
  auto kept_before = WasKept(decision.trace_id);
  if (!kept_before.ok()) return kept_before.status();
  if (*kept_before) {
    // A late episode of a trace kept earlier: never delete what was kept.
    SamplingDecision keep = decision;
    keep.keep = true;
    keep.policy = "kept earlier";
    return KeepTrace(keep);
  }
  return DropTrace(decision);
}

absl::StatusOr<bool> BatchBuilder::WasKept(const TraceId& trace) {
  std::string value;
  rocksdb::Status s = db_.db->Get(rocksdb::ReadOptions(), db_.summaries, trace.bytes(), &value);
  if (s.IsNotFound()) return false;
  if (!s.ok()) return FromRocks(s, "reading a trace summary");
  return true;
}

absl::Status BatchBuilder::KeepTrace(const SamplingDecision& decision) {
  const TraceId& trace = decision.trace_id;
  absl::flat_hash_map<uint64_t, ResourceRecord> resources;
  std::vector<std::pair<std::string, SpanRecord>> spans;
  absl::Status read = ForEachTraceRecord(
      db_, trace, [&](uint64_t key, ResourceRecord r) { resources[key] = std::move(r); },
      [&](std::string_view key, SpanRecord r) {
        spans.emplace_back(std::string(key), std::move(r));
      });
  if (!read.ok()) return read;
  // The root (earliest span without a parent, else the earliest span) carries the policy.
  std::optional<size_t> root;
  auto better = [&](size_t i) {
    if (!root) return true;
    const auto& a = spans[i].second.span();
    const auto& b = spans[*root].second.span();
    bool a_root = a.parent_span_id().empty(), b_root = b.parent_span_id().empty();
    if (a_root != b_root) return a_root;
    return a.start_time_unix_nano() < b.start_time_unix_nano();
  };
  for (size_t i = 0; i < spans.size(); ++i) {
    if (better(i)) root = i;
  }
  SummaryRecord summary;
  for (size_t i = 0; i < spans.size(); ++i) {
    auto& [key, record] = spans[i];
    const ResourceRecord& resource = resources[record.resource_key()];
    std::string service = ServiceName(resource.resource());
    if (root && i == *root &&
        FindAttribute(record.span().attributes(), "sampling.policy") == nullptr) {
      auto* tag = record.mutable_span()->add_attributes();
      tag->set_key("sampling.policy");
      tag->mutable_value()->set_string_value(decision.policy);
      batch_.Put(db_.spans, key, record.SerializeAsString());
    }
    const otlp::Span& span = record.span();
    AddSpanToSummary(service, span, &summary);
    index_.AddSpan(trace, service, resource.resource(), span);
    index_used_ = true;
    AddToCatalog(service, span);
  }
  if (!spans.empty()) batch_.Put(db_.summaries, trace.bytes(), summary.SerializeAsString());
  RememberDecision(decision);
  return absl::OkStatus();
}

absl::Status BatchBuilder::DropTrace(const SamplingDecision& decision) {
  std::vector<std::string> keys;
  absl::Status read = ForEachTraceRecord(
      db_, decision.trace_id,
      [&](uint64_t key, ResourceRecord) {
        keys.push_back(keys::ResourceKey(decision.trace_id, key));
      },
      [&](std::string_view key, SpanRecord) { keys.emplace_back(key); });
  if (!read.ok()) return read;
  for (const auto& key : keys) batch_.Delete(db_.spans, key);
  RememberDecision(decision);
  return absl::OkStatus();
}

void BatchBuilder::RememberDecision(const SamplingDecision& decision) {
  spanvault::storage::v1::DecisionRecord record;
  record.set_keep(decision.keep);
  record.set_policy(decision.policy);
  record.set_decided_at_unix_nano(absl::ToUnixNanos(decision.decided_at));
  batch_.Delete(db_.pending, decision.trace_id.bytes());
  batch_.Put(db_.decisions, decision.trace_id.bytes(), record.SerializeAsString());
  batch_.Put(db_.decision_log, DecisionLogKey(decision.decided_at, decision.trace_id), "");
}

absl::Status BatchBuilder::Commit(bool sync) {
  for (const auto& [trace, summary] : summary_deltas_) {
    batch_.Merge(db_.summaries, trace.bytes(), summary.SerializeAsString());
  }
  index_.ForEach(
      [&](const std::string& key, const std::string& value) { batch_.Put(db_.index, key, value); });
  if (batch_.Count() == 0) return absl::OkStatus();
  rocksdb::WriteOptions write;
  write.sync = sync;
  absl::Status s = FromRocks(db_.db->Write(write, &batch_), "writing spans");
  if (!s.ok()) return s;
  // Only now: an entry the catalogue knows is one that is on disk.
  for (const auto& op : new_operations_) catalog_.Add(op.service, op.name, op.kind);
  return absl::OkStatus();
}

}  // namespace spanvault
