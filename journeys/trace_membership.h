#pragma once

// TraceMembership: which business key (order) each recent trace of one flow belongs to. A
// trace belongs to a key when one of its spans carries the key attribute, or when one of its
// spans links to a span of a trace that belongs to it (the consumer side of a broken context
// propagation). Spans of a trace whose key is not known yet wait, within a bounded window,
// for a span that tells it. Memory is bounded by counts and times. Not thread-safe; the
// journey tap owns one per flow under its lock.

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "journeys/flow.h"

namespace spanvault::journeys {

struct MembershipOptions {
  // Traces whose key is remembered. Default: 200,000 (the oldest are forgotten first).
  size_t max_traces = 200000;
  // How long a trace's key is remembered after it was learned. Default: 1 h.
  absl::Duration trace_memory = absl::Hours(1);
  // Step spans of traces whose key is not known yet, held until it is. Default: 50,000.
  size_t max_waiting_spans = 50000;
  // How long such spans, and links to traces whose key is not known yet, wait. Default: 10 min.
  absl::Duration wait_window = absl::Minutes(10);
};

struct MembershipEvictions {
  uint64_t traces = 0;         // keys forgotten before trace_memory (max_traces reached)
  uint64_t waiting_spans = 0;  // waiting spans dropped, full or expired
};

// A span that counts toward the journey of `key`.
struct Counted {
  std::string key;
  JourneySpan span;
};

class TraceMembership {
 public:
  TraceMembership(MembershipOptions options, std::string key_attribute)
      : options_(options), key_attribute_(std::move(key_attribute)) {}

  // Adds a span that arrived at `now`; appends to `out` every span that now counts toward a
  // journey (this one, and waiting spans its trace's key releases). `step_span`: the span
  // matches a step of the flow (only those wait for their trace's key).
  void Add(const JourneySpan& span, bool step_span, absl::Time now, std::vector<Counted>* out);
  // Records that `trace_id` belongs to `key` (a restart rebuilds the map from stored
  // journeys); the first key learned for a trace stays.
  void Learn(const std::string& trace_id, const std::string& key, absl::Time now);
  // Forgets what is past its time.
  void Expire(absl::Time now);

  // The key `trace_id` belongs to, if known (valid until the next non-const call).
  const std::string* KeyOfTrace(std::string_view trace_id) const {
    auto it = keys_.find(absl::string_view(trace_id.data(), trace_id.size()));
    return it == keys_.end() ? nullptr : &it->second.key;
  }
  size_t traces() const { return keys_.size(); }
  size_t waiting_spans() const { return waiting_count_; }
  const MembershipEvictions& evictions() const { return evictions_; }

 private:
  struct Known {
    std::string key;
    absl::Time learned;
  };
  struct Waiting {
    absl::Time since;
    std::vector<JourneySpan> spans;
  };
  struct Linked {
    absl::Time since;
    std::vector<std::string> traces;  // traces with a span linking to it
  };
  // Sets the key of `trace_id` when it has none and releases what waited for it.
  void Assign(const std::string& trace_id, const std::string& key, absl::Time now,
              std::vector<Counted>* out);
  void Park(const JourneySpan& span, absl::Time now);
  void WaitForLinks(const JourneySpan& span, absl::Time now);

  const MembershipOptions options_;
  const std::string key_attribute_;
  absl::flat_hash_map<std::string, Known> keys_;            // by trace id
  std::deque<std::pair<absl::Time, std::string>> learned_;  // in the order keys were learned
  absl::flat_hash_map<std::string, Waiting> waiting_;       // trace id -> its spans
  std::deque<std::pair<absl::Time, std::string>> waiting_order_;
  size_t waiting_count_ = 0;
  // Linked trace id -> the traces waiting for its key.
  absl::flat_hash_map<std::string, Linked> linked_from_;
  std::deque<std::pair<absl::Time, std::string>> linked_order_;
  MembershipEvictions evictions_;
};

}  // namespace spanvault::journeys
