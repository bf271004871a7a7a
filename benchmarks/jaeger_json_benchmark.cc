// OTLP -> the Jaeger UI's JSON trace text, as /api/traces/{id} answers: the nlohmann::json
// document (query/jaeger_json.h, what the API used before) beside the direct renderer the API
// uses now (query/jaeger_trace_text.h), and the model conversion both start with.

#include "benchmark/benchmark.h"
#include "benchmarks/bench_data.h"
#include "query/jaeger_json.h"
#include "query/jaeger_model.h"
#include "query/jaeger_trace_text.h"

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
BENCHMARK(BM_TraceToJaegerJsonText)->Arg(10)->Arg(100);

// The response body as the API renders it now, envelope included.
void BM_JaegerTracesBody(benchmark::State& state) {
  otlp::TracesData trace = SampleTrace(static_cast<int>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    std::string body = JaegerTracesBody({&trace, 1}, {}, {}, false);
    bytes = body.size();
    benchmark::DoNotOptimize(body);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}
BENCHMARK(BM_JaegerTracesBody)->Arg(10)->Arg(100);

// The OTLP -> jaeger.api_v2 model step alone, which both renderers start with.
void BM_ToJaegerTrace(benchmark::State& state) {
  otlp::TracesData trace = SampleTrace(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(ToJaegerTrace(trace));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ToJaegerTrace)->Arg(10)->Arg(100);

}  // namespace
}  // namespace spanvault::bench
