#include "collector/memory_limiter.h"

#include <malloc.h>
#include <unistd.h>

#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace spanvault {

namespace {

// Resident set size from /proc/self/statm (second field, in pages); 0 if unreadable.
uint64_t ReadProcRss() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

uint64_t MiB(uint64_t bytes) { return bytes >> 20; }

// `options` with the defaults filled in: the process's own RSS and malloc_trim.
MemoryLimiterOptions WithDefaults(MemoryLimiterOptions options) {
  if (!options.read_rss) options.read_rss = ReadProcRss;
  if (!options.trim) options.trim = [] { malloc_trim(0); };
  return options;
}

}  // namespace

MemoryLimiter::Ticket& MemoryLimiter::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = other.owner_;
    weight_ = other.weight_;
    other.owner_ = nullptr;
  }
  return *this;
}

void MemoryLimiter::Ticket::Release() {
  if (owner_ != nullptr) owner_->in_flight_.fetch_sub(weight_, std::memory_order_relaxed);
  owner_ = nullptr;
}

MemoryLimiter::MemoryLimiter(MemoryLimiterOptions options, MetricsRegistry& metrics)
    : options_(WithDefaults(std::move(options))),
      soft_bytes_(static_cast<uint64_t>(static_cast<double>(options_.limit_bytes) *
                                        options_.soft_fraction)),
      in_flight_budget_(options_.limit_bytes / 4),
      refusals_(metrics.AddCounter("spanvault_memory_refusals_total",
                                   "Export requests refused under --memory-limit, by rule.",
                                   {"receiver", "rule"})) {
  metrics.AddGauge("spanvault_memory_rss_bytes", "Resident memory, as last sampled.",
                   [this] { return static_cast<double>(rss_bytes()); });
  metrics.AddGauge(
      "spanvault_memory_in_flight_bytes",
      "Decoded bytes of the export requests admitted and not yet answered.",
      [this] { return static_cast<double>(in_flight_weight() / kParseFactor); });
  metrics.AddGauge("spanvault_memory_limit_bytes", "The --memory-limit.",
                   [limit = options_.limit_bytes] { return static_cast<double>(limit); });
}

MemoryLimiter::~MemoryLimiter() { Shutdown(); }

void MemoryLimiter::Start() {
  Sample();
  thread_ = std::thread([this] { Run(); });
}

void MemoryLimiter::Shutdown() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void MemoryLimiter::Run() {
  while (!stop_.WaitForNotificationWithTimeout(options_.interval)) Sample();
}

void MemoryLimiter::Sample() {
  absl::MutexLock lock(&mu_);
  uint64_t rss = options_.read_rss();
  if (rss > soft_bytes_) {
    // Freed heap that glibc keeps would hold the process over the line with nothing in flight.
    options_.trim();
    rss = options_.read_rss();
  }
  rss_.store(rss, std::memory_order_relaxed);
  bool over = rss > soft_bytes_;
  if (over != over_) {
    // Once per change, not per request.
    if (over) {
      spdlog::warn("memory: {} MiB resident, over {} MiB of the {} MiB limit; refusing exports",
                   MiB(rss), MiB(soft_bytes_), MiB(options_.limit_bytes));
    } else {
      spdlog::info("memory: {} MiB resident, under the limit again; accepting exports", MiB(rss));
    }
    over_ = over;
  }
}

absl::StatusOr<MemoryLimiter::Ticket> MemoryLimiter::Admit(const std::string& receiver,
                                                           uint64_t request_bytes) {
  uint64_t rss = rss_bytes();
  if (rss > soft_bytes_) {
    refusals_.With({receiver, "rss"}).Increment();
    return absl::UnavailableError(absl::StrCat("memory limit: spanvault uses ", MiB(rss),
                                               " MiB of its ", MiB(options_.limit_bytes),
                                               " MiB (--memory-limit); retry later"));
  }
  uint64_t weight = request_bytes * kParseFactor;
  uint64_t before = in_flight_.fetch_add(weight, std::memory_order_relaxed);
  // One request alone is always admitted: the request size limit bounds it.
  if (before > 0 && before + weight > in_flight_budget_) {
    in_flight_.fetch_sub(weight, std::memory_order_relaxed);
    refusals_.With({receiver, "in_flight"}).Increment();
    return absl::UnavailableError(
        absl::StrCat("memory limit: ", MiB(before / kParseFactor),
                     " MiB of export requests are being processed (--memory-limit ",
                     MiB(options_.limit_bytes), " MiB); retry later"));
  }
  return Ticket(this, weight);
}

}  // namespace spanvault
