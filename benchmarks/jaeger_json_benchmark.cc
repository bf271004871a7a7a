// OTLP -> the Jaeger UI's JSON trace model (query/jaeger_json.h), as /api/traces/{id} answers.

#include "benchmark/benchmark.h"
#include "benchmarks/bench_data.h"
#include "query/jaeger_json.h"

namespace spanvault::bench {
namespace {

void BM_TraceToJaegerJson(benchmark::State& state) {
  otlp::TracesData trace = SampleTrace(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(TraceToJaegerJson(trace));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TraceToJaegerJson)->Arg(10)->Arg(100);

// The same, serialized to the response body.
void BM_TraceToJaegerJsonText(benchmark::State& state) {
  otlp::TracesData trace = SampleTrace(static_cast<int>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    std::string body = TraceToJaegerJson(trace).dump();
    bytes = body.size();
    benchmark::DoNotOptimize(body);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}
BENCHMARK(BM_TraceToJaegerJsonText)->Arg(100);

}  // namespace
}  // namespace spanvault::bench
