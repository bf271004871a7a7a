#pragma once

// MemoryLimiter: ingest admission under --memory-limit. Two rules, both answered "retry later"
// (kUnavailable: HTTP 503 with Retry-After, gRPC UNAVAILABLE with RetryInfo), so exporters back
// off and retry instead of losing spans:
//   1. the process's resident memory, sampled every `interval`, is above `soft_fraction` of
//      the limit (freed heap is first handed back to the system with malloc_trim);
//   2. the export requests already admitted and not yet answered (parsed, validated, queued
//      for the store) weigh more than a quarter of the limit; a request weighs
//      kParseFactor times its decoded body, a rough cost of its parsed form.
// The rest of the limit is for RocksDB (memtables and block cache are budgeted from it) and
// the server itself.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/metrics.h"

namespace spanvault {

struct MemoryLimiterOptions {
  // The budget of the whole process in bytes. Required (> 0).
  uint64_t limit_bytes = uint64_t{1} << 30;
  // Resident memory above this share of the limit refuses new exports. Default: 0.85.
  double soft_fraction = 0.85;
  // How often resident memory is sampled. Default: 100 ms.
  absl::Duration interval = absl::Milliseconds(100);
  // The resident set size in bytes; default: /proc/self/statm. Tests give their own.
  std::function<uint64_t()> read_rss;
  // Hands freed heap back to the system; default: malloc_trim(0). Tests give their own.
  std::function<void()> trim;
};

// Thread-safe.
class MemoryLimiter {
 public:
  // A parsed request costs about this many times its decoded size while it is in memory.
  static constexpr uint64_t kParseFactor = 4;

  // Holds an admitted request's weight until destroyed (when the request is answered).
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept : owner_(other.owner_), weight_(other.weight_) {
      other.owner_ = nullptr;
    }
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { Release(); }

   private:
    friend class MemoryLimiter;
    Ticket(MemoryLimiter* owner, uint64_t weight) : owner_(owner), weight_(weight) {}
    void Release();

    MemoryLimiter* owner_ = nullptr;
    uint64_t weight_ = 0;
  };

  // Registers spanvault_memory_rss_bytes, spanvault_memory_in_flight_bytes,
  // spanvault_memory_limit_bytes and
  // spanvault_memory_refusals_total{receiver,rule} (rule: rss or in_flight) in `metrics`.
  MemoryLimiter(MemoryLimiterOptions options, MetricsRegistry& metrics);
  ~MemoryLimiter();
  MemoryLimiter(const MemoryLimiter&) = delete;
  MemoryLimiter& operator=(const MemoryLimiter&) = delete;

  // Samples now, then every `interval` on a thread of its own.
  void Start();
  void Shutdown();

  // Samples resident memory once (what the thread does every interval).
  void Sample() ABSL_LOCKS_EXCLUDED(mu_);

  // Admits a request to `receiver` whose decoded body is `request_bytes`, or answers
  // kUnavailable naming the rule that refused it.
  absl::StatusOr<Ticket> Admit(const std::string& receiver, uint64_t request_bytes);

  uint64_t rss_bytes() const { return rss_.load(std::memory_order_relaxed); }
  uint64_t in_flight_weight() const { return in_flight_.load(std::memory_order_relaxed); }

 private:
  void Run();

  const MemoryLimiterOptions options_;
  const uint64_t soft_bytes_;
  const uint64_t in_flight_budget_;
  CounterFamily& refusals_;
  std::atomic<uint64_t> rss_{0};
  std::atomic<uint64_t> in_flight_{0};
  absl::Mutex mu_;  // serializes Sample
  bool over_ ABSL_GUARDED_BY(mu_) = false;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace spanvault
