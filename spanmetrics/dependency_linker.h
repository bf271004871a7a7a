#pragma once

// DependencyLinker: finds service-to-service links among spans that arrive in any order and in
// different batches.

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace spanvault::spanmetrics {

// OTLP SpanKind values the linker cares about.
inline constexpr int kSpanKindProducer = 4;
inline constexpr int kSpanKindConsumer = 5;

// What the tap keeps of one span. Ids are the raw OTLP bytes (16-byte trace, 8-byte span).
struct SpanFacts {
  std::string trace_id;
  std::string span_id;
  std::string parent_span_id;                              // empty for a root
  std::vector<std::pair<std::string, std::string>> links;  // (trace id, span id)
  std::string service;
  std::string name;
  int kind = 0;
  absl::Time start;
  absl::Duration duration;
  bool error = false;
};

// A call from `parent` service to `child` service, at the child span's start.
struct Edge {
  std::string parent;
  std::string child;
  absl::Time time;
};

struct LinkerOptions {
  // Recent spans remembered as possible parents. Default: 500,000 (~60 MB).
  size_t max_spans = 500'000;
  // Children remembered while their parent has not arrived (children usually end, and are
  // exported, before their parents). Default: 200,000 (~30 MB).
  size_t max_waiting = 200'000;
  // How long a span or a waiting child is remembered. Default: 10 minutes (spans of one trace
  // arrive within the exporters' batch delays and the sampler's decision_wait).
  absl::Duration ttl = absl::Minutes(10);
};

// Counts of what was forgotten before it could complete an edge.
struct LinkerEvictions {
  uint64_t spans_full = 0;
  uint64_t spans_expired = 0;
  uint64_t waiting_full = 0;
  uint64_t waiting_expired = 0;
};

// The link rules (Jaeger's, plus messaging links):
//   - a span whose parent is a span of another service: parent service -> child service (any
//     span kinds, as Jaeger's stores count CHILD_OF references); same-service pairs are not
//     links;
//   - a CONSUMER span without a parent (context propagation broken: the consumer started a new
//     trace) with a span link to a PRODUCER span of another service: producer service ->
//     consumer service. A consumer with a parent is counted through its parent only, so one
//     message hop counts once even when a local child of the receive span links the producer.
// Each span is remembered (bounded, FIFO, ttl); a child whose parent (or linked producer) has
// not arrived waits for it (bounded, FIFO, ttl). A span seen twice (a retried export) is
// ignored the second time. Not thread-safe; owned by the tap under its lock.
class DependencyLinker {
 public:
  explicit DependencyLinker(LinkerOptions options) : options_(options) {}

  // Records `span` at `now` and appends the edges it completes to `edges`.
  void Add(const SpanFacts& span, absl::Time now, std::vector<Edge>* edges);
  // Forgets spans and waiting children older than the ttl.
  void Expire(absl::Time now);

  size_t spans() const { return spans_.size(); }
  size_t waiting() const { return waiting_count_; }
  const LinkerEvictions& evictions() const { return evictions_; }

 private:
  struct Known {
    std::string service;
    int kind = 0;
    uint64_t seq = 0;
  };
  struct Waiter {
    std::string child_service;
    absl::Time child_start;
    bool needs_producer = false;  // waits through a span link
    uint64_t seq = 0;
  };
  struct Order {
    absl::Time added;
    std::string key;
    uint64_t seq = 0;
  };

  void Wait(std::string key, Waiter waiter, absl::Time now);
  void ResolveWaiters(const std::string& key, const SpanFacts& span, std::vector<Edge>* edges);
  void PopSpan(bool expired);
  void PopWaiter(bool expired);
  void CompactWaitingOrder();

  const LinkerOptions options_;
  uint64_t next_seq_ = 0;
  absl::flat_hash_map<std::string, Known> spans_;  // by trace id + span id
  std::deque<Order> span_order_;
  absl::flat_hash_map<std::string, std::deque<Waiter>> waiting_;  // by the awaited key
  std::deque<Order> waiting_order_;
  size_t waiting_count_ = 0;
  LinkerEvictions evictions_;
};

}  // namespace spanvault::spanmetrics
