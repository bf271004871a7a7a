// The read side of JourneyTap: one journey, lists by status, and the stuck count.

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "journeys/journey_codec.h"
#include "journeys/journey_tap.h"

namespace spanvault::journeys {
namespace {

constexpr size_t kScanPage = 512;
// The most index entries one list or stuck count reads per status.
constexpr size_t kMaxScan = 100000;
// A read that overlaps a flush is retried; flushes come every few seconds.
constexpr int kReadAttempts = 5;

absl::Status Busy() {
  return absl::UnavailableError("the journeys are being written; retry the query");
}

absl::Status UnknownFlow(const std::string& flow) {
  return absl::NotFoundError(absl::StrCat("unknown flow \"", flow, "\""));
}

// The settled statuses whose index can hold journeys of `status`.
std::vector<char> SettledFor(std::optional<JourneyStatus> status) {
  if (!status) return {'o', 'c', 'f'};
  switch (*status) {
    case JourneyStatus::kCompleted:
      return {'c'};
    case JourneyStatus::kFailed:
      return {'f'};
    default:
      return {'o'};
  }
}

// Calls `each(entry, value)` for the entries of `prefix` (newest first) updated at or after
// `since`, until it returns false or kMaxScan entries were read.
absl::Status ScanStatus(
    KvStore& store, const std::string& prefix, absl::Time since,
    const std::function<bool(const codec::StatusEntry&, const std::string&)>& each) {
  std::string from = prefix;
  size_t scanned = 0;
  while (true) {
    auto page = store.ScanPage(prefix, from, kScanPage);
    if (!page.ok()) return page.status();
    for (const auto& [key, value] : *page) {
      auto entry = codec::DecodeStatusKey(prefix, key);
      if (!entry.ok()) return entry.status();
      if (entry->updated < since || ++scanned > kMaxScan) return absl::OkStatus();
      if (!each(*entry, value)) return absl::OkStatus();
    }
    if (page->size() < kScanPage) return absl::OkStatus();
    from = page->back().first + '\0';
  }
}

bool Matches(const Journey& j, const JourneyFilter& filter) {
  if (j.state.updated < filter.since) return false;
  return !filter.status || j.verdict.status == *filter.status;
}

}  // namespace

absl::StatusOr<Journey> JourneyTap::GetJourney(const std::string& flow, const std::string& key) {
  auto f = FlowIndex(flow);
  if (!f) return UnknownFlow(flow);
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    std::optional<JourneyState> pending;
    uint64_t epoch = 0;
    {
      absl::MutexLock lock(&mu_);
      epoch = AwaitQuietLocked();
      if (auto it = deltas_.find({*f, key}); it != deltas_.end()) pending = it->second;
    }
    auto stored = ReadStored(*f, key);
    if (!stored.ok()) return stored.status();
    {
      absl::MutexLock lock(&mu_);
      if (epoch_ != epoch) continue;  // a flush moved memory into the store meanwhile
    }
    JourneyState state = stored->value_or(JourneyState());
    if (pending) state.Merge(*pending);
    // A key that reached no step (another system's id under the same attribute) is no journey.
    if (state.steps.empty()) return absl::NotFoundError("no journey with this key");
    Verdict verdict = Evaluate(flows_[*f], state, clock_.Now());
    return Journey{flow, key, std::move(state), std::move(verdict)};
  }
  return Busy();
}

absl::StatusOr<std::vector<Journey>> JourneyTap::JourneysOfTrace(std::string_view trace_id) {
  std::vector<std::pair<size_t, std::string>> keys;  // (flow index, key)
  {
    absl::MutexLock lock(&mu_);
    for (size_t f = 0; f < membership_.size(); ++f) {
      if (const std::string* key = membership_[f].KeyOfTrace(trace_id)) keys.emplace_back(f, *key);
    }
  }
  std::vector<Journey> out;
  for (const auto& [f, key] : keys) {
    auto journey = GetJourney(flows_[f].name, key);
    if (absl::IsNotFound(journey.status())) continue;  // its spans are not counted yet
    if (!journey.ok()) return journey.status();
    out.push_back(std::move(*journey));
  }
  return out;
}

absl::StatusOr<std::vector<Journey>> JourneyTap::ListJourneys(const std::string& flow,
                                                              const JourneyFilter& filter) {
  auto f = FlowIndex(flow);
  if (!f) return UnknownFlow(flow);
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    std::map<std::string, JourneyState> pending;
    uint64_t epoch = 0;
    {
      absl::MutexLock lock(&mu_);
      epoch = AwaitQuietLocked();
      for (auto it = deltas_.lower_bound({*f, ""}); it != deltas_.end() && it->first.first == *f;
           ++it) {
        pending.emplace(it->first.second, it->second);
      }
    }
    auto found = Candidates(*f, filter, pending, clock_.Now());
    if (!found.ok()) return found.status();
    absl::MutexLock lock(&mu_);
    if (epoch_ != epoch) continue;
    return found;
  }
  return Busy();
}

absl::StatusOr<std::vector<Journey>> JourneyTap::Candidates(
    size_t f, const JourneyFilter& filter, const std::map<std::string, JourneyState>& pending,
    absl::Time now) {
  const Flow& flow = flows_[f];
  std::vector<Journey> out;
  auto add = [&](const std::string& key, std::optional<JourneyState> stored,
                 const JourneyState* delta) {
    JourneyState state = stored.value_or(JourneyState());
    if (delta != nullptr) state.Merge(*delta);
    if (state.steps.empty()) return;  // not an instance of the flow (yet)
    Journey j{flow.name, key, std::move(state), {}};
    j.verdict = Evaluate(flow, j.state, now);
    if (Matches(j, filter)) out.push_back(std::move(j));
  };
  std::vector<std::string> listed;
  for (char settled : SettledFor(filter.status)) {
    size_t matched = 0;
    absl::Status s = ScanStatus(store_, codec::StatusPrefix(flow.name, settled), filter.since,
                                [&](const codec::StatusEntry& entry, const std::string& value) {
                                  if (pending.contains(entry.key)) return true;  // merged below
                                  if (settled == 'o' && filter.status) {
                                    auto deadline = codec::DecodeDeadline(value);
                                    bool stuck = deadline && now > *deadline;
                                    if (stuck != (*filter.status == JourneyStatus::kStuck))
                                      return true;
                                  }
                                  listed.push_back(entry.key);
                                  return ++matched < filter.limit;
                                });
    if (!s.ok()) return s;
  }
  for (const std::string& key : listed) {
    auto stored = ReadStored(f, key);
    if (!stored.ok()) return stored.status();
    if (*stored) add(key, *std::move(*stored), nullptr);  // absent: deleted meanwhile
  }
  for (const auto& [key, delta] : pending) {
    auto stored = ReadStored(f, key);
    if (!stored.ok()) return stored.status();
    add(key, *std::move(stored), &delta);
  }
  std::sort(out.begin(), out.end(), [](const Journey& a, const Journey& b) {
    if (a.state.updated != b.state.updated) return a.state.updated > b.state.updated;
    return a.key < b.key;
  });
  if (out.size() > filter.limit) out.resize(filter.limit);
  return out;
}

absl::Status JourneyTap::CountStuck() {
  absl::MutexLock scan(&scan_mu_);
  absl::Time now = clock_.Now();
  const absl::Time window_start = now - options_.share_window;
  for (size_t f = 0; f < flows_.size(); ++f) {
    std::set<std::string> stuck;
    size_t recent = 0, recent_stuck = 0;  // updated within the share window
    absl::Status s =
        ScanStatus(store_, codec::StatusPrefix(flows_[f].name, 'o'), now - options_.retention,
                   [&](const codec::StatusEntry& entry, const std::string& value) {
                     auto deadline = codec::DecodeDeadline(value);
                     bool is_stuck = deadline && now > *deadline;
                     if (is_stuck) stuck.insert(entry.key);
                     if (entry.updated >= window_start) {
                       ++recent;
                       recent_stuck += is_stuck;
                     }
                     return true;
                   });
    for (char settled : {'c', 'f'}) {
      if (!s.ok()) break;
      s = ScanStatus(store_, codec::StatusPrefix(flows_[f].name, settled), window_start,
                     [&](const codec::StatusEntry&, const std::string&) {
                       ++recent;
                       return true;
                     });
    }
    if (!s.ok()) return s;
    FlowMetrics& metrics = *flow_metrics_[f];
    for (const std::string& key : stuck) {
      if (!stuck_keys_[f].contains(key)) metrics.stuck.Increment();
    }
    metrics.stuck_now.store(static_cast<double>(stuck.size()));
    metrics.stuck_share.store(
        recent == 0 ? 0.0 : static_cast<double>(recent_stuck) / static_cast<double>(recent));
    stuck_keys_[f] = std::move(stuck);
  }
  return absl::OkStatus();
}

}  // namespace spanvault::journeys
