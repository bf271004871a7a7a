#include "spanmetrics/client_window.h"

#include <algorithm>

#include "absl/strings/string_view.h"

namespace spanvault::spanmetrics {

ClientWindow::ClientWindow(absl::Duration window, size_t max_clients)
    : slice_width_(std::max(window / kSlices, absl::Nanoseconds(1))),
      max_clients_(std::max<size_t>(max_clients, 1)) {}

int64_t ClientWindow::SliceIndex(absl::Time t) const {
  absl::Duration rem;  // this Abseil writes the remainder unconditionally
  return absl::IDivDuration(t - absl::UnixEpoch(), slice_width_, &rem);
}

void ClientWindow::Add(std::string_view client, bool error, absl::Time now) {
  int64_t index = SliceIndex(now);
  Slice& slice = slices_[static_cast<size_t>(((index % kSlices) + kSlices) % kSlices)];
  if (slice.index < index) {
    slice.index = index;
    slice.clients.clear();
    slice.overflow = {};
  }
  // A clock that stepped back counts in the newer slice that holds the slot.
  ClientCounts* counts = &slice.overflow;
  auto it = slice.clients.find(absl::string_view(client.data(), client.size()));
  if (it != slice.clients.end()) {
    counts = &it->second;
  } else if (slice.clients.size() < max_clients_) {
    counts = &slice.clients[std::string(client)];
  }
  ++counts->requests;
  if (error) ++counts->errors;
}

std::vector<ClientStat> ClientWindow::Top(size_t top, absl::Time now) const {
  int64_t newest = SliceIndex(now);
  absl::flat_hash_map<std::string, ClientCounts> merged;
  ClientStat other{kOtherClient, {}};
  for (const Slice& slice : slices_) {
    if (slice.index < 0 || slice.index <= newest - kSlices || slice.index > newest) continue;
    for (const auto& [client, counts] : slice.clients) {
      ClientCounts& sum = merged[client];
      sum.requests += counts.requests;
      sum.errors += counts.errors;
    }
    other.counts.requests += slice.overflow.requests;
    other.counts.errors += slice.overflow.errors;
  }
  std::vector<ClientStat> all;
  all.reserve(merged.size() + 1);
  for (auto& [client, counts] : merged) all.push_back({client, counts});
  auto busier = [](const ClientStat& a, const ClientStat& b) {
    if (a.counts.requests != b.counts.requests) return a.counts.requests > b.counts.requests;
    return a.client < b.client;
  };
  size_t kept = std::min(top, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<ptrdiff_t>(kept), all.end(), busier);
  for (size_t i = kept; i < all.size(); ++i) {
    other.counts.requests += all[i].counts.requests;
    other.counts.errors += all[i].counts.errors;
  }
  all.resize(kept);
  all.push_back(std::move(other));
  return all;
}

size_t ClientWindow::TrackedClients() const {
  size_t n = 0;
  for (const Slice& slice : slices_) n += slice.clients.size();
  return n;
}

}  // namespace spanvault::spanmetrics
