#include "storage/rocksdb/key_codec.h"

namespace spanvault::keys {

void PutBigEndian64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

uint64_t GetBigEndian64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | static_cast<uint8_t>(in[i]);
  return v;
}

void PutString(std::string* out, std::string_view s) {
  auto n = static_cast<uint32_t>(s.size());
  while (n >= 0x80) {
    out->push_back(static_cast<char>(n | 0x80));
    n >>= 7;
  }
  out->push_back(static_cast<char>(n));
  out->append(s);
}

bool GetString(std::string_view* in, std::string* out) {
  uint32_t n = 0;
  for (int shift = 0; shift <= 28; shift += 7) {
    if (in->empty()) return false;
    auto b = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    n |= static_cast<uint32_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      if (in->size() < n) return false;
      out->assign(in->substr(0, n));
      in->remove_prefix(n);
      return true;
    }
  }
  return false;
}

std::string BucketPrefix(uint64_t bucket) {
  std::string key;
  PutBigEndian64(&key, bucket);
  return key;
}

std::string BucketEnd(uint64_t bucket) {
  if (bucket == kArchiveBucket) return std::string(9, '\xff');  // never dropped; for scans only
  return BucketPrefix(bucket + 1);
}

std::string TracePrefix(uint64_t bucket, const TraceId& trace) {
  std::string key = BucketPrefix(bucket);
  key.append(trace.bytes());
  return key;
}

std::string SpanKey(uint64_t bucket, const TraceId& trace, std::string_view span_id) {
  std::string key = TracePrefix(bucket, trace);
  key.push_back(kSpanTag);
  key.append(span_id);
  return key;
}

std::string ResourceKey(uint64_t bucket, const TraceId& trace, uint64_t resource_key) {
  std::string key = TracePrefix(bucket, trace);
  key.push_back(kResourceTag);
  PutBigEndian64(&key, resource_key);
  return key;
}

std::string BucketRecordKey(uint64_t bucket) {
  std::string key(kBucketRecordPrefix);
  PutBigEndian64(&key, bucket);
  return key;
}

bool DecodeBucketRecordKey(std::string_view key, uint64_t* bucket) {
  if (key.size() != kBucketRecordPrefix.size() + 8 ||
      key.substr(0, kBucketRecordPrefix.size()) != kBucketRecordPrefix) {
    return false;
  }
  *bucket = GetBigEndian64(key.substr(kBucketRecordPrefix.size()));
  return true;
}

std::string ServicePrefix(uint64_t bucket, std::string_view service) {
  std::string key = BucketPrefix(bucket);
  key.push_back(kServiceIndex);
  PutString(&key, service);
  return key;
}

std::string OperationPrefix(uint64_t bucket, std::string_view service, std::string_view operation) {
  std::string key = BucketPrefix(bucket);
  key.push_back(kOperationIndex);
  PutString(&key, service);
  PutString(&key, operation);
  return key;
}

std::string AttributePrefix(uint64_t bucket, std::string_view service, std::string_view key_name,
                            std::string_view value) {
  std::string key = BucketPrefix(bucket);
  key.push_back(kAttributeIndex);
  PutString(&key, service);
  PutString(&key, key_name);
  PutString(&key, value);
  return key;
}

std::string TimeIndexKey(std::string_view prefix, uint64_t start_unix_nano, const TraceId& trace) {
  std::string key(prefix);
  PutBigEndian64(&key, ~start_unix_nano);
  key.append(trace.bytes());
  return key;
}

std::string TimeIndexSeek(std::string_view prefix, uint64_t start_unix_nano) {
  std::string key(prefix);
  PutBigEndian64(&key, ~start_unix_nano);
  return key;
}

bool DecodeTimeIndexTail(std::string_view key, uint64_t* start_unix_nano, TraceId* trace) {
  if (key.size() < 24) return false;
  std::string_view tail = key.substr(key.size() - 24);
  *start_unix_nano = ~GetBigEndian64(tail);
  auto id = TraceId::FromBytes(tail.substr(8));
  if (!id.ok()) return false;
  *trace = *id;
  return true;
}

std::string DurationPrefix(uint64_t bucket, std::string_view service, std::string_view operation,
                           uint64_t hour) {
  std::string key = BucketPrefix(bucket);
  key.push_back(kDurationIndex);
  PutString(&key, service);
  PutString(&key, operation);
  PutBigEndian64(&key, ~hour);
  return key;
}

std::string DurationKey(std::string_view prefix, uint64_t duration_nanos, const TraceId& trace) {
  std::string key(prefix);
  PutBigEndian64(&key, duration_nanos);
  key.append(trace.bytes());
  return key;
}

bool DecodeDurationTail(std::string_view key, uint64_t* duration_nanos, TraceId* trace) {
  if (key.size() < 24) return false;
  std::string_view tail = key.substr(key.size() - 24);
  *duration_nanos = GetBigEndian64(tail);
  auto id = TraceId::FromBytes(tail.substr(8));
  if (!id.ok()) return false;
  *trace = *id;
  return true;
}

std::string CatalogKey(std::string_view service, std::string_view operation, int span_kind) {
  std::string key;
  PutString(&key, service);
  PutString(&key, operation);
  key.push_back(static_cast<char>(span_kind));
  return key;
}

bool DecodeCatalogKey(std::string_view key, std::string* service, std::string* operation,
                      int* span_kind) {
  if (!GetString(&key, service) || !GetString(&key, operation) || key.size() != 1) return false;
  *span_kind = static_cast<uint8_t>(key[0]);
  return true;
}

}  // namespace spanvault::keys
