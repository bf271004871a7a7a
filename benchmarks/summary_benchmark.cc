// Per-trace summaries (storage/trace_records.h): built per span on ingest, merged by the
// RocksDB merge operator.

#include "absl/container/flat_hash_map.h"
#include "benchmark/benchmark.h"
#include "benchmarks/bench_data.h"
#include "storage/trace_records.h"

namespace spanvault::bench {
namespace {

// What the store does for every span of a request: one summary per trace.
void BM_AddSpanToSummary(benchmark::State& state) {
  ExportRequest request = SampleRequests(1, 100)[0];
  std::vector<std::string> services;
  for (const auto& rs : request.resource_spans()) services.push_back(ServiceName(rs.resource()));
  for (auto _ : state) {
    absl::flat_hash_map<std::string, SummaryRecord> summaries;
    for (int i = 0; i < request.resource_spans_size(); ++i) {
      for (const auto& ss : request.resource_spans(i).scope_spans()) {
        for (const auto& span : ss.spans()) {
          AddSpanToSummary(services[static_cast<size_t>(i)], span, &summaries[span.trace_id()]);
        }
      }
    }
    benchmark::DoNotOptimize(summaries);
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_AddSpanToSummary);

// Merging two partial summaries of one trace (3 services each, 2 shared).
void BM_MergeSummary(benchmark::State& state) {
  otlp::TracesData trace = SampleTrace(40);
  SummaryRecord a, b;
  int n = 0;
  for (const auto& rs : trace.resource_spans()) {
    std::string service = ServiceName(rs.resource());
    for (const auto& span : rs.scope_spans(0).spans())
      AddSpanToSummary(service, span, (n++ % 2) ? &a : &b);
  }
  for (auto _ : state) {
    SummaryRecord into = b;
    MergeSummary(a, &into);
    benchmark::DoNotOptimize(into);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MergeSummary);

}  // namespace
}  // namespace spanvault::bench
