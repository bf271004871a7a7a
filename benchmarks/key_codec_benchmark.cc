// Building and reading the RocksDB store's keys (storage/rocksdb/key_codec.h).

#include "benchmark/benchmark.h"
#include "common/ids.h"
#include "storage/rocksdb/key_codec.h"

namespace spanvault::bench {
namespace {

constexpr uint64_t kStart = 1'764'000'000'123'456'789ull;
constexpr uint64_t kBucket = 1'764'000'000;

TraceId SomeTrace() { return *TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736"); }

void BM_SpanKey(benchmark::State& state) {
  TraceId trace = SomeTrace();
  std::string span_id = "\x01\x02\x03\x04\x05\x06\x07\x08";
  for (auto _ : state) benchmark::DoNotOptimize(keys::SpanKey(kBucket, trace, span_id));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SpanKey);

// An attribute index entry: prefix, then the time-ordered tail.
void BM_AttributeIndexKey(benchmark::State& state) {
  TraceId trace = SomeTrace();
  for (auto _ : state) {
    std::string prefix = keys::AttributePrefix(kBucket, "shop-api", "order_id", "ORD-00012345");
    benchmark::DoNotOptimize(keys::TimeIndexKey(prefix, kStart, trace));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AttributeIndexKey);

void BM_DurationKey(benchmark::State& state) {
  TraceId trace = SomeTrace();
  for (auto _ : state) {
    std::string prefix =
        keys::DurationPrefix(kBucket, "shop-api", "POST /api/orders", kStart / keys::kNanosPerHour);
    benchmark::DoNotOptimize(keys::DurationKey(prefix, 123'456'789, trace));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DurationKey);

// What a search does for every index entry it scans.
void BM_DecodeTimeIndexTail(benchmark::State& state) {
  std::string key = keys::TimeIndexKey(
      keys::AttributePrefix(kBucket, "shop-api", "order_id", "ORD-00012345"), kStart, SomeTrace());
  for (auto _ : state) {
    uint64_t start = 0;
    TraceId trace;
    benchmark::DoNotOptimize(keys::DecodeTimeIndexTail(key, &start, &trace));
    benchmark::DoNotOptimize(start);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeTimeIndexTail);

}  // namespace
}  // namespace spanvault::bench
