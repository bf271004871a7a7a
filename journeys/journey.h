#pragma once

// JourneyState: what the journey tap keeps of one business key (an order) in one flow, and the
// verdict on it. The state is a function of the set of spans seen, whatever their order or
// repetition: each step keeps its earliest span (ties broken by span id), so out-of-order,
// duplicate and late spans give the same state. Value types; thread-compatible.

#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/time/time.h"
#include "journeys/flow.h"

namespace spanvault::journeys {

// The most trace ids a journey remembers (the smallest ones; the traces of its steps are
// always known through the steps).
inline constexpr size_t kMaxTraceIds = 64;

// The span that reached a step.
struct StepHit {
  absl::Time start;
  absl::Duration duration;
  bool error = false;
  std::string error_message;
  std::string trace_id;  // 16 bytes
  std::string span_id;   // 8 bytes
  std::string service;
  std::string operation;
  int kind = 0;
  bool operator==(const StepHit&) const = default;
};

// Whether `a` comes before `b`: earlier start, then smaller span id.
bool Earlier(const StepHit& a, const StepHit& b);

StepHit HitOf(const JourneySpan& span);

struct JourneyState {
  absl::Time first_seen = absl::InfiniteFuture();  // earliest start of a span of the journey
  absl::Time updated = absl::InfinitePast();       // when its newest span arrived (server clock)
  std::map<std::string, StepHit> steps;            // step name -> earliest span of the step
  std::map<std::string, StepHit> errors;           // step name -> earliest error span of the step
  std::set<std::string> trace_ids;                 // at most kMaxTraceIds, the smallest

  // Counts `span`, which arrived at `now`, toward the journey; `step` is the step it matches.
  void AddSpan(const JourneySpan& span, std::optional<size_t> step, const Flow& flow,
               absl::Time now);
  void Merge(const JourneyState& other);
  // Every trace id the journey knows: trace_ids and those of its steps.
  std::set<std::string> AllTraceIds() const;
  bool operator==(const JourneyState&) const = default;
};

enum class JourneyStatus { kInProgress, kCompleted, kFailed, kStuck };

// "in_progress", "completed", "failed", "stuck".
std::string_view StatusName(JourneyStatus status);
std::optional<JourneyStatus> StatusFromName(std::string_view name);

struct Verdict {
  JourneyStatus status = JourneyStatus::kInProgress;
  // failed: the step whose span failed; stuck: the step that has not appeared; completed: the
  // final step; in_progress: the next step expected ("" when none is reached yet).
  std::string step;
  // stuck: the last step reached, and how long ago it started.
  std::string after;
  absl::Duration waiting = absl::ZeroDuration();
  // failed: the span's status message; stuck: what it means ("lost or waiting in the queue").
  std::string message;
};

// The verdict at `now`: failed when a step's span has an error status (the first such step in
// flow order), else completed when the final step is reached, else stuck when the step after
// the last one reached has not started within its `within` of that step's start, else
// in_progress.
Verdict Evaluate(const Flow& flow, const JourneyState& state, absl::Time now);

// What does not depend on time: kFailed, kCompleted or kInProgress (open).
JourneyStatus SettledStatus(const Flow& flow, const JourneyState& state);

// When an open journey becomes stuck unless its next step appears; nullopt when it cannot
// (settled, nothing reached, or no `within` on the next step).
std::optional<absl::Time> StuckDeadline(const Flow& flow, const JourneyState& state);

// The index of the last step reached (in flow order); nullopt when none is.
std::optional<size_t> LastReached(const Flow& flow, const JourneyState& state);

}  // namespace spanvault::journeys
