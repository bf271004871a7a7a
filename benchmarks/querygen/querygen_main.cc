// spanvault-querygen: measures the Jaeger query API of a local spanvault: trace by id, search
// by service + order_id and trace summaries, each for a while with concurrent clients, and
// reports latency percentiles, errors and the server's CPU and memory. It first finds its
// targets through the API (discovery.h). Loopback targets only, like spanvault-loadgen.
//
//   spanvault-querygen --ports-file ports.json --auth-file token --concurrency 1 4 --duration 20
//
// Exit status: 0 done, 1 cannot run (unreachable, nothing found), 2 bad flags, 3 --strict and
// some query failed or answered without the trace it was after.

#include <fstream>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "benchmarks/loadgen/proc_stats.h"
#include "benchmarks/loadgen/target.h"
#include "benchmarks/querygen/query_run.h"

namespace spanvault::bench {
namespace {

struct Flags {
  std::string target;
  std::string ports_file;
  std::string auth_file;
  std::vector<int> concurrency = {1, 4};
  double duration_s = 10;
  double timeout_s = 10;
  double since_s = 3600;
  int server_pid = 0;
  std::vector<std::string> kinds;
  std::string json_file;
  bool strict = false;
  DiscoveryOptions discovery;
};

void AddFlags(CLI::App& app, Flags& f) {
  app.add_option("--target", f.target, "loopback host:port of the query HTTP listener");
  app.add_option("--ports-file", f.ports_file,
                 "spanvault's --ports-file: take the query_http address from it");
  app.add_option("--auth-file", f.auth_file,
                 "file whose first line is the Authorization header (\"Bearer svt_...\")");
  app.add_option("--concurrency", f.concurrency, "clients (connections); several: one run each")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--duration", f.duration_s, "seconds per query kind and concurrency")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--timeout", f.timeout_s, "seconds before one request times out")
      ->capture_default_str();
  app.add_option("--service", f.discovery.service, "the service searched")->capture_default_str();
  app.add_option("--newest", f.discovery.newest, "newest traces listed (trace by id, 100 spans)")
      ->capture_default_str();
  app.add_option("--since", f.since_s, "seconds back the data reaches (discovery slices it)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--slices", f.discovery.slices, "time slices listed")->capture_default_str();
  app.add_option("--per-slice", f.discovery.per_slice, "traces listed per slice")
      ->capture_default_str();
  app.add_option("--kinds", f.kinds,
                 "only these kinds: trace_by_id_100 trace_by_id search_order_id trace_summaries");
  app.add_option("--server-pid", f.server_pid, "measure this process's CPU and RSS");
  app.add_option("--json", f.json_file, "also write the figures as JSON to FILE");
  app.add_flag("--strict", f.strict,
               "exit 3 when a query failed or did not find the trace it was after");
}

// The Authorization header from the first line of `path`, kept off the command line.
absl::StatusOr<std::string> ReadAuthorization(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  }
  return std::string(absl::StripAsciiWhitespace(line));
}

absl::StatusOr<QueryClientOptions> ClientOptions(const Flags& f) {
  if (f.target.empty() == f.ports_file.empty()) {
    return absl::InvalidArgumentError("give exactly one of --target and --ports-file");
  }
  std::string target = f.target;
  if (!f.ports_file.empty()) {
    auto t = AddressFromPortsFile(f.ports_file, "query_http");
    if (!t.ok()) return t.status();
    target = *t;
  }
  QueryClientOptions options;
  auto loopback = LoopbackTarget(target);
  if (!loopback.ok()) return loopback.status();
  options.target = *loopback;
  options.timeout = absl::Seconds(f.timeout_s);
  if (!f.auth_file.empty()) {
    auto authorization = ReadAuthorization(f.auth_file);
    if (!authorization.ok()) return authorization.status();
    options.authorization = *authorization;
  }
  return options;
}

nlohmann::json DiscoveryJson(const Targets& targets, const std::vector<QueryKind>& kinds) {
  nlohmann::json paths = nlohmann::json::object();
  for (const auto& k : kinds)
    paths[k.name] = {{"targets", k.paths.size()}, {"what", k.description}};
  int64_t spans = 0;
  for (const auto& t : targets.spread) spans += t.spans;
  return {{"newest_traces", targets.newest.size()},
          {"spread_traces", targets.spread.size()},
          {"spread_mean_spans",
           targets.spread.empty() ? 0.0 : static_cast<double>(spans) / targets.spread.size()},
          {"kinds", paths}};
}

// Runs every kind at every concurrency; stops at the first that cannot connect.
absl::StatusOr<std::vector<QueryKindResult>> RunAll(const Flags& f,
                                                    const QueryClientOptions& client,
                                                    const std::vector<QueryKind>& kinds) {
  std::vector<QueryKindResult> results;
  for (int concurrency : f.concurrency) {
    for (const auto& kind : kinds) {
      if (!f.kinds.empty() &&
          std::find(f.kinds.begin(), f.kinds.end(), kind.name) == f.kinds.end()) {
        continue;
      }
      QueryRunOptions options{client, concurrency, absl::Seconds(f.duration_s), f.server_pid};
      std::cerr << "spanvault-querygen: " << kind.name << ", " << concurrency << " client(s), "
                << f.duration_s << " s\n";
      auto r = RunKind(options, kind);
      if (!r.ok()) return r.status();
      results.push_back(std::move(*r));
    }
  }
  return results;
}

int Fail(const absl::Status& s, int code) {
  std::cerr << "spanvault-querygen: " << s.message() << "\n";
  return code;
}

int Run(int argc, char** argv) {
  Flags f;
  CLI::App app{"spanvault-querygen: Jaeger query API latency of a local spanvault"};
  AddFlags(app, f);
  CLI11_PARSE(app, argc, argv);
  f.discovery.since = absl::Seconds(f.since_s);
  auto client_options = ClientOptions(f);
  if (!client_options.ok()) return Fail(client_options.status(), 2);
  auto discovery_client = NewQueryClient(*client_options);
  if (!discovery_client.ok()) return Fail(discovery_client.status(), 1);
  auto targets = Discover(**discovery_client, f.discovery, absl::Now());
  if (!targets.ok()) return Fail(targets.status(), 1);
  std::vector<QueryKind> kinds = BuildKinds(*targets, f.discovery.service);
  nlohmann::json discovery = DiscoveryJson(*targets, kinds);
  std::cout << "targets: " << discovery.dump() << "\n";
  auto results = RunAll(f, *client_options, kinds);
  if (!results.ok()) return Fail(results.status(), 1);
  std::cout << FormatTable(*results);
  if (!f.json_file.empty()) {
    nlohmann::json j = {{"command", absl::StrJoin(argv, argv + argc, " ")},
                        {"target", client_options->target},
                        {"discovery", discovery},
                        {"results", nlohmann::json::array()}};
    for (const auto& r : *results) j["results"].push_back(KindResultJson(r));
    std::ofstream(f.json_file) << j.dump(2) << "\n";
  }
  bool failed = std::any_of(results->begin(), results->end(), [](const QueryKindResult& r) {
    return r.ok != r.requests || r.missing > 0;
  });
  return f.strict && failed ? 3 : 0;
}

}  // namespace
}  // namespace spanvault::bench

int main(int argc, char** argv) { return spanvault::bench::Run(argc, argv); }
