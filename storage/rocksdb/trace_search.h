#pragma once

// TraceSearch: answers TraceQuery from the index column family.

#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "storage/rocksdb/catalog.h"
#include "storage/rocksdb/db.h"
#include "storage/rocksdb/time_buckets.h"
#include "storage/trace_reader.h"

namespace spanvault {

// Plans each search on one index per service: an indexed attribute if the query has one, else
// the operation, else the duration (by hour), else the service. Conditions that index does not
// answer are checked span by span on the candidate traces (at most `max_candidates` of them
// per service), so non-indexed tags work, more slowly. The archive is searched first, then the
// time buckets from the newest: buckets hold spans by start time, so the newest matches come
// first. Thread-safe; borrows everything.
class TraceSearch {
 public:
  TraceSearch(RocksDb& db, const Catalog& catalog, const TimeBuckets& buckets,
              const absl::flat_hash_set<std::string>& indexed_attributes, int max_candidates)
      : db_(db),
        catalog_(catalog),
        buckets_(buckets),
        indexed_(indexed_attributes),
        max_candidates_(max_candidates) {}

  // See TraceReader::FindTraceIds.
  absl::StatusOr<std::vector<TraceId>> Find(const TraceQuery& query) const;

 private:
  struct Results;
  absl::Status FindInService(const TraceQuery& query, const std::string& service,
                             Results* results) const;
  absl::Status FindInBucket(const TraceQuery& query, uint64_t bucket, const std::string& service,
                            Results* results) const;
  absl::Status ScanTimeIndex(const std::string& prefix, bool verify, const TraceQuery& query,
                             Results* results) const;
  absl::Status ScanDurationIndex(uint64_t bucket, const std::string& service,
                                 const std::set<std::string>& operations, bool verify,
                                 const TraceQuery& query, Results* results) const;
  absl::Status ScanDurationHour(rocksdb::Iterator& it, const std::string& prefix, bool verify,
                                const TraceQuery& query, Results* results) const;
  absl::Status Consider(const TraceId& trace, uint64_t start, bool verify, const TraceQuery& query,
                        Results* results) const;

  RocksDb& db_;
  const Catalog& catalog_;
  const TimeBuckets& buckets_;
  const absl::flat_hash_set<std::string>& indexed_;
  const int max_candidates_;
};

}  // namespace spanvault
