// The audit log's appends, what every query pays, on the store's RocksDB audit column with its
// synced writes (OpenRocksDb, unencrypted). `shared_syncs` is the log as it is: callers that
// come while a write is in flight share the next one (group commit). `one_at_a_time` holds a
// lock around each Append, as the log did before: one synced write per record. The ratio at
// the same thread count is what sharing the syncs buys; at 1 thread they should match.

#include <filesystem>
#include <memory>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "auth/audit_log.h"
#include "benchmark/benchmark.h"
#include "common/clock.h"
#include "storage/rocksdb/db.h"
#include "storage/rocksdb/kv_column.h"

namespace spanvault::bench {
namespace {

struct Audit {
  std::string dir;
  std::unique_ptr<RocksDb> db;
  std::unique_ptr<RocksKvStore> kv;
  std::unique_ptr<AuditLog> log;
  absl::Mutex one_at_a_time;
};

// Set up by thread 0 before the timed loop, which every thread starts together.
Audit* audit = nullptr;

absl::Status Open(Audit& a) {
  std::mt19937_64 rng(std::random_device{}());
  a.dir =
      (std::filesystem::temp_directory_path() / absl::StrCat("sv-audit-bench-", rng())).string();
  RocksDbOptions options;
  options.testing_no_encryption = true;
  auto db = OpenRocksDb(a.dir + "/traces", options);
  if (!db.ok()) return db.status();
  a.db = *std::move(db);
  a.kv = std::make_unique<RocksKvStore>(*a.db->db, a.db->audit, "audit records");
  a.log = std::make_unique<AuditLog>(*a.kv, RealClock::Get());
  return a.log->Load();
}

AuditRecord Record() {
  AuditRecord r;
  r.principal = "support-ann";
  r.roles = {"support"};
  r.remote_address = "10.20.0.7:53122";
  r.api = "query_http GET /api/traces";
  r.action = "traces:read";
  r.params = R"({"service":"mes-api","tags":"{\"order_id\":\"A-1001\"}","limit":"20"})";
  r.result_count = 1;
  r.latency = absl::Microseconds(1800);
  return r;
}

void BM_AuditAppend(benchmark::State& state, bool one_at_a_time) {
  if (state.thread_index() == 0) {
    audit = new Audit;
    absl::Status s = Open(*audit);
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
  }
  for (auto _ : state) {
    if (audit->log == nullptr) {
      state.SkipWithError("the audit log did not open");
      break;
    }
    absl::Status s;
    if (one_at_a_time) {
      absl::MutexLock lock(&audit->one_at_a_time);
      s = audit->log->Append(Record());
    } else {
      s = audit->log->Append(Record());
    }
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    std::string dir = audit->dir;
    delete audit;
    audit = nullptr;
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
}
BENCHMARK_CAPTURE(BM_AuditAppend, shared_syncs, false)
    ->Threads(1)
    ->Threads(4)
    ->Threads(8)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_AuditAppend, one_at_a_time, true)
    ->Threads(1)
    ->Threads(4)
    ->Threads(8)
    ->UseRealTime();

}  // namespace
}  // namespace spanvault::bench
