#pragma once

// Key layout of the RocksDB store. All integers are big-endian so byte order is numeric
// order; strings are length-prefixed (varint32) so no name can collide with a prefix of another.
//
// Every key of the trace column families starts with its time bucket b(8): the Unix second
// the bucket starts at (storage/rocksdb/time_buckets.h), or kArchiveBucket for archived
// traces. Retention drops a whole bucket with one range delete per column family.
//
// Column family "spans" (a trace within a bucket is one prefix scan):
//   b trace_id 'r' resource_key(8)    -> ResourceRecord
//   b trace_id 's' span_id(8)         -> SpanRecord
// Column family "summaries" (a trace's summary is the merge of its buckets' partial ones):
//   b trace_id                        -> SummaryRecord (merge operator)
// Column family "index" (value empty unless noted; ~t = bitwise-inverted start time, so a
// forward scan returns the newest first):
//   b 'S' svc ~t trace_id             service
//   b 'O' svc op ~t trace_id          service, operation
//   b 'A' svc key value ~t trace_id   service, indexed attribute
//   b 'D' svc op ~hour duration trace_id -> start time(8)   duration, by hour of start
// Column family "catalog":
//   svc op kind(1)                    the services/operations catalogue
// Default column family:
//   "bucket" b                        -> end second(8)   the live time buckets

#include <cstdint>
#include <string>
#include <string_view>

#include "common/ids.h"

namespace spanvault::keys {

inline constexpr char kResourceTag = 'r';
inline constexpr char kSpanTag = 's';
inline constexpr char kServiceIndex = 'S';
inline constexpr char kOperationIndex = 'O';
inline constexpr char kAttributeIndex = 'A';
inline constexpr char kDurationIndex = 'D';
inline constexpr uint64_t kNanosPerHour = 3600ull * 1000 * 1000 * 1000;
// The bucket of archived traces, which retention never drops.
inline constexpr uint64_t kArchiveBucket = UINT64_MAX;

void PutBigEndian64(std::string* out, uint64_t v);
uint64_t GetBigEndian64(std::string_view in);
// Appends varint32 length + bytes.
void PutString(std::string* out, std::string_view s);
// Reads a length-prefixed string from the front of `in` and advances it. False if malformed.
bool GetString(std::string_view* in, std::string* out);

// b: the first 8 bytes of every key in the bucket.
std::string BucketPrefix(uint64_t bucket);
// The key after every key of the bucket (the end of its range delete).
std::string BucketEnd(uint64_t bucket);
// b trace_id: every record of the trace in one bucket; also the trace's summary key there.
std::string TracePrefix(uint64_t bucket, const TraceId& trace);
std::string SpanKey(uint64_t bucket, const TraceId& trace, std::string_view span_id);
std::string ResourceKey(uint64_t bucket, const TraceId& trace, uint64_t resource_key);
// The bucket registry's key of `bucket` (default column family), and its inverse.
std::string BucketRecordKey(uint64_t bucket);
bool DecodeBucketRecordKey(std::string_view key, uint64_t* bucket);
inline constexpr std::string_view kBucketRecordPrefix = "bucket";

// b 'S' svc, b 'O' svc op, b 'A' svc key value: prefixes of the time-ordered indexes.
std::string ServicePrefix(uint64_t bucket, std::string_view service);
std::string OperationPrefix(uint64_t bucket, std::string_view service, std::string_view operation);
std::string AttributePrefix(uint64_t bucket, std::string_view service, std::string_view key,
                            std::string_view value);
// Completes a time-ordered index key: prefix ~start trace_id.
std::string TimeIndexKey(std::string_view prefix, uint64_t start_unix_nano, const TraceId& trace);
// The seek key for the newest entries at or before `start_unix_nano`.
std::string TimeIndexSeek(std::string_view prefix, uint64_t start_unix_nano);
// Reads the start time and trace id from the tail of a time-ordered index key.
bool DecodeTimeIndexTail(std::string_view key, uint64_t* start_unix_nano, TraceId* trace);

// b 'D' svc op ~hour: the prefix of one hour's duration entries.
std::string DurationPrefix(uint64_t bucket, std::string_view service, std::string_view operation,
                           uint64_t hour);
std::string DurationKey(std::string_view prefix, uint64_t duration_nanos, const TraceId& trace);
bool DecodeDurationTail(std::string_view key, uint64_t* duration_nanos, TraceId* trace);

std::string CatalogKey(std::string_view service, std::string_view operation, int span_kind);
bool DecodeCatalogKey(std::string_view key, std::string* service, std::string* operation,
                      int* span_kind);

}  // namespace spanvault::keys
