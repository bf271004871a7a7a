#pragma once

// ClientWindow: request and error counts per client over a sliding time window, with a bounded
// number of distinct clients (the per-client gauges of /metrics; docs/client_metrics.md).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace spanvault::spanmetrics {

// The client label that gathers every client outside the top N (and the overflow).
inline constexpr char kOtherClient[] = "other";

struct ClientCounts {
  uint64_t requests = 0;
  uint64_t errors = 0;
};

// One client's counts in the window; `client` is kOtherClient for the rest.
struct ClientStat {
  std::string client;
  ClientCounts counts;
};

// Counts per client in kSlices time slices of window/kSlices each; a slice older than the
// window is cleared when its slot is reused, so the window slides by a tenth of itself. Each
// slice holds at most `max_clients` distinct clients: a client first seen in a full slice is
// counted in that slice's overflow, which reads as "other". Memory is thus bounded by
// kSlices * max_clients entries of at most one (truncated) client id each.
// Not thread-safe; the owner locks.
class ClientWindow {
 public:
  static constexpr int kSlices = 10;

  // `window` >= kSlices nanoseconds; `max_clients` >= 1.
  ClientWindow(absl::Duration window, size_t max_clients);

  // Counts one request of `client` at `now` (an error when `error`).
  void Add(std::string_view client, bool error, absl::Time now);

  // The `top` clients with the most requests in the window ending at `now` (ties by client
  // id), then one kOtherClient entry (always present) with the rest and the overflow.
  std::vector<ClientStat> Top(size_t top, absl::Time now) const;

  // Distinct clients held in all slices (the memory bound's measure).
  size_t TrackedClients() const;

 private:
  struct Slice {
    int64_t index = -1;  // slice number since the epoch; -1: never used
    absl::flat_hash_map<std::string, ClientCounts> clients;
    ClientCounts overflow;
  };

  int64_t SliceIndex(absl::Time t) const;

  const absl::Duration slice_width_;
  const size_t max_clients_;
  std::array<Slice, kSlices> slices_;
};

}  // namespace spanvault::spanmetrics
