#pragma once

// Running a load: worker threads, each with its own connection, send stamped requests at a
// target rate (or as fast as the server answers) and record what came back.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "benchmarks/loadgen/export_client.h"
#include "benchmarks/loadgen/workload.h"
#include "nlohmann/json.hpp"

namespace spanvault::bench {

struct RunOptions {
  // "grpc" or "http".
  std::string protocol = "grpc";
  ExportClientOptions client;
  // Worker threads = connections = requests in flight. Default: 4.
  int concurrency = 4;
  // Target spans/s over all workers; 0 sends as fast as the server answers. Default: 0.
  double rate_spans_per_second = 0;
  // How long to send after the warm-up. Default: 10 s.
  absl::Duration duration = absl::Seconds(10);
  // Sent but not counted in the figures (the store's memtables and caches fill). Default: 0.
  absl::Duration warmup = absl::ZeroDuration();
  // Stop after this many requests (warm-up included); 0 = no limit. Default: 0.
  uint64_t max_requests = 0;
  // Pause of a worker after a "retry later" answer. Default: 10 ms.
  absl::Duration backoff = absl::Milliseconds(10);
  // The server's process id, for its CPU and memory; 0 = not measured.
  int server_pid = 0;
};

struct RunResult {
  // From the end of the warm-up to the last answer.
  double window_seconds = 0;
  int64_t requests_sent = 0;
  int64_t requests_ok = 0;
  int64_t spans_sent = 0;
  // Spans in answered requests, less partial_success.rejected_spans.
  int64_t spans_accepted = 0;
  // partial_success.rejected_spans, summed.
  int64_t spans_rejected_partially = 0;
  // Failed requests by answer ("grpc RESOURCE_EXHAUSTED", "http 429", "transport: ...").
  std::map<std::string, int64_t> failures;
  // Request latencies in microseconds, sorted.
  std::vector<int64_t> latencies_us;
  // The server's CPU seconds in the window and its resident memory (0 when not measured).
  bool server_measured = false;
  double server_cpu_seconds = 0;
  int64_t server_rss_peak_bytes = 0;
  int64_t server_rss_end_bytes = 0;
  // The server's CPU seconds in the window by thread name (see ProcSample).
  std::map<std::string, double> server_thread_cpu_seconds;
  // This process's CPU seconds in the window (it shares the machine with the server).
  double loadgen_cpu_seconds = 0;
  // The machine's 1-minute load average before and after the run.
  double load_average_start = 0;
  double load_average_end = 0;
};

// Connects `options.concurrency` clients (kUnavailable when the server cannot be reached),
// then runs the load.
absl::StatusOr<RunResult> RunLoad(const RunOptions& options, const RequestPool& pool);

// The figures as a table, and as JSON (`context` is merged in: command, machine, options).
std::string FormatReport(const RunOptions& options, const RequestPool& pool, const RunResult& r);
nlohmann::json ReportJson(const RunOptions& options, const RequestPool& pool, const RunResult& r);

}  // namespace spanvault::bench
