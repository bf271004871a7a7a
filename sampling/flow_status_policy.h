#pragma once

// flow_status: keeps the traces of orders (the journeys of the `flows` section) that are stuck
// or failed, so the evidence is stored when someone looks. docs/sampling.md has the syntax.

#include <atomic>
#include <set>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "journeys/journey_reader.h"
#include "sampling/policy.h"

namespace spanvault::sampling {

// Where flow_status finds the journeys. The journey tap is built after the sampler (it feeds
// it), so the server sets it once the tap exists; until then, and without flows, no trace
// belongs to a journey. Thread-safe.
class JourneySource {
 public:
  void Set(journeys::JourneyReader* reader) { reader_.store(reader); }
  journeys::JourneyReader* get() const { return reader_.load(); }

 private:
  std::atomic<journeys::JourneyReader*> reader_{nullptr};
};

// Samples a trace when a journey it belongs to (in `flows`, empty: any) has one of
// `statuses`. A trace it does not sample whose journey is in progress, with its next step due
// within `max_wait`, is looked at again once that step is overdue (RevisitAt), so the publish
// of a lost order is kept once the order is stuck. Thread-safe.
class FlowStatusPolicy final : public Policy {
 public:
  FlowStatusPolicy(std::string name, std::set<std::string> flows,
                   std::set<journeys::JourneyStatus> statuses, absl::Duration max_wait,
                   const JourneySource& journeys)
      : Policy(std::move(name)),
        flows_(std::move(flows)),
        statuses_(std::move(statuses)),
        max_wait_(max_wait),
        journeys_(journeys) {}

  Decision Evaluate(const TraceView& trace) const override;
  std::optional<absl::Time> RevisitAt(const TraceView& trace, absl::Time now) const override;
  std::string_view type() const override { return "flow_status"; }

 private:
  // The journeys of the trace in the flows this policy watches; none when they cannot be read.
  std::vector<journeys::Journey> JourneysOf(const TraceView& trace) const;

  const std::set<std::string> flows_;
  const std::set<journeys::JourneyStatus> statuses_;
  const absl::Duration max_wait_;
  const JourneySource& journeys_;
};

}  // namespace spanvault::sampling
