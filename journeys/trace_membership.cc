#include "journeys/trace_membership.h"

#include <algorithm>

namespace spanvault::journeys {

void TraceMembership::Add(const JourneySpan& span, bool step_span, absl::Time now,
                          std::vector<Counted>* out) {
  const std::string* own = KeyOf(span, key_attribute_);
  if (own != nullptr && !own->empty()) {
    Assign(span.trace_id, *own, now, out);
    out->push_back({*own, span});
    return;
  }
  if (auto it = keys_.find(span.trace_id); it != keys_.end()) {
    out->push_back({it->second.key, span});
    return;
  }
  for (const std::string& linked : span.linked_traces) {
    auto it = keys_.find(linked);
    if (it == keys_.end()) continue;
    std::string key = it->second.key;
    Assign(span.trace_id, key, now, out);
    out->push_back({std::move(key), span});
    return;
  }
  if (!span.linked_traces.empty()) WaitForLinks(span, now);
  if (step_span) Park(span, now);
}

void TraceMembership::Learn(const std::string& trace_id, const std::string& key, absl::Time now) {
  std::vector<Counted> none;
  Assign(trace_id, key, now, &none);
}

void TraceMembership::Assign(const std::string& trace_id, const std::string& key, absl::Time now,
                             std::vector<Counted>* out) {
  std::vector<std::string> work = {trace_id};
  while (!work.empty()) {
    std::string trace = std::move(work.back());
    work.pop_back();
    if (!keys_.try_emplace(trace, Known{key, now}).second) continue;
    learned_.emplace_back(now, trace);
    while (keys_.size() > options_.max_traces && !learned_.empty()) {
      auto [time, oldest] = std::move(learned_.front());
      learned_.pop_front();
      auto it = keys_.find(oldest);
      if (it == keys_.end() || it->second.learned != time || oldest == trace) continue;
      keys_.erase(it);
      ++evictions_.traces;
    }
    if (auto w = waiting_.find(trace); w != waiting_.end()) {
      for (JourneySpan& span : w->second.spans) out->push_back({key, std::move(span)});
      waiting_count_ -= w->second.spans.size();
      waiting_.erase(w);
    }
    if (auto l = linked_from_.find(trace); l != linked_from_.end()) {
      for (std::string& from : l->second.traces) work.push_back(std::move(from));
      linked_from_.erase(l);
    }
  }
}

void TraceMembership::Park(const JourneySpan& span, absl::Time now) {
  auto [it, inserted] = waiting_.try_emplace(span.trace_id, Waiting{now, {}});
  if (inserted) waiting_order_.emplace_back(now, span.trace_id);
  it->second.spans.push_back(span);
  ++waiting_count_;
  // Full: the traces that have waited longest go first.
  while (waiting_count_ > options_.max_waiting_spans && !waiting_order_.empty()) {
    auto [time, oldest] = std::move(waiting_order_.front());
    waiting_order_.pop_front();
    auto w = waiting_.find(oldest);
    if (w == waiting_.end() || w->second.since != time) continue;
    waiting_count_ -= w->second.spans.size();
    evictions_.waiting_spans += w->second.spans.size();
    waiting_.erase(w);
  }
}

void TraceMembership::WaitForLinks(const JourneySpan& span, absl::Time now) {
  for (const std::string& linked : span.linked_traces) {
    auto [it, inserted] = linked_from_.try_emplace(linked, Linked{now, {}});
    if (inserted) linked_order_.emplace_back(now, linked);
    auto& traces = it->second.traces;
    if (std::find(traces.begin(), traces.end(), span.trace_id) == traces.end()) {
      traces.push_back(span.trace_id);
    }
  }
  while (linked_from_.size() > options_.max_waiting_spans && !linked_order_.empty()) {
    auto [time, oldest] = std::move(linked_order_.front());
    linked_order_.pop_front();
    auto it = linked_from_.find(oldest);
    if (it != linked_from_.end() && it->second.since == time) linked_from_.erase(it);
  }
}

void TraceMembership::Expire(absl::Time now) {
  absl::Time known_cutoff = now - options_.trace_memory;
  while (!learned_.empty() && learned_.front().first < known_cutoff) {
    auto [time, trace] = std::move(learned_.front());
    learned_.pop_front();
    auto it = keys_.find(trace);
    if (it != keys_.end() && it->second.learned == time) keys_.erase(it);
  }
  absl::Time wait_cutoff = now - options_.wait_window;
  while (!waiting_order_.empty() && waiting_order_.front().first < wait_cutoff) {
    auto [time, trace] = std::move(waiting_order_.front());
    waiting_order_.pop_front();
    auto w = waiting_.find(trace);
    if (w == waiting_.end() || w->second.since != time) continue;
    waiting_count_ -= w->second.spans.size();
    evictions_.waiting_spans += w->second.spans.size();
    waiting_.erase(w);
  }
  while (!linked_order_.empty() && linked_order_.front().first < wait_cutoff) {
    auto [time, linked] = std::move(linked_order_.front());
    linked_order_.pop_front();
    auto it = linked_from_.find(linked);
    if (it != linked_from_.end() && it->second.since == time) linked_from_.erase(it);
  }
}

}  // namespace spanvault::journeys
