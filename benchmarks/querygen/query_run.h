#pragma once

// Measuring one kind of query: `concurrency` clients, each on its own keep-alive connection,
// ask one request after another for `duration`, cycling through the kind's paths.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "benchmarks/querygen/discovery.h"
#include "benchmarks/querygen/query_client.h"
#include "nlohmann/json.hpp"

namespace spanvault::bench {

// A kind of query and the requests that make it up (one per target).
struct QueryKind {
  std::string name;         // "trace_by_id_100", "search_order_id", ...
  std::string description;  // what it asks, for the report
  std::vector<std::string> paths;
  // Per path, the trace id its answer must contain (a search must find its trace); empty:
  // any 200 answer will do.
  std::vector<std::string> expected;
};

// The kinds measured: trace by id (the newest 100-span traces, and traces spread over the
// data), search by service + order_id (limit 20), trace summaries (searchDepth 20) in 60 s
// windows spread over the data. A kind without targets is left out.
std::vector<QueryKind> BuildKinds(const Targets& targets, const std::string& service);

struct QueryRunOptions {
  QueryClientOptions client;
  int concurrency = 1;
  absl::Duration duration = absl::Seconds(10);
  // The server's process id, for its CPU and memory; 0 = not measured.
  int server_pid = 0;
};

struct QueryKindResult {
  std::string kind;
  int concurrency = 0;
  double window_seconds = 0;
  int64_t requests = 0;
  int64_t ok = 0;
  // 200 answers without the expected trace id (QueryKind::expected).
  int64_t missing = 0;
  // Failed requests by answer: "http 404", "transport: ...".
  std::map<std::string, int64_t> errors;
  // Latencies in microseconds, sorted.
  std::vector<int64_t> latencies_us;
  int64_t response_bytes = 0;
  bool server_measured = false;
  double server_cpu_seconds = 0;
  int64_t server_rss_peak_bytes = 0;
  double querygen_cpu_seconds = 0;
  double load_average_start = 0;
  double load_average_end = 0;
};

// Connects the clients (kUnavailable when the server cannot be reached) and measures `kind`.
absl::StatusOr<QueryKindResult> RunKind(const QueryRunOptions& options, const QueryKind& kind);

// One result as JSON, and a table of results (one row per kind and concurrency).
nlohmann::json KindResultJson(const QueryKindResult& r);
std::string FormatTable(const std::vector<QueryKindResult>& results);

}  // namespace spanvault::bench
