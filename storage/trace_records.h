#pragma once

// Helpers over the stored record formats (spanvault/storage/v1/records.proto) that every store
// shares: resource records, summaries, and reassembling a trace.

#include <cstdint>
#include <map>
#include <string>

#include "common/ids.h"
#include "common/otlp_util.h"
#include "spanvault/storage/v1/records.pb.h"
#include "storage/trace_reader.h"

namespace spanvault {

using ResourceRecord = spanvault::storage::v1::ResourceRecord;
using SpanRecord = spanvault::storage::v1::SpanRecord;
using SummaryRecord = spanvault::storage::v1::SummaryRecord;

// The resource and scope of one ScopeSpans.
ResourceRecord MakeResourceRecord(const otlp::ResourceSpans& rs, const otlp::ScopeSpans& ss);

// A stable 64-bit key of a serialized resource record (FNV-1a), the same in every process.
uint64_t ResourceRecordKey(std::string_view serialized);

// Adds one span of service `service` to `summary`.
void AddSpanToSummary(const std::string& service, const otlp::Span& span, SummaryRecord* summary);

// Merges `from` into `into`. Commutative and associative, so partial summaries written in any
// order (a RocksDB merge operator) give the same result.
void MergeSummary(const SummaryRecord& from, SummaryRecord* into);

TraceSummary ToTraceSummary(const TraceId& trace_id, const SummaryRecord& summary);

// Reassembles one trace from stored resource records and spans. Not thread-safe.
class TraceAssembler {
 public:
  // Records the resource stored under `key`.
  void AddResource(uint64_t key, ResourceRecord record);
  // Adds a span that refers to the resource under `resource_key`. A span whose resource is
  // missing gets an empty resource.
  void AddSpan(uint64_t resource_key, otlp::Span span);
  // The trace: one ResourceSpans with one ScopeSpans per resource key, spans sorted by start
  // time then span id. Empty when no span was added.
  otlp::TracesData Build() &&;

 private:
  std::map<uint64_t, ResourceRecord> resources_;
  std::map<uint64_t, std::vector<otlp::Span>> spans_;
};

}  // namespace spanvault
