#include "sampling/flow_status_policy.h"

#include <algorithm>

#include "journeys/journey.h"
#include "spdlog/spdlog.h"

namespace spanvault::sampling {
namespace {

// One step past the deadline: a journey is stuck only once the deadline has passed.
constexpr absl::Duration kPastDeadline = absl::Milliseconds(1);

const journeys::Flow* FindFlow(const journeys::JourneyReader& reader, const std::string& name) {
  for (const journeys::Flow& flow : reader.flows()) {
    if (flow.name == name) return &flow;
  }
  return nullptr;
}

}  // namespace

std::vector<journeys::Journey> FlowStatusPolicy::JourneysOf(const TraceView& trace) const {
  journeys::JourneyReader* reader = journeys_.get();
  if (reader == nullptr) return {};
  auto found = reader->JourneysOfTrace(trace.trace_id().bytes());
  if (!found.ok()) {
    // Deciding without the journey beats holding the trace: other policies still apply.
    spdlog::warn("flow_status: cannot read the journeys of a trace: {}",
                 std::string(found.status().message()));
    return {};
  }
  std::vector<journeys::Journey> out;
  for (journeys::Journey& j : *found) {
    if (flows_.empty() || flows_.contains(j.flow)) out.push_back(std::move(j));
  }
  return out;
}

Decision FlowStatusPolicy::Evaluate(const TraceView& trace) const {
  for (const journeys::Journey& j : JourneysOf(trace)) {
    if (statuses_.contains(j.verdict.status)) return Decision::kSampled;
  }
  return Decision::kNotSampled;
}

std::optional<absl::Time> FlowStatusPolicy::RevisitAt(const TraceView& trace,
                                                      absl::Time now) const {
  journeys::JourneyReader* reader = journeys_.get();
  if (reader == nullptr) return std::nullopt;
  std::optional<absl::Time> earliest;
  for (const journeys::Journey& j : JourneysOf(trace)) {
    if (j.verdict.status != journeys::JourneyStatus::kInProgress) continue;
    const journeys::Flow* flow = FindFlow(*reader, j.flow);
    if (flow == nullptr) continue;
    std::optional<absl::Time> deadline = journeys::StuckDeadline(*flow, j.state);
    if (!deadline || *deadline + kPastDeadline <= now || *deadline - now > max_wait_) continue;
    absl::Time at = *deadline + kPastDeadline;
    earliest = earliest ? std::min(*earliest, at) : at;
  }
  return earliest;
}

}  // namespace spanvault::sampling
