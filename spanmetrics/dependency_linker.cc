#include "spanmetrics/dependency_linker.h"

namespace spanvault::spanmetrics {
namespace {

std::string KeyOf(const std::string& trace_id, const std::string& span_id) {
  return trace_id + span_id;
}

}  // namespace

void DependencyLinker::Add(const SpanFacts& span, absl::Time now, std::vector<Edge>* edges) {
  std::string key = KeyOf(span.trace_id, span.span_id);
  if (spans_.contains(key)) return;  // a retried export
  ResolveWaiters(key, span, edges);
  uint64_t seq = ++next_seq_;
  spans_[key] = Known{span.service, span.kind, seq};
  span_order_.push_back(Order{now, key, seq});
  while (spans_.size() > options_.max_spans) PopSpan(/*expired=*/false);

  if (!span.parent_span_id.empty()) {
    std::string parent = KeyOf(span.trace_id, span.parent_span_id);
    auto it = spans_.find(parent);
    if (it == spans_.end()) {
      Wait(std::move(parent), Waiter{span.service, span.start, false, 0}, now);
    } else if (it->second.service != span.service) {
      edges->push_back(Edge{it->second.service, span.service, span.start});
    }
  }
  // Links stand in for the parent only when propagation was broken: a consumer with a parent
  // of its own (a local "receive" span, say) is counted through that parent.
  if (span.kind != kSpanKindConsumer || !span.parent_span_id.empty()) return;
  for (const auto& [trace_id, span_id] : span.links) {
    std::string linked = KeyOf(trace_id, span_id);
    auto it = spans_.find(linked);
    if (it == spans_.end()) {
      Wait(std::move(linked), Waiter{span.service, span.start, true, 0}, now);
    } else if (it->second.kind == kSpanKindProducer && it->second.service != span.service) {
      edges->push_back(Edge{it->second.service, span.service, span.start});
    }
  }
}

void DependencyLinker::ResolveWaiters(const std::string& key, const SpanFacts& span,
                                      std::vector<Edge>* edges) {
  auto it = waiting_.find(key);
  if (it == waiting_.end()) return;
  for (const Waiter& w : it->second) {
    if (w.needs_producer && span.kind != kSpanKindProducer) continue;
    if (w.child_service != span.service) {
      edges->push_back(Edge{span.service, w.child_service, w.child_start});
    }
  }
  waiting_count_ -= it->second.size();
  waiting_.erase(it);
}

void DependencyLinker::Wait(std::string key, Waiter waiter, absl::Time now) {
  waiter.seq = ++next_seq_;
  waiting_order_.push_back(Order{now, key, waiter.seq});
  waiting_[std::move(key)].push_back(std::move(waiter));
  ++waiting_count_;
  while (waiting_count_ > options_.max_waiting) PopWaiter(/*expired=*/false);
  // Resolved waiters leave their order entries behind; drop them before they pile up.
  if (waiting_order_.size() > 2 * options_.max_waiting + 1024) CompactWaitingOrder();
}

void DependencyLinker::CompactWaitingOrder() {
  std::deque<Order> live;
  for (Order& order : waiting_order_) {
    auto it = waiting_.find(order.key);
    if (it == waiting_.end()) continue;
    for (const Waiter& w : it->second) {
      if (w.seq == order.seq) {
        live.push_back(std::move(order));
        break;
      }
    }
  }
  waiting_order_ = std::move(live);
}

void DependencyLinker::PopSpan(bool expired) {
  const Order& oldest = span_order_.front();
  auto it = spans_.find(oldest.key);
  if (it != spans_.end() && it->second.seq == oldest.seq) {
    spans_.erase(it);
    ++(expired ? evictions_.spans_expired : evictions_.spans_full);
  }
  span_order_.pop_front();
}

void DependencyLinker::PopWaiter(bool expired) {
  const Order& oldest = waiting_order_.front();
  auto it = waiting_.find(oldest.key);
  // Waiters of one key are in arrival order, so the oldest entry is the front one, unless it
  // was resolved already (then the order entry is stale).
  if (it != waiting_.end() && it->second.front().seq == oldest.seq) {
    it->second.pop_front();
    --waiting_count_;
    if (it->second.empty()) waiting_.erase(it);
    ++(expired ? evictions_.waiting_expired : evictions_.waiting_full);
  }
  waiting_order_.pop_front();
}

void DependencyLinker::Expire(absl::Time now) {
  absl::Time cutoff = now - options_.ttl;
  while (!span_order_.empty() && span_order_.front().added < cutoff) PopSpan(/*expired=*/true);
  while (!waiting_order_.empty() && waiting_order_.front().added < cutoff) {
    PopWaiter(/*expired=*/true);
  }
}

}  // namespace spanvault::spanmetrics
