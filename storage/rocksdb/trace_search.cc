#include "storage/rocksdb/trace_search.h"

#include <algorithm>
#include <optional>
#include <set>

#include "absl/container/flat_hash_set.h"
#include "storage/rocksdb/key_codec.h"
#include "storage/rocksdb/rocks_status.h"

namespace spanvault {

// Matches found so far for one query, across services.
struct TraceSearch::Results {
  std::vector<std::pair<uint64_t, TraceId>> found;  // (start time of the match, trace)
  absl::flat_hash_set<TraceId> seen;                // found or rejected
  int found_in_service = 0;
  int candidates_in_service = 0;
};

namespace {

bool StartsWith(const rocksdb::Slice& key, const std::string& prefix) {
  return key.size() >= prefix.size() && std::memcmp(key.data(), prefix.data(), prefix.size()) == 0;
}

}  // namespace

absl::StatusOr<std::vector<TraceId>> TraceSearch::Find(const TraceQuery& query) const {
  absl::Status valid = ValidateQuery(query);
  if (!valid.ok()) return valid;
  std::vector<std::string> services = query.service_name.empty()
                                          ? catalog_.Services()
                                          : std::vector<std::string>{query.service_name};
  Results results;
  for (const auto& service : services) {
    // Scoped before the scan: a hidden service's index entries are never read, so its traces
    // cannot use up search_depth or max_candidates.
    if (!ServiceInScope(query.scope, service)) continue;
    absl::Status s = FindInService(query, service, &results);
    if (!s.ok()) return s;
  }
  std::sort(results.found.begin(), results.found.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<TraceId> out;
  for (const auto& [start, trace] : results.found) {
    if (static_cast<int>(out.size()) >= query.search_depth) break;
    out.push_back(trace);
  }
  return out;
}

absl::Status TraceSearch::FindInService(const TraceQuery& query, const std::string& service,
                                        Results* results) const {
  // The archive has its own quota: archived traces do not hide newer ones, nor the reverse.
  results->found_in_service = 0;
  results->candidates_in_service = 0;
  absl::Status s = FindInBucket(query, keys::kArchiveBucket, service, results);
  if (!s.ok()) return s;
  results->found_in_service = 0;
  results->candidates_in_service = 0;
  for (uint64_t bucket : buckets_.NewestFirst()) {
    s = FindInBucket(query, bucket, service, results);
    if (!s.ok()) return s;
    if (results->found_in_service >= query.search_depth ||
        results->candidates_in_service >= max_candidates_) {
      break;
    }
  }
  return absl::OkStatus();
}

absl::Status TraceSearch::FindInBucket(const TraceQuery& query, uint64_t bucket,
                                       const std::string& service, Results* results) const {
  bool has_duration = query.duration_min_nanos || query.duration_max_nanos;
  bool has_op = !query.operation_name.empty();
  for (size_t i = 0; i < query.attributes.size(); ++i) {
    const auto& [key, value] = query.attributes[i];
    if (!indexed_.contains(key)) continue;
    // The caller sees this attribute redacted or hidden here: none of its values may match.
    if (!TagInScope(query.scope, service, key)) return absl::OkStatus();
    bool verify = has_op || has_duration || query.attributes.size() > 1;
    return ScanTimeIndex(keys::AttributePrefix(bucket, service, key, value), verify, query,
                         results);
  }
  bool verify_attributes = !query.attributes.empty();
  if (has_duration) {
    std::set<std::string> operations;
    if (has_op) {
      operations.insert(query.operation_name);
    } else {
      for (const auto& op : catalog_.Operations(service, "")) operations.insert(op.name);
    }
    return ScanDurationIndex(bucket, service, operations, verify_attributes, query, results);
  }
  if (has_op) {
    return ScanTimeIndex(keys::OperationPrefix(bucket, service, query.operation_name),
                         verify_attributes, query, results);
  }
  return ScanTimeIndex(keys::ServicePrefix(bucket, service), verify_attributes, query, results);
}

absl::Status TraceSearch::Consider(const TraceId& trace, uint64_t start, bool verify,
                                   const TraceQuery& query, Results* results) const {
  if (!results->seen.insert(trace).second) return absl::OkStatus();
  ++results->candidates_in_service;
  if (verify) {
    std::vector<uint64_t> buckets = buckets_.NewestFirst();
    buckets.push_back(keys::kArchiveBucket);
    auto data = ReadTrace(db_, buckets, trace);
    if (absl::IsNotFound(data.status())) return absl::OkStatus();
    if (!data.ok()) return data.status();
    bool match = false;
    for (const auto& rs : data->resource_spans()) {
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& span : ss.spans()) {
          if (!match && SpanMatches(query, rs.resource(), span)) {
            match = true;
            start = span.start_time_unix_nano();
          }
        }
      }
    }
    if (!match) return absl::OkStatus();
  }
  results->found.emplace_back(start, trace);
  ++results->found_in_service;
  return absl::OkStatus();
}

absl::Status TraceSearch::ScanTimeIndex(const std::string& prefix, bool verify,
                                        const TraceQuery& query, Results* results) const {
  std::unique_ptr<rocksdb::Iterator> it(db_.db->NewIterator(rocksdb::ReadOptions(), db_.index));
  for (it->Seek(keys::TimeIndexSeek(prefix, query.start_time_max_unix_nano));
       it->Valid() && StartsWith(it->key(), prefix); it->Next()) {
    if (it->key().size() != prefix.size() + 24) continue;
    uint64_t start = 0;
    TraceId trace;
    if (!keys::DecodeTimeIndexTail(std::string_view(it->key().data(), it->key().size()), &start,
                                   &trace)) {
      continue;
    }
    if (start < query.start_time_min_unix_nano) break;
    absl::Status s = Consider(trace, start, verify, query, results);
    if (!s.ok()) return s;
    if (results->found_in_service >= query.search_depth ||
        results->candidates_in_service >= max_candidates_) {
      break;
    }
  }
  return FromRocks(it->status(), "scanning an index");
}

namespace {

// The newest hour at or before `hour` that has duration entries for one operation, if any.
// `base` is the operation's duration prefix without the hour.
std::optional<uint64_t> NewestHourAtOrBefore(rocksdb::Iterator& it, const std::string& base,
                                             uint64_t hour) {
  std::string seek = base;
  keys::PutBigEndian64(&seek, ~hour);
  it.Seek(seek);
  if (!it.Valid() || !StartsWith(it.key(), base) || it.key().size() < base.size() + 8) {
    return std::nullopt;
  }
  return ~keys::GetBigEndian64(std::string_view(it.key().data() + base.size(), 8));
}

}  // namespace

absl::Status TraceSearch::ScanDurationHour(rocksdb::Iterator& it, const std::string& prefix,
                                           bool verify, const TraceQuery& query,
                                           Results* results) const {
  std::string seek = prefix;
  keys::PutBigEndian64(&seek, query.duration_min_nanos.value_or(0));
  uint64_t max_duration = query.duration_max_nanos.value_or(UINT64_MAX);
  for (it.Seek(seek); it.Valid() && StartsWith(it.key(), prefix); it.Next()) {
    uint64_t duration = 0;
    TraceId trace;
    std::string_view key(it.key().data(), it.key().size());
    if (key.size() != prefix.size() + 24 || !keys::DecodeDurationTail(key, &duration, &trace)) {
      continue;
    }
    if (duration > max_duration) break;
    if (it.value().size() != 8) continue;
    uint64_t start = keys::GetBigEndian64(std::string_view(it.value().data(), 8));
    if (start < query.start_time_min_unix_nano || start > query.start_time_max_unix_nano) {
      continue;
    }
    absl::Status s = Consider(trace, start, verify, query, results);
    if (!s.ok()) return s;
    if (results->candidates_in_service >= max_candidates_) break;
  }
  return FromRocks(it.status(), "scanning the duration index");
}

absl::Status TraceSearch::ScanDurationIndex(uint64_t bucket, const std::string& service,
                                            const std::set<std::string>& operations, bool verify,
                                            const TraceQuery& query, Results* results) const {
  // Hours from the newest down, every operation within an hour, so results come newest first
  // whichever operation they belong to. Hours without entries are skipped with one seek.
  std::vector<std::string> bases;
  for (const auto& op : operations) {
    std::string base = keys::DurationPrefix(bucket, service, op, 0);
    base.resize(base.size() - 8);
    bases.push_back(std::move(base));
  }
  std::unique_ptr<rocksdb::Iterator> it(db_.db->NewIterator(rocksdb::ReadOptions(), db_.index));
  uint64_t min_hour = query.start_time_min_unix_nano / keys::kNanosPerHour;
  uint64_t hour = query.start_time_max_unix_nano / keys::kNanosPerHour;
  while (true) {
    std::optional<uint64_t> next;
    for (const auto& base : bases) {
      auto h = NewestHourAtOrBefore(*it, base, hour);
      if (h && (!next || *h > *next)) next = h;
    }
    if (!it->status().ok()) return FromRocks(it->status(), "scanning the duration index");
    if (!next || *next < min_hour) return absl::OkStatus();
    hour = *next;
    for (const auto& op : operations) {
      absl::Status s = ScanDurationHour(*it, keys::DurationPrefix(bucket, service, op, hour),
                                        verify, query, results);
      if (!s.ok()) return s;
    }
    if (results->found_in_service >= query.search_depth ||
        results->candidates_in_service >= max_candidates_ || hour == 0) {
      return absl::OkStatus();
    }
    --hour;
  }
}

}  // namespace spanvault
