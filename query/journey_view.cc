#include "query/journey_view.h"

namespace spanvault {

bool IsWellFormedKey(std::string_view key) {
  if (key.empty() || key.size() > 256) return false;
  for (unsigned char c : key) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::optional<JourneyView> ViewJourney(const AccessPolicy& policy, const journeys::Flow& flow,
                                       journeys::Journey journey) {
  JourneyView view;
  if (policy.ReadsEverything()) {
    view.journey = std::move(journey);
    return view;
  }
  journeys::JourneyState& state = journey.state;
  bool key_shown = false;
  std::set<std::string> traces;
  for (auto it = state.steps.begin(); it != state.steps.end();) {
    const journeys::StepHit& hit = it->second;
    if (!policy.CanReadService(hit.service)) {
      view.hidden_steps.push_back(it->first);
      it = state.steps.erase(it);
      continue;
    }
    key_shown = key_shown || policy.ForAttribute(hit.service, flow.key) == AttributeAccess::kShow;
    traces.insert(hit.trace_id);
    ++it;
  }
  if (!key_shown) return std::nullopt;
  std::erase_if(state.errors,
                [&](const auto& entry) { return !policy.CanReadService(entry.second.service); });
  for (const auto& [name, hit] : state.errors) traces.insert(hit.trace_id);
  state.trace_ids = std::move(traces);
  journeys::Verdict& verdict = journey.verdict;
  if (verdict.status == journeys::JourneyStatus::kFailed && !state.errors.contains(verdict.step)) {
    verdict.message = "the failed step's service is outside your scope";
  }
  view.journey = std::move(journey);
  return view;
}

}  // namespace spanvault
