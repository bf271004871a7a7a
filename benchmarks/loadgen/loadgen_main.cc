// spanvault-loadgen: sends realistic OTLP traces to a local spanvault (or any OTLP receiver on
// this machine) over gRPC or HTTP and reports accepted spans/s, failures, latency and the
// server's CPU and memory. Loopback targets only: it is a benchmark tool, not a traffic cannon.
//
//   spanvault-loadgen --protocol grpc --target 127.0.0.1:4317 --duration 10 --concurrency 4
//   spanvault-loadgen --ports-file ports.json --protocol http --server-pid 1234 --json out.json
//
// Exit status: 0 done, 1 cannot run (unreachable, bad ports file), 2 bad flags, 3 --strict and
// no span accepted or some request failed.

#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "benchmarks/loadgen/run.h"
#include "benchmarks/loadgen/target.h"

namespace spanvault::bench {
namespace {

struct Flags {
  RunOptions run;
  WorkloadOptions workload;
  std::string target;
  std::string ports_file;
  std::string compression = "none";
  double duration_s = 10;
  double warmup_s = 0;
  double timeout_s = 10;
  int backoff_ms = 10;
  uint64_t max_spans = 0;
  std::string json_file;
  bool strict = false;
};

void AddFlags(CLI::App& app, Flags& f) {
  app.add_option("--protocol", f.run.protocol, "grpc or http (protobuf)")
      ->check(CLI::IsMember({"grpc", "http"}))
      ->capture_default_str();
  app.add_option("--target", f.target, "loopback host:port of the OTLP receiver");
  app.add_option("--ports-file", f.ports_file,
                 "spanvault's --ports-file: take the otlp_grpc/otlp_http address from it");
  app.add_option("--concurrency", f.run.concurrency, "connections, one request in flight each")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--rate", f.run.rate_spans_per_second, "target spans/s; 0 = as fast as answered")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--duration", f.duration_s, "seconds to send after the warm-up")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--warmup", f.warmup_s, "seconds sent before measuring")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--max-requests", f.run.max_requests, "hard stop after N requests (0 = none)");
  app.add_option("--max-spans", f.max_spans, "hard stop after N spans (0 = none)");
  app.add_option("--compression", f.compression, "none or gzip")
      ->check(CLI::IsMember({"none", "gzip"}))
      ->capture_default_str();
  app.add_option("--timeout", f.timeout_s, "seconds before one export times out")
      ->capture_default_str();
  app.add_option("--backoff-ms", f.backoff_ms, "pause after a retry-later answer")
      ->capture_default_str();
  app.add_option("--server-pid", f.run.server_pid, "measure this process's CPU and RSS");
  app.add_option("--json", f.json_file, "also write the figures as JSON to FILE");
  app.add_flag("--strict", f.strict, "exit 3 unless spans were accepted and no request failed");
  auto& w = f.workload;
  app.add_option("--spans-per-request", w.spans_per_request)->capture_default_str();
  app.add_option("--min-spans-per-trace", w.min_spans_per_trace)->capture_default_str();
  app.add_option("--max-spans-per-trace", w.max_spans_per_trace)->capture_default_str();
  app.add_option("--min-attributes", w.min_attributes, "attributes per span, at least")
      ->capture_default_str();
  app.add_option("--max-attributes", w.max_attributes, "attributes per span, at most")
      ->capture_default_str();
  app.add_option("--error-share", w.error_share, "share of traces with an error")
      ->capture_default_str();
  app.add_option("--templates", w.templates, "distinct encoded requests to cycle through")
      ->capture_default_str();
  app.add_option("--seed", w.seed, "workload and id seed (default: random)");
}

absl::Status Prepare(Flags& f) {
  if (f.target.empty() == f.ports_file.empty()) {
    return absl::InvalidArgumentError("give exactly one of --target and --ports-file");
  }
  std::string target = f.target;
  if (!f.ports_file.empty()) {
    auto t =
        AddressFromPortsFile(f.ports_file, f.run.protocol == "http" ? "otlp_http" : "otlp_grpc");
    if (!t.ok()) return t.status();
    target = *t;
  }
  auto loopback = LoopbackTarget(target);
  if (!loopback.ok()) return loopback.status();
  f.run.client.target = *loopback;
  f.run.client.compression = f.compression == "gzip" ? Compression::kGzip : Compression::kNone;
  f.run.client.timeout = absl::Seconds(f.timeout_s);
  f.run.duration = absl::Seconds(f.duration_s);
  f.run.warmup = absl::Seconds(f.warmup_s);
  f.run.backoff = absl::Milliseconds(f.backoff_ms);
  if (f.max_spans > 0) {
    uint64_t per = static_cast<uint64_t>(f.workload.spans_per_request);
    uint64_t by_spans = (f.max_spans + per - 1) / per;
    f.run.max_requests = f.run.max_requests > 0 ? std::min(f.run.max_requests, by_spans) : by_spans;
  }
  f.workload.base_unix_nano = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
  return f.workload.Validate();
}

int Run(int argc, char** argv) {
  Flags f;
  f.workload.seed = std::random_device{}();
  CLI::App app{"spanvault-loadgen: OTLP load for a local spanvault"};
  AddFlags(app, f);
  CLI11_PARSE(app, argc, argv);
  absl::Status prepared = Prepare(f);
  if (!prepared.ok()) {
    std::cerr << "spanvault-loadgen: " << prepared.message() << "\n";
    return 2;
  }
  auto pool = RequestPool::Create(f.workload);
  if (!pool.ok()) {
    std::cerr << "spanvault-loadgen: " << pool.status().message() << "\n";
    return 2;
  }
  auto result = RunLoad(f.run, *pool);
  if (!result.ok()) {
    std::cerr << "spanvault-loadgen: " << result.status().message() << "\n";
    return 1;
  }
  std::cout << FormatReport(f.run, *pool, *result);
  if (!f.json_file.empty()) {
    nlohmann::json j = ReportJson(f.run, *pool, *result);
    j["command"] = absl::StrJoin(argv, argv + argc, " ");
    j["seed"] = f.workload.seed;
    std::ofstream(f.json_file) << j.dump(2) << "\n";
  }
  bool failed = result->spans_accepted == 0 || result->requests_ok != result->requests_sent;
  return f.strict && failed ? 3 : 0;
}

}  // namespace
}  // namespace spanvault::bench

int main(int argc, char** argv) { return spanvault::bench::Run(argc, argv); }
