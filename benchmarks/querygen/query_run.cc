// Running and reporting one kind of query (query_run.h).

#include "benchmarks/querygen/query_run.h"

#include <unistd.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmarks/loadgen/proc_stats.h"

namespace spanvault::bench {
namespace {

// Summaries are asked for in windows this long, ending just after a target trace started.
constexpr absl::Duration kSummaryWindow = absl::Seconds(60);

std::string Rfc3339(int64_t unix_us) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(unix_us), absl::UTCTimeZone());
}

std::string TraceByIdPath(const TraceTarget& t) { return absl::StrCat("/api/traces/", t.trace_id); }

std::string OrderIdSearchPath(const std::string& service, const TraceTarget& t) {
  // Jaeger's `tags` parameter: a URL-encoded JSON object of strings.
  nlohmann::json tags = {{"order_id", t.order_id}};
  return absl::StrCat("/api/traces?service=", UrlEncode(service), "&tags=", UrlEncode(tags.dump()),
                      "&limit=20");
}

std::string SummariesPath(const std::string& service, const TraceTarget& t) {
  const int64_t end_us = t.start_us + 1'000'000;
  return absl::StrCat("/api/v3/trace-summaries?query.serviceName=", UrlEncode(service),
                      "&query.startTimeMin=",
                      UrlEncode(Rfc3339(end_us - absl::ToInt64Microseconds(kSummaryWindow))),
                      "&query.startTimeMax=", UrlEncode(Rfc3339(end_us)), "&query.searchDepth=20");
}

std::vector<TraceTarget> WithSpans(const std::vector<TraceTarget>& targets, int spans) {
  std::vector<TraceTarget> out;
  for (const auto& t : targets) {
    if (t.spans == spans) out.push_back(t);
  }
  return out;
}

// One client's figures; only its thread writes them, the runner reads them after join.
struct ClientStats {
  int64_t requests = 0;
  int64_t ok = 0;
  int64_t missing = 0;
  int64_t bytes = 0;
  std::map<std::string, int64_t> errors;
  std::vector<int64_t> latencies_us;
  absl::Time last_answer = absl::InfinitePast();
};

// Client `index` of `count` starts at its own share of the paths, so the clients do not ask
// for the same thing at the same moment (which would measure the block cache only).
void ClientLoop(QueryClient& client, const QueryKind& kind, int index, int count,
                absl::Time deadline, ClientStats& stats) {
  size_t next = kind.paths.size() * static_cast<size_t>(index) / static_cast<size_t>(count);
  while (absl::Now() < deadline) {
    const size_t at = next++ % kind.paths.size();
    const std::string& path = kind.paths[at];
    absl::Time sent = absl::Now();
    QueryAnswer answer = client.Get(path);
    absl::Time answered = absl::Now();
    stats.last_answer = answered;
    ++stats.requests;
    stats.bytes += static_cast<int64_t>(answer.body.size());
    stats.latencies_us.push_back(absl::ToInt64Microseconds(answered - sent));
    if (answer.status == 200) {
      ++stats.ok;
      // A substring search, not a JSON parse: the client shares the server's two cores.
      const std::string& expected = kind.expected[at];
      if (!expected.empty() && answer.body.find(expected) == std::string::npos) ++stats.missing;
    } else if (answer.status == 0) {
      ++stats.errors[absl::StrCat("transport: ", answer.transport)];
    } else {
      ++stats.errors[absl::StrCat("http ", answer.status)];
    }
  }
}

void Merge(const ClientStats& s, QueryKindResult* r, absl::Time* last_answer) {
  r->requests += s.requests;
  r->ok += s.ok;
  r->missing += s.missing;
  r->response_bytes += s.bytes;
  for (const auto& [error, n] : s.errors) r->errors[error] += n;
  r->latencies_us.insert(r->latencies_us.end(), s.latencies_us.begin(), s.latencies_us.end());
  *last_answer = std::max(*last_answer, s.last_answer);
}

// Nearest-rank percentile of sorted values, in milliseconds (as the loadgen reports).
double PercentileMs(const std::vector<int64_t>& sorted_us, double p) {
  if (sorted_us.empty()) return 0;
  auto rank = static_cast<size_t>(p / 100 * static_cast<double>(sorted_us.size()));
  return static_cast<double>(sorted_us[std::min(rank, sorted_us.size() - 1)]) / 1000;
}

double PerSecond(double n, double seconds) { return seconds > 0 ? n / seconds : 0; }

}  // namespace

std::vector<QueryKind> BuildKinds(const Targets& targets, const std::string& service) {
  std::vector<QueryKind> kinds = {
      {"trace_by_id_100", "GET /api/traces/{id}, the newest 100-span traces", {}},
      {"trace_by_id", "GET /api/traces/{id}, traces spread over the data (5-50 spans)", {}},
      {"search_order_id", "GET /api/traces?service&tags={order_id}&limit=20, spread", {}},
      {"trace_summaries",
       "GET /api/v3/trace-summaries, service, 60 s window, depth 20, spread",
       {}},
  };
  auto add = [](QueryKind& kind, std::string path, std::string expected) {
    kind.paths.push_back(std::move(path));
    kind.expected.push_back(std::move(expected));
  };
  for (const auto& t : WithSpans(targets.newest, 100)) add(kinds[0], TraceByIdPath(t), t.trace_id);
  for (const auto& t : targets.spread) {
    add(kinds[1], TraceByIdPath(t), t.trace_id);
    if (!t.order_id.empty()) add(kinds[2], OrderIdSearchPath(service, t), t.trace_id);
    add(kinds[3], SummariesPath(service, t), "");
  }
  std::erase_if(kinds, [](const QueryKind& k) { return k.paths.empty(); });
  return kinds;
}

absl::StatusOr<QueryKindResult> RunKind(const QueryRunOptions& options, const QueryKind& kind) {
  QueryKindResult result;
  result.kind = kind.name;
  result.concurrency = options.concurrency;
  result.load_average_start = ReadLoadAverage();
  std::vector<std::unique_ptr<QueryClient>> clients;
  for (int i = 0; i < options.concurrency; ++i) {
    auto client = NewQueryClient(options.client);
    if (!client.ok()) return client.status();
    clients.push_back(std::move(*client));
  }
  const absl::Time start = absl::Now();
  ProcessMonitor server(options.server_pid, start);
  ProcessMonitor self(static_cast<int>(getpid()), start);
  std::vector<ClientStats> stats(clients.size());
  std::vector<std::thread> threads;
  for (int i = 0; i < options.concurrency; ++i) {
    threads.emplace_back([&, i] {
      ClientLoop(*clients[static_cast<size_t>(i)], kind, i, options.concurrency,
                 start + options.duration, stats[static_cast<size_t>(i)]);
    });
  }
  for (auto& t : threads) t.join();
  server.Stop();
  self.Stop();
  absl::Time last_answer = start;
  for (const auto& s : stats) Merge(s, &result, &last_answer);
  std::sort(result.latencies_us.begin(), result.latencies_us.end());
  result.window_seconds = absl::ToDoubleSeconds(last_answer - start);
  result.server_measured = server.measured();
  result.server_cpu_seconds = server.cpu_seconds();
  result.server_rss_peak_bytes = server.rss_peak_bytes();
  result.querygen_cpu_seconds = self.cpu_seconds();
  result.load_average_end = ReadLoadAverage();
  return result;
}

nlohmann::json KindResultJson(const QueryKindResult& r) {
  nlohmann::json errors = nlohmann::json::object();
  for (const auto& [error, n] : r.errors) errors[error] = n;
  nlohmann::json j = {
      {"kind", r.kind},
      {"concurrency", r.concurrency},
      {"window_s", r.window_seconds},
      {"requests", r.requests},
      {"ok", r.ok},
      {"missing_expected_trace", r.missing},
      {"errors", errors},
      {"requests_per_s", PerSecond(static_cast<double>(r.requests), r.window_seconds)},
      {"mean_response_bytes",
       r.requests > 0 ? static_cast<double>(r.response_bytes) / static_cast<double>(r.requests)
                      : 0},
      {"latency_ms",
       {{"p50", PercentileMs(r.latencies_us, 50)},
        {"p99", PercentileMs(r.latencies_us, 99)},
        {"p999", PercentileMs(r.latencies_us, 99.9)},
        {"max", PercentileMs(r.latencies_us, 100)}}},
      {"querygen_cpu_percent", 100 * PerSecond(r.querygen_cpu_seconds, r.window_seconds)},
      {"load_average", {{"start", r.load_average_start}, {"end", r.load_average_end}}},
  };
  if (r.server_measured) {
    j["server"] = {
        {"cpu_percent", 100 * PerSecond(r.server_cpu_seconds, r.window_seconds)},
        {"rss_peak_mib", static_cast<double>(r.server_rss_peak_bytes) / (1 << 20)},
    };
  }
  return j;
}

std::string FormatTable(const std::vector<QueryKindResult>& results) {
  std::string out = absl::StrFormat("%-16s %4s %8s %8s %7s %8s %8s %8s %8s %8s %7s %8s\n", "kind",
                                    "conc", "requests", "req/s", "errors", "p50 ms", "p99 ms",
                                    "p99.9 ms", "max ms", "KiB/resp", "srv cpu", "rss MiB");
  for (const auto& r : results) {
    nlohmann::json j = KindResultJson(r);
    const bool s = r.server_measured;
    absl::StrAppendFormat(
        &out, "%-16s %4d %8d %8.1f %7d %8.2f %8.2f %8.2f %8.2f %8.1f %6.0f%% %8.0f\n", r.kind,
        r.concurrency, r.requests, j["requests_per_s"].get<double>(), r.requests - r.ok,
        j["latency_ms"]["p50"].get<double>(), j["latency_ms"]["p99"].get<double>(),
        j["latency_ms"]["p999"].get<double>(), j["latency_ms"]["max"].get<double>(),
        j["mean_response_bytes"].get<double>() / 1024,
        s ? j["server"]["cpu_percent"].get<double>() : 0.0,
        s ? j["server"]["rss_peak_mib"].get<double>() : 0.0);
  }
  for (const auto& r : results) {
    for (const auto& [error, n] : r.errors) {
      absl::StrAppendFormat(&out, "errors %s c%d: %s x%d\n", r.kind, r.concurrency, error, n);
    }
    if (r.missing > 0) {
      absl::StrAppendFormat(&out, "errors %s c%d: %d answers without their trace\n", r.kind,
                            r.concurrency, r.missing);
    }
  }
  return out;
}

}  // namespace spanvault::bench
