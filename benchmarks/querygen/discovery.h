#pragma once

// Finding what to ask for: the querygen knows nothing about the data it queries, so it first
// lists traces through the Jaeger API itself, newest first and in time slices over the data.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "benchmarks/querygen/query_client.h"

namespace spanvault::bench {

// A stored trace to ask for.
struct TraceTarget {
  std::string trace_id;  // hex, as the API spells it
  int spans = 0;
  std::string order_id;  // the first `order_id` tag of its spans; empty when none
  int64_t start_us = 0;  // its earliest span's start, Unix microseconds
};

struct DiscoveryOptions {
  // The service searched (every workload trace has a span of it). Default: shop-api.
  std::string service = "shop-api";
  // How many of the newest traces to list. Default: 200.
  int newest = 200;
  // The span of time (before now) the data was written in. Default: 1 h.
  absl::Duration since = absl::Hours(1);
  // Slices of `since` listed separately, so the targets spread over all the data (old data is
  // not in RocksDB's memtables or block cache). Default: 50.
  int slices = 50;
  // Traces listed per slice. Default: 10.
  int per_slice = 10;
};

struct Targets {
  // The newest traces, newest first.
  std::vector<TraceTarget> newest;
  // Traces from every slice that has any, oldest slice first.
  std::vector<TraceTarget> spread;
};

// Lists the targets with `client`. kUnavailable or kInternal naming the request and its answer
// when one fails or is not Jaeger JSON; kNotFound when no trace was found.
absl::StatusOr<Targets> Discover(QueryClient& client, const DiscoveryOptions& options,
                                 absl::Time now);

// Parses a Jaeger `/api/traces` answer into targets. kInternal when it is not one.
absl::StatusOr<std::vector<TraceTarget>> ParseTraces(const std::string& body);

// "%2B"-style percent-encoding of a query parameter value.
std::string UrlEncode(std::string_view value);

}  // namespace spanvault::bench
