// The load generator's figures as a table and as JSON (run.h).

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmarks/loadgen/run.h"

namespace spanvault::bench {
namespace {

// Nearest-rank percentile of sorted values, in milliseconds.
double PercentileMs(const std::vector<int64_t>& sorted_us, double p) {
  if (sorted_us.empty()) return 0;
  auto rank = static_cast<size_t>(p / 100 * static_cast<double>(sorted_us.size()));
  return static_cast<double>(sorted_us[std::min(rank, sorted_us.size() - 1)]) / 1000;
}

double PerSecond(double n, double seconds) { return seconds > 0 ? n / seconds : 0; }
double Mib(int64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

nlohmann::json ThreadsJson(const RunResult& r) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, cpu] : r.server_thread_cpu_seconds) {
    j[name] = 100 * PerSecond(cpu, r.window_seconds);
  }
  return j;
}

// "rocksdb:low 45%, spanvault 40%, ...": the busiest thread groups, over 1 % each.
std::string ThreadsLine(const RunResult& r) {
  std::vector<std::pair<double, std::string>> busy;
  for (const auto& [name, cpu] : r.server_thread_cpu_seconds) {
    double percent = 100 * PerSecond(cpu, r.window_seconds);
    if (percent >= 1) busy.emplace_back(percent, name);
  }
  std::sort(busy.rbegin(), busy.rend());
  std::string out;
  for (const auto& [percent, name] : busy) {
    absl::StrAppendFormat(&out, "%s%s %.0f%%", out.empty() ? "" : ", ", name, percent);
  }
  return out;
}

}  // namespace

nlohmann::json ReportJson(const RunOptions& o, const RequestPool& pool, const RunResult& r) {
  nlohmann::json failures = nlohmann::json::object();
  for (const auto& [failure, n] : r.failures) failures[failure] = n;
  nlohmann::json j = {
      {"protocol", o.protocol},
      {"target", o.client.target},
      {"compression", o.client.compression == Compression::kGzip ? "gzip" : "none"},
      {"concurrency", o.concurrency},
      {"rate_target_spans_per_s", o.rate_spans_per_second},
      {"spans_per_request", pool.spans_per_request()},
      {"bytes_per_span", pool.bytes_per_span()},
      {"window_s", r.window_seconds},
      {"requests",
       {{"sent", r.requests_sent},
        {"ok", r.requests_ok},
        {"failed", r.requests_sent - r.requests_ok}}},
      {"spans",
       {{"sent", r.spans_sent},
        {"accepted", r.spans_accepted},
        {"rejected_partially", r.spans_rejected_partially}}},
      {"accepted_spans_per_s", PerSecond(static_cast<double>(r.spans_accepted), r.window_seconds)},
      {"failures", failures},
      {"latency_ms",
       {{"p50", PercentileMs(r.latencies_us, 50)},
        {"p99", PercentileMs(r.latencies_us, 99)},
        {"p999", PercentileMs(r.latencies_us, 99.9)},
        {"max", PercentileMs(r.latencies_us, 100)}}},
      {"loadgen_cpu_percent", 100 * PerSecond(r.loadgen_cpu_seconds, r.window_seconds)},
      {"load_average", {{"start", r.load_average_start}, {"end", r.load_average_end}}},
  };
  if (r.server_measured) {
    j["server"] = {
        {"pid", o.server_pid},
        {"cpu_percent", 100 * PerSecond(r.server_cpu_seconds, r.window_seconds)},
        {"rss_peak_mib", Mib(r.server_rss_peak_bytes)},
        {"rss_end_mib", Mib(r.server_rss_end_bytes)},
        {"threads_cpu_percent", ThreadsJson(r)},
        {"spans_per_cpu_second",
         PerSecond(static_cast<double>(r.spans_accepted), r.server_cpu_seconds)},
    };
  }
  return j;
}

std::string FormatReport(const RunOptions& o, const RequestPool& pool, const RunResult& r) {
  nlohmann::json j = ReportJson(o, pool, r);
  std::string out = absl::StrFormat(
      "%-10s %s %s, %d connections, %d spans/request (%.0f B/span), window %.1f s\n", "load",
      o.protocol, o.client.target, o.concurrency, pool.spans_per_request(), pool.bytes_per_span(),
      r.window_seconds);
  absl::StrAppendFormat(&out, "%-10s sent %d, ok %d, failed %d\n", "requests", r.requests_sent,
                        r.requests_ok, r.requests_sent - r.requests_ok);
  absl::StrAppendFormat(&out,
                        "%-10s sent %d, accepted %d (%.0f/s), rejected in partial success %d\n",
                        "spans", r.spans_sent, r.spans_accepted,
                        j["accepted_spans_per_s"].get<double>(), r.spans_rejected_partially);
  std::string failures;
  for (const auto& [failure, n] : r.failures)
    absl::StrAppend(&failures, failures.empty() ? "" : ", ", failure, ": ", n);
  absl::StrAppendFormat(&out, "%-10s %s\n", "failures", failures.empty() ? "none" : failures);
  absl::StrAppendFormat(&out, "%-10s p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms\n",
                        "latency", PercentileMs(r.latencies_us, 50),
                        PercentileMs(r.latencies_us, 99), PercentileMs(r.latencies_us, 99.9),
                        PercentileMs(r.latencies_us, 100));
  if (r.server_measured) {
    const auto& s = j["server"];
    absl::StrAppendFormat(
        &out, "%-10s cpu %.0f%%, rss peak %.0f MiB (end %.0f MiB), %.0f spans per cpu-second\n",
        "server", s["cpu_percent"].get<double>(), s["rss_peak_mib"].get<double>(),
        s["rss_end_mib"].get<double>(), s["spans_per_cpu_second"].get<double>());
    absl::StrAppendFormat(&out, "%-10s %s\n", "threads", ThreadsLine(r));
  }
  absl::StrAppendFormat(&out, "%-10s cpu %.0f%%; machine load average %.2f before, %.2f after\n",
                        "loadgen", j["loadgen_cpu_percent"].get<double>(), r.load_average_start,
                        r.load_average_end);
  return out;
}

}  // namespace spanvault::bench
