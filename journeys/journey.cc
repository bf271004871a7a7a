#include "journeys/journey.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace spanvault::journeys {
namespace {

// Keeps the earlier of `hit` and what `slot` holds.
void KeepEarliest(std::map<std::string, StepHit>& hits, const std::string& step,
                  const StepHit& hit) {
  auto [it, inserted] = hits.try_emplace(step, hit);
  if (!inserted && Earlier(hit, it->second)) it->second = hit;
}

void TrimTraceIds(std::set<std::string>& ids) {
  while (ids.size() > kMaxTraceIds) ids.erase(std::prev(ids.end()));
}

std::string Seconds(absl::Duration d) {
  return absl::FormatDuration(absl::Trunc(d, absl::Seconds(1)));
}

}  // namespace

bool Earlier(const StepHit& a, const StepHit& b) {
  if (a.start != b.start) return a.start < b.start;
  return a.span_id < b.span_id;
}

StepHit HitOf(const JourneySpan& span) {
  StepHit hit;
  hit.start = span.start;
  hit.duration = span.duration;
  hit.error = span.error;
  hit.error_message = span.error_message;
  hit.trace_id = span.trace_id;
  hit.span_id = span.span_id;
  hit.service = span.service;
  hit.operation = span.name;
  hit.kind = span.kind;
  return hit;
}

void JourneyState::AddSpan(const JourneySpan& span, std::optional<size_t> step, const Flow& flow,
                           absl::Time now) {
  first_seen = std::min(first_seen, span.start);
  updated = std::max(updated, now);
  trace_ids.insert(span.trace_id);
  TrimTraceIds(trace_ids);
  if (!step) return;
  const std::string& name = flow.steps[*step].name;
  StepHit hit = HitOf(span);
  KeepEarliest(steps, name, hit);
  if (hit.error) KeepEarliest(errors, name, hit);
}

void JourneyState::Merge(const JourneyState& other) {
  first_seen = std::min(first_seen, other.first_seen);
  updated = std::max(updated, other.updated);
  for (const auto& [name, hit] : other.steps) KeepEarliest(steps, name, hit);
  for (const auto& [name, hit] : other.errors) KeepEarliest(errors, name, hit);
  trace_ids.insert(other.trace_ids.begin(), other.trace_ids.end());
  TrimTraceIds(trace_ids);
}

std::set<std::string> JourneyState::AllTraceIds() const {
  std::set<std::string> out = trace_ids;
  for (const auto& [name, hit] : steps) out.insert(hit.trace_id);
  for (const auto& [name, hit] : errors) out.insert(hit.trace_id);
  return out;
}

std::string_view StatusName(JourneyStatus status) {
  switch (status) {
    case JourneyStatus::kInProgress:
      return "in_progress";
    case JourneyStatus::kCompleted:
      return "completed";
    case JourneyStatus::kFailed:
      return "failed";
    case JourneyStatus::kStuck:
      return "stuck";
  }
  return "";
}

std::optional<JourneyStatus> StatusFromName(std::string_view name) {
  for (JourneyStatus s : {JourneyStatus::kInProgress, JourneyStatus::kCompleted,
                          JourneyStatus::kFailed, JourneyStatus::kStuck}) {
    if (StatusName(s) == name) return s;
  }
  return std::nullopt;
}

std::optional<size_t> LastReached(const Flow& flow, const JourneyState& state) {
  for (size_t i = flow.steps.size(); i-- > 0;) {
    if (state.steps.contains(flow.steps[i].name)) return i;
  }
  return std::nullopt;
}

JourneyStatus SettledStatus(const Flow& flow, const JourneyState& state) {
  for (const FlowStep& step : flow.steps) {
    if (state.errors.contains(step.name)) return JourneyStatus::kFailed;
  }
  if (state.steps.contains(flow.steps[flow.final_step].name)) return JourneyStatus::kCompleted;
  return JourneyStatus::kInProgress;
}

std::optional<absl::Time> StuckDeadline(const Flow& flow, const JourneyState& state) {
  if (SettledStatus(flow, state) != JourneyStatus::kInProgress) return std::nullopt;
  auto last = LastReached(flow, state);
  if (!last || *last + 1 >= flow.steps.size()) return std::nullopt;
  const FlowStep& next = flow.steps[*last + 1];
  if (next.within <= absl::ZeroDuration()) return std::nullopt;
  return state.steps.at(flow.steps[*last].name).start + next.within;
}

Verdict Evaluate(const Flow& flow, const JourneyState& state, absl::Time now) {
  Verdict v;
  for (const FlowStep& step : flow.steps) {
    auto it = state.errors.find(step.name);
    if (it == state.errors.end()) continue;
    v.status = JourneyStatus::kFailed;
    v.step = step.name;
    v.message = it->second.error_message.empty() ? "the span has an error status"
                                                 : it->second.error_message;
    return v;
  }
  const std::string& final_name = flow.steps[flow.final_step].name;
  if (state.steps.contains(final_name)) {
    v.status = JourneyStatus::kCompleted;
    v.step = final_name;
    return v;
  }
  auto last = LastReached(flow, state);
  if (!last) {
    v.step = flow.steps.front().name;
    return v;
  }
  if (*last + 1 >= flow.steps.size()) return v;  // past the final step's position, not on it
  const FlowStep& done = flow.steps[*last];
  const FlowStep& next = flow.steps[*last + 1];
  v.step = next.name;
  absl::Time since = state.steps.at(done.name).start;
  auto deadline = StuckDeadline(flow, state);
  if (!deadline || now <= *deadline) return v;
  v.status = JourneyStatus::kStuck;
  v.after = done.name;
  v.waiting = now - since;
  bool queue_hop = done.kind == 4 && next.kind == 5;  // producer -> consumer
  if (queue_hop) {
    std::string where = done.destination.empty() ? "" : absl::StrCat(" to ", done.destination);
    v.message = absl::StrCat("published", where, " ", Seconds(v.waiting),
                             " ago and not consumed: lost or waiting in the queue");
  } else {
    v.message = absl::StrCat("no ", next.name, " within ", absl::FormatDuration(next.within),
                             " of ", done.name, " (waiting ", Seconds(v.waiting), ")");
  }
  return v;
}

}  // namespace spanvault::journeys
