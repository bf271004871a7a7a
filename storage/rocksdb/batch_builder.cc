#include "storage/rocksdb/batch_builder.h"

#include <algorithm>
#include <optional>

#include "common/status_macros.h"
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
  std::vector<uint64_t> span_buckets;
  span_keys.reserve(spans.size());
  span_buckets.reserve(spans.size());
  for (const auto& s : spans) {
    span_buckets.push_back(BucketOf(s.span->start_time_unix_nano()));
    span_keys.push_back(keys::SpanKey(span_buckets.back(), s.trace, s.span->span_id()));
  }
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
    uint64_t bucket = span_buckets[i];
    std::string resource_key = keys::ResourceKey(bucket, s.trace, s.resource_key);
    if (written_keys_.insert(resource_key).second) {
      batch_.Put(db_.spans, resource_key, *s.resource_bytes);
    }
    batch_.Put(db_.spans, span_keys[i], EncodeSpanRecord(s.resource_key, *s.span));
    if (!indexed) continue;
    AddSpanToSummary(*s.service, *s.span, &summary_deltas_[keys::TracePrefix(bucket, s.trace)]);
    index_.AddSpan(bucket, s.trace, *s.service, *s.resource, *s.span);
    index_used_ = true;
    AddToCatalog(*s.service, *s.span);
  }
  return absl::OkStatus();
}

uint64_t BatchBuilder::BucketOf(uint64_t start_unix_nano) {
  bool live = false;
  TimeBucket bucket = buckets_.BucketFor(start_unix_nano, now_, &live);
  if (!live) new_buckets_.emplace(bucket.start, bucket.end);
  return bucket.start;
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
  return HasSummary(db_, buckets_.NewestFirst(), trace);
}

namespace {

// The records of one trace as read back from the store.
struct StoredTrace {
  absl::flat_hash_map<uint64_t, ResourceRecord> resources;  // by resource key
  std::vector<std::pair<std::string, SpanRecord>> spans;    // by key (bucket first)
};

absl::StatusOr<StoredTrace> ReadStored(RocksDb& db, const std::vector<uint64_t>& buckets,
                                       const TraceId& trace) {
  StoredTrace out;
  absl::Status read = ForEachTraceRecord(
      db, buckets, trace,
      [&](uint64_t, uint64_t key, ResourceRecord r) { out.resources[key] = std::move(r); },
      [&](std::string_view key, SpanRecord r) {
        out.spans.emplace_back(std::string(key), std::move(r));
      });
  if (!read.ok()) return read;
  return out;
}

uint64_t BucketOfKey(std::string_view key) { return keys::GetBigEndian64(key); }

// The root (earliest span without a parent, else the earliest span), if any.
std::optional<size_t> RootOf(const std::vector<std::pair<std::string, SpanRecord>>& spans) {
  std::optional<size_t> root;
  for (size_t i = 0; i < spans.size(); ++i) {
    if (!root) {
      root = i;
      continue;
    }
    const auto& a = spans[i].second.span();
    const auto& b = spans[*root].second.span();
    bool a_root = a.parent_span_id().empty(), b_root = b.parent_span_id().empty();
    if (a_root != b_root ? a_root : a.start_time_unix_nano() < b.start_time_unix_nano()) root = i;
  }
  return root;
}

}  // namespace

absl::Status BatchBuilder::KeepTrace(const SamplingDecision& decision) {
  const TraceId& trace = decision.trace_id;
  SV_ASSIGN_OR_RETURN(StoredTrace stored, ReadStored(db_, buckets_.NewestFirst(), trace));
  std::optional<size_t> root = RootOf(stored.spans);
  absl::flat_hash_map<uint64_t, SummaryRecord> summaries;  // by bucket
  for (size_t i = 0; i < stored.spans.size(); ++i) {
    auto& [key, record] = stored.spans[i];
    const ResourceRecord& resource = stored.resources[record.resource_key()];
    std::string service = ServiceName(resource.resource());
    if (root && i == *root &&
        FindAttribute(record.span().attributes(), "sampling.policy") == nullptr) {
      auto* tag = record.mutable_span()->add_attributes();
      tag->set_key("sampling.policy");
      tag->mutable_value()->set_string_value(decision.policy);
      batch_.Put(db_.spans, key, record.SerializeAsString());
    }
    const otlp::Span& span = record.span();
    uint64_t bucket = BucketOfKey(key);
    AddSpanToSummary(service, span, &summaries[bucket]);
    index_.AddSpan(bucket, trace, service, resource.resource(), span);
    index_used_ = true;
    AddToCatalog(service, span);
  }
  for (const auto& [bucket, summary] : summaries) {
    batch_.Put(db_.summaries, keys::TracePrefix(bucket, trace), summary.SerializeAsString());
  }
  RememberDecision(decision);
  return absl::OkStatus();
}

absl::Status BatchBuilder::AddArchive(const TraceId& trace) {
  // The archive's copy first: spans whose time bucket is gone by now stay in the new copy.
  std::vector<uint64_t> buckets = buckets_.NewestFirst();
  buckets.insert(buckets.begin(), keys::kArchiveBucket);
  SV_ASSIGN_OR_RETURN(StoredTrace stored, ReadStored(db_, buckets, trace));
  if (stored.spans.empty()) return absl::NotFoundError("trace not found");
  for (const auto& [key, resource] : stored.resources) {
    batch_.Put(db_.spans, keys::ResourceKey(keys::kArchiveBucket, trace, key),
               resource.SerializeAsString());
  }
  SummaryRecord summary;
  for (auto& [key, record] : stored.spans) {
    const ResourceRecord& resource = stored.resources[record.resource_key()];
    std::string service = ServiceName(resource.resource());
    const otlp::Span& span = record.span();
    batch_.Put(db_.spans, keys::SpanKey(keys::kArchiveBucket, trace, span.span_id()),
               record.SerializeAsString());
    AddSpanToSummary(service, span, &summary);
    index_.AddSpan(keys::kArchiveBucket, trace, service, resource.resource(), span);
    index_used_ = true;
  }
  batch_.Put(db_.summaries, keys::TracePrefix(keys::kArchiveBucket, trace),
             summary.SerializeAsString());
  return absl::OkStatus();
}

void BatchBuilder::AddDropBucket(uint64_t bucket) {
  std::string begin = keys::BucketPrefix(bucket), end = keys::BucketEnd(bucket);
  for (auto* column : {db_.spans, db_.summaries, db_.index}) batch_.DeleteRange(column, begin, end);
  batch_.Delete(keys::BucketRecordKey(bucket));
  dropped_buckets_.push_back(bucket);
}

absl::Status BatchBuilder::DropTrace(const SamplingDecision& decision) {
  std::vector<std::string> keys;
  absl::Status read = ForEachTraceRecord(
      db_, buckets_.NewestFirst(), decision.trace_id,
      [&](uint64_t bucket, uint64_t key, ResourceRecord) {
        keys.push_back(keys::ResourceKey(bucket, decision.trace_id, key));
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
  for (const auto& [key, summary] : summary_deltas_) {
    batch_.Merge(db_.summaries, key, summary.SerializeAsString());
  }
  for (const auto& [start, end] : new_buckets_) {
    std::string value;
    keys::PutBigEndian64(&value, end);
    batch_.Put(keys::BucketRecordKey(start), value);
  }
  index_.ForEach(
      [&](const std::string& key, const std::string& value) { batch_.Put(db_.index, key, value); });
  if (batch_.Count() == 0) return absl::OkStatus();
  rocksdb::WriteOptions write;
  write.sync = sync;
  absl::Status s = FromRocks(db_.db->Write(write, &batch_), "writing spans");
  if (!s.ok()) return s;
  // Only now: an entry the catalogue knows is one that is on disk, and so is a live bucket.
  for (const auto& op : new_operations_) catalog_.Add(op.service, op.name, op.kind);
  for (const auto& [start, end] : new_buckets_) buckets_.Add({start, end});
  for (uint64_t bucket : dropped_buckets_) buckets_.Remove(bucket);
  return absl::OkStatus();
}

}  // namespace spanvault
