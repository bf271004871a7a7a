// Index entries of a request (storage/rocksdb/index_builder.h), with the default indexed
// attributes.

#include "absl/container/flat_hash_set.h"
#include "benchmark/benchmark.h"
#include "benchmarks/bench_data.h"
#include "server/config.h"
#include "storage/rocksdb/index_builder.h"

namespace spanvault::bench {
namespace {

void BM_IndexBuilder(benchmark::State& state) {
  ExportRequest request = SampleRequests(1, 100)[0];
  auto defaults = DefaultIndexedAttributes();
  absl::flat_hash_set<std::string> indexed(defaults.begin(), defaults.end());
  int64_t entries = 0;
  for (auto _ : state) {
    IndexBuilder builder(indexed);
    for (const auto& rs : request.resource_spans()) {
      std::string service = ServiceName(rs.resource());
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& span : ss.spans()) {
          builder.AddSpan(/*bucket=*/1'764'000'000, *TraceId::FromBytes(span.trace_id()), service,
                          rs.resource(), span);
        }
      }
    }
    entries = 0;
    builder.ForEach([&](const std::string& key, const std::string& value) {
      benchmark::DoNotOptimize(key);
      ++entries;
    });
  }
  state.SetItemsProcessed(state.iterations() * 100);
  state.counters["entries_per_span"] = static_cast<double>(entries) / 100;
}
BENCHMARK(BM_IndexBuilder);

}  // namespace
}  // namespace spanvault::bench
