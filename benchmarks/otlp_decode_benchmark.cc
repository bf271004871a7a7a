// Decoding OTLP export requests: protobuf (heap and arena), OTLP/JSON, and validation.

#include "benchmark/benchmark.h"
#include "benchmarks/bench_data.h"
#include "collector/otlp_validate.h"
#include "common/otlp_json.h"
#include "google/protobuf/arena.h"

namespace spanvault::bench {
namespace {

void SetSpanCounters(benchmark::State& state, int64_t spans_per_iteration, size_t bytes) {
  state.SetItemsProcessed(state.iterations() * spans_per_iteration);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}

// A protobuf request as the receivers parse it: a new heap message per request.
void BM_OtlpProtobufParse(benchmark::State& state) {
  const int spans = static_cast<int>(state.range(0));
  std::string bytes = SampleEncodedRequests(1, spans)[0];
  for (auto _ : state) {
    ExportRequest request;
    benchmark::DoNotOptimize(request.ParseFromString(bytes));
  }
  SetSpanCounters(state, spans, bytes.size());
}
BENCHMARK(BM_OtlpProtobufParse)->Arg(100)->Arg(1000);

// The same into an arena: what a receiver could save by parsing into one.
void BM_OtlpProtobufParseArena(benchmark::State& state) {
  const int spans = static_cast<int>(state.range(0));
  std::string bytes = SampleEncodedRequests(1, spans)[0];
  for (auto _ : state) {
    google::protobuf::Arena arena;
    auto* request = google::protobuf::Arena::CreateMessage<ExportRequest>(&arena);
    benchmark::DoNotOptimize(request->ParseFromString(bytes));
  }
  SetSpanCounters(state, spans, bytes.size());
}
BENCHMARK(BM_OtlpProtobufParseArena)->Arg(100)->Arg(1000);

// OTLP/JSON (hex ids, as SDKs send http/json) to the protobuf message.
void BM_OtlpJsonDecode(benchmark::State& state) {
  const int spans = static_cast<int>(state.range(0));
  otlp::TracesData data;
  data.ParseFromString(SampleEncodedRequests(1, spans)[0]);  // same wire shape as the request
  std::string json = TracesDataToJson(data).dump();
  for (auto _ : state) {
    ExportRequest request;
    absl::Status s = DecodeOtlpJson(json, &request);
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
  }
  SetSpanCounters(state, spans, json.size());
}
BENCHMARK(BM_OtlpJsonDecode)->Arg(100);

// The receivers' checks on a decoded request (ids, attribute sizes).
void BM_ValidateExportRequest(benchmark::State& state) {
  ExportRequest request = SampleRequests(1, 100)[0];
  ValidationLimits limits;
  for (auto _ : state) {
    ValidationResult result = ValidateExportRequest(limits, &request);
    benchmark::DoNotOptimize(result.accepted_spans);
  }
  SetSpanCounters(state, 100, request.ByteSizeLong());
}
BENCHMARK(BM_ValidateExportRequest);

}  // namespace
}  // namespace spanvault::bench
