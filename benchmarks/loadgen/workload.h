#pragma once

// The benchmark workload: realistic OTLP export requests from an order pipeline (shop-api,
// crm-api, mes-api, seller-sim, ...), encoded once ahead of time, then stamped with fresh ids
// and timestamps for every send.
//
// Stamping patches the encoded bytes in place instead of re-encoding: trace ids, span ids and
// parent span ids are fixed-size `bytes` fields and timestamps are `fixed64`, so their offsets
// are found once per template (by walking the wire format) and every send copies the template
// and XORs the ids with a per-sequence mask, shifts the timestamps and rewrites the 8 digits of
// every `order_id` value (fixed length, so each trace gets its own order id and search by
// order id finds one trace, not every send of a template). A stamped request costs one memcpy
// plus a few hundred 8-byte writes, so the load generator's CPU goes to the network, not to
// protobuf.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/span_batch.h"

namespace spanvault::bench {

struct WorkloadOptions {
  // Spans in one export request. Default: 100.
  int spans_per_request = 100;
  // Spans per trace, drawn uniformly. Default: 5..50. A request holds whole traces except the
  // last, which is cut to fill the request exactly.
  int min_spans_per_trace = 5;
  int max_spans_per_trace = 50;
  // Attributes per span (besides the resource's), drawn uniformly; at most 26, the distinct
  // keys the generator has. Default: 10..20.
  int min_attributes = 10;
  int max_attributes = 20;
  // Share of traces that contain an error (status ERROR and an exception event). Default: 5 %.
  double error_share = 0.05;
  // Distinct encoded requests to cycle through. Default: 64.
  int templates = 64;
  // Seed of every random choice; the same seed gives the same templates. Default: 1.
  uint64_t seed = 1;
  // The start time the templates are built around (Unix nanoseconds); stamping shifts it.
  uint64_t base_unix_nano = 1'700'000'000'000'000'000ull;

  // kInvalidArgument naming the bad field.
  absl::Status Validate() const;
};

// Where one `order_id` attribute value's 8 digits are ("ORD-%08d"), and which trace of the
// request (0, 1, ... in order of first appearance) its span belongs to.
struct OrderIdField {
  uint32_t offset = 0;
  uint32_t trace = 0;
};

// One encoded request and where its ids, timestamps and order ids are.
struct RequestTemplate {
  std::string bytes;
  int span_count = 0;
  int trace_count = 0;
  std::vector<uint32_t> trace_id_offsets;  // 16-byte trace ids
  std::vector<uint32_t> span_id_offsets;   // 8-byte span and parent span ids
  std::vector<uint32_t> time_offsets;      // fixed64 timestamps (spans and events)
  std::vector<OrderIdField> order_ids;     // string attributes "order_id" = "ORD-dddddddd"
};

// Builds `options.templates` realistic requests (not stamped: every template's ids differ, but
// sending the same template twice repeats them).
std::vector<ExportRequest> BuildRequests(const WorkloadOptions& options);

// Finds the id and timestamp fields of an encoded ExportTraceServiceRequest. kInvalidArgument
// when the bytes are not one.
absl::StatusOr<RequestTemplate> IndexRequest(std::string bytes);

// Stamps a copy of `tmpl` into `out`: ids XORed with a mask derived from (`seed`, `sequence`),
// so each sequence number gets its own trace and span ids (parent links are kept), every
// timestamp shifted by `time_shift_nanos`, and every `order_id` set to OrderIdNumber(seed,
// sequence, tmpl.span_count, trace): one order id per trace, shared by all its spans.
void StampRequest(const RequestTemplate& tmpl, uint64_t seed, uint64_t sequence,
                  int64_t time_shift_nanos, std::string* out);

// The 8-digit order number of trace `trace` of request `sequence`: a seed-derived start plus
// sequence * spans_per_request + trace, modulo 10^8. A request has at most spans_per_request
// traces, so numbers are unique within one seed for the first 10^8 spans sent; runs with
// different seeds start at different (random) points and may overlap.
uint32_t OrderIdNumber(uint64_t seed, uint64_t sequence, int spans_per_request, uint32_t trace);

// The templates of a workload, ready to stamp. Thread-safe after construction (const).
class RequestPool {
 public:
  static absl::StatusOr<RequestPool> Create(const WorkloadOptions& options);

  // Request number `sequence`, stamped so its spans start around `now_unix_nano`. Different
  // sequence numbers never share a trace id (with 2^-64 odds per pair).
  void Make(uint64_t sequence, uint64_t now_unix_nano, std::string* out) const;

  const std::vector<RequestTemplate>& templates() const { return templates_; }
  int spans_per_request() const { return spans_per_request_; }
  // Mean encoded bytes per span.
  double bytes_per_span() const;

 private:
  std::vector<RequestTemplate> templates_;
  uint64_t seed_ = 0;
  uint64_t base_unix_nano_ = 0;
  int spans_per_request_ = 0;
};

}  // namespace spanvault::bench
