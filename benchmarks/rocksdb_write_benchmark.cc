// RocksDB's own write rate for the rows spanvault writes: the same-run baseline of the ingest
// benchmark (benchmarks/run-ingest).
//
// The key-values are built before timing, with the store's own code (key_codec.h,
// IndexBuilder, AddSpanToSummary, the resource and span records), laid out exactly as the
// store's BatchBuilder::AddSpans lays out kept spans: per span one span row and its index
// entries, per trace a resource row and a summary merge operand, per new operation a catalogue
// row. The timed loop only fills a rocksdb::WriteBatch per request (or group of requests) and
// writes it with the WAL on and sync off, on a database opened with the store's options
// (OpenRocksDb), unencrypted. What spanvault does around that (receive, decode, validate, the
// retry check, building the rows, encryption) is what the ratio store / raw RocksDB measures.
//
// Keep the layout in step with storage/rocksdb/batch_builder.cc.

#include <filesystem>
#include <random>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "benchmarks/bench_data.h"
#include "rocksdb/write_batch.h"
#include "server/config.h"
#include "storage/rocksdb/db.h"
#include "storage/rocksdb/index_builder.h"
#include "storage/rocksdb/key_codec.h"
#include "storage/trace_records.h"

namespace spanvault::bench {
namespace {

// One time bucket, as a day of spans lands in one.
constexpr uint64_t kBucket = 1'764'000'000;

struct Row {
  rocksdb::ColumnFamilyHandle* cf;
  std::string key;
  std::string value;
  bool merge = false;
};

struct Batch {
  std::vector<Row> rows;
  int64_t spans = 0;
};

// The rows of a group of requests, as the store's writer turns them into one WriteBatch.
class RowBuilder {
 public:
  explicit RowBuilder(const RocksDb& db) : db_(db) {
    auto defaults = DefaultIndexedAttributes();
    indexed_.insert(defaults.begin(), defaults.end());
  }

  Batch Build(const std::vector<const ExportRequest*>& group) {
    Batch out;
    IndexBuilder index(indexed_);
    absl::flat_hash_map<TraceId, SummaryRecord> summaries;
    absl::flat_hash_set<std::string> resources;
    for (const ExportRequest* request : group) {
      for (const auto& rs : request->resource_spans()) {
        std::string service = ServiceName(rs.resource());
        for (const auto& ss : rs.scope_spans()) {
          std::string resource = MakeResourceRecord(rs, ss).SerializeAsString();
          uint64_t resource_key = ResourceRecordKey(resource);
          for (const auto& span : ss.spans()) {
            TraceId trace = *TraceId::FromBytes(span.trace_id());
            std::string rkey = keys::ResourceKey(kBucket, trace, resource_key);
            if (resources.insert(rkey).second) out.rows.push_back({db_.spans, rkey, resource});
            SpanRecord record;
            record.set_resource_key(resource_key);
            *record.mutable_span() = span;
            out.rows.push_back({db_.spans, keys::SpanKey(kBucket, trace, span.span_id()),
                                record.SerializeAsString()});
            AddSpanToSummary(service, span, &summaries[trace]);
            index.AddSpan(kBucket, trace, service, rs.resource(), span);
            std::string catalog = keys::CatalogKey(service, span.name(), span.kind());
            if (catalog_.insert(catalog).second) out.rows.push_back({db_.catalog, catalog, ""});
            ++out.spans;
          }
        }
      }
    }
    for (const auto& [trace, summary] : summaries) {
      out.rows.push_back(
          {db_.summaries, keys::TracePrefix(kBucket, trace), summary.SerializeAsString(), true});
    }
    index.ForEach([&](const std::string& key, const std::string& value) {
      out.rows.push_back({db_.index, key, value});
    });
    return out;
  }

 private:
  const RocksDb& db_;
  absl::flat_hash_set<std::string> indexed_;
  absl::flat_hash_set<std::string> catalog_;
};

std::string TempDir() {
  std::mt19937_64 rng(std::random_device{}());
  auto dir = std::filesystem::temp_directory_path() / absl::StrCat("sv-rocksdb-bench-", rng());
  std::filesystem::create_directories(dir);
  return dir.string();
}

// Args: spans per WriteBatch (one request = 100), total spans written.
void BM_RocksDbWrite(benchmark::State& state) {
  const int batch_spans = static_cast<int>(state.range(0));
  const int total_spans = static_cast<int>(state.range(1));
  const int per_request = std::min(batch_spans, 100);
  const std::string dir = TempDir();
  {
    RocksDbOptions db_options;
    // RocksDB's own rate: no encryption (the store's figure includes it; the encryption
    // provider gets its own benchmark).
    db_options.testing_no_encryption = true;
    auto db = OpenRocksDb(dir + "/traces", db_options);
    if (!db.ok()) {
      state.SkipWithError(std::string(db.status().message()).c_str());
      return;
    }
    RowBuilder builder(**db);
    std::vector<Batch> batches;
    std::vector<std::string> encoded =
        SampleEncodedRequests(total_spans / per_request, per_request);
    int64_t rows = 0, bytes = 0;
    for (size_t i = 0; i < encoded.size();) {
      std::vector<ExportRequest> requests(static_cast<size_t>(batch_spans / per_request));
      std::vector<const ExportRequest*> group;
      for (auto& r : requests) {
        if (i < encoded.size()) r.ParseFromString(encoded[i++]);
        group.push_back(&r);
      }
      batches.push_back(builder.Build(group));
      for (const Row& row : batches.back().rows)
        bytes += static_cast<int64_t>(row.key.size() + row.value.size());
      rows += static_cast<int64_t>(batches.back().rows.size());
    }
    encoded.clear();
    rocksdb::WriteOptions write;  // WAL on, no fsync: the store's default
    size_t next = 0;
    int64_t spans = 0;
    for (auto _ : state) {
      const Batch& b = batches[next++ % batches.size()];
      rocksdb::WriteBatch wb;
      for (const Row& row : b.rows) {
        if (row.merge) {
          wb.Merge(row.cf, row.key, row.value);
        } else {
          wb.Put(row.cf, row.key, row.value);
        }
      }
      rocksdb::Status s = (*db)->db->Write(write, &wb);
      if (!s.ok()) state.SkipWithError(s.ToString().c_str());
      spans += b.spans;
    }
    state.SetItemsProcessed(spans);
    state.counters["rows_per_span"] = static_cast<double>(rows) / total_spans;
    state.counters["bytes_per_span"] = static_cast<double>(bytes) / total_spans;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
// One pass over the prepared rows: every key is written once. 300k spans take about as long as
// a loadgen run of a few seconds.
BENCHMARK(BM_RocksDbWrite)
    ->Args({100, 300000})
    ->Iterations(3000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_RocksDbWrite)
    ->Args({1000, 300000})
    ->Iterations(300)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace spanvault::bench
