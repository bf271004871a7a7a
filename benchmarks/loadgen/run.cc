// Running a load and reporting it (run.h).

#include "benchmarks/loadgen/run.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmarks/loadgen/proc_stats.h"

namespace spanvault::bench {
namespace {

// One worker's figures; only that worker writes them, the runner reads them after join.
struct WorkerStats {
  int64_t requests_sent = 0;
  int64_t requests_ok = 0;
  int64_t spans_sent = 0;
  int64_t spans_accepted = 0;
  int64_t spans_rejected_partially = 0;
  std::map<std::string, int64_t> failures;
  std::vector<int64_t> latencies_us;
  absl::Time last_answer = absl::InfinitePast();
};

struct Schedule {
  absl::Time start;
  absl::Time measure_from;  // end of the warm-up
  absl::Time deadline;
  absl::Duration interval;  // between request starts over all workers; zero = no pacing
  uint64_t max_requests;
};

void WorkerLoop(const Schedule& schedule, const RunOptions& options, const RequestPool& pool,
                std::atomic<uint64_t>& next, ExportClient& client, WorkerStats& stats) {
  std::string body;
  while (true) {
    uint64_t seq = next.fetch_add(1);
    if (schedule.max_requests > 0 && seq >= schedule.max_requests) return;
    if (schedule.interval > absl::ZeroDuration()) {
      absl::Time at = schedule.start + schedule.interval * static_cast<double>(seq);
      if (at >= schedule.deadline) return;
      absl::SleepFor(at - absl::Now());
    }
    absl::Time now = absl::Now();
    if (now >= schedule.deadline) return;
    pool.Make(seq, static_cast<uint64_t>(absl::ToUnixNanos(now)), &body);
    absl::Time sent = absl::Now();
    ExportOutcome outcome = client.Export(std::move(body));
    absl::Time answered = absl::Now();
    if (sent >= schedule.measure_from) {
      stats.last_answer = answered;
      ++stats.requests_sent;
      stats.spans_sent += pool.spans_per_request();
      stats.latencies_us.push_back(absl::ToInt64Microseconds(answered - sent));
      if (outcome.ok) {
        ++stats.requests_ok;
        stats.spans_accepted += pool.spans_per_request() - outcome.rejected_spans;
        stats.spans_rejected_partially += outcome.rejected_spans;
      } else {
        ++stats.failures[outcome.failure];
      }
    }
    if (outcome.retry_later) absl::SleepFor(options.backoff);
  }
}

// The monitor's figures into the run's (the window's CPU by thread name, the RSS peak).
void FillServer(const ProcessMonitor& monitor, RunResult* r) {
  r->server_measured = monitor.measured();
  r->server_cpu_seconds = monitor.cpu_seconds();
  r->server_rss_peak_bytes = monitor.rss_peak_bytes();
  r->server_rss_end_bytes = monitor.rss_end_bytes();
  r->server_thread_cpu_seconds = monitor.thread_cpu_seconds();
}

absl::StatusOr<std::vector<std::unique_ptr<ExportClient>>> Connect(const RunOptions& options) {
  std::vector<std::unique_ptr<ExportClient>> clients;
  for (int i = 0; i < options.concurrency; ++i) {
    auto client = options.protocol == "http" ? NewHttpExportClient(options.client)
                                             : NewGrpcExportClient(options.client);
    if (!client.ok()) return client.status();
    clients.push_back(std::move(*client));
  }
  return clients;
}

void Merge(const WorkerStats& w, RunResult* r, absl::Time* last_answer) {
  r->requests_sent += w.requests_sent;
  r->requests_ok += w.requests_ok;
  r->spans_sent += w.spans_sent;
  r->spans_accepted += w.spans_accepted;
  r->spans_rejected_partially += w.spans_rejected_partially;
  for (const auto& [failure, n] : w.failures) r->failures[failure] += n;
  r->latencies_us.insert(r->latencies_us.end(), w.latencies_us.begin(), w.latencies_us.end());
  *last_answer = std::max(*last_answer, w.last_answer);
}

}  // namespace

absl::StatusOr<RunResult> RunLoad(const RunOptions& options, const RequestPool& pool) {
  const double load_before = ReadLoadAverage();
  auto clients = Connect(options);
  if (!clients.ok()) return clients.status();
  Schedule schedule;
  schedule.start = absl::Now();
  schedule.measure_from = schedule.start + options.warmup;
  schedule.deadline = schedule.measure_from + options.duration;
  schedule.interval = options.rate_spans_per_second > 0
                          ? absl::Seconds(pool.spans_per_request() / options.rate_spans_per_second)
                          : absl::ZeroDuration();
  schedule.max_requests = options.max_requests;

  const int self = static_cast<int>(getpid());
  ProcessMonitor server(options.server_pid, schedule.measure_from);
  ProcessMonitor loadgen(self, schedule.measure_from);
  std::atomic<uint64_t> next{0};
  std::vector<WorkerStats> stats(clients->size());
  std::vector<std::thread> workers;
  for (size_t i = 0; i < clients->size(); ++i) {
    workers.emplace_back(
        [&, i] { WorkerLoop(schedule, options, pool, next, *(*clients)[i], stats[i]); });
  }
  for (auto& w : workers) w.join();
  server.Stop();
  loadgen.Stop();

  RunResult result;
  absl::Time last_answer = schedule.measure_from;
  for (const auto& w : stats) Merge(w, &result, &last_answer);
  std::sort(result.latencies_us.begin(), result.latencies_us.end());
  result.window_seconds = absl::ToDoubleSeconds(last_answer - schedule.measure_from);
  FillServer(server, &result);
  result.loadgen_cpu_seconds = loadgen.cpu_seconds();
  result.load_average_start = load_before;
  result.load_average_end = ReadLoadAverage();
  return result;
}

}  // namespace spanvault::bench
