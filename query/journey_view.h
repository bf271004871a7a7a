#pragma once

// The caller's view of a journey (QueryService::GetJourney, ListJourneys). A pure function
// over what the journey reader answers, like query/trace_filter.h for traces.

#include <optional>

#include "auth/access_policy.h"
#include "journeys/flow.h"
#include "query/query_service.h"

namespace spanvault {

// `journey` as `policy` sees it: steps whose span belongs to a service the caller may not read
// are removed (their names go to hidden_steps), and so are the traces only they knew; the
// error message of a hidden failed step is replaced. nullopt when the caller may read no
// reached step or sees the key attribute (flow.key) in full on none of them. With
// policy.ReadsEverything() the journey comes back whole. `traces` is left empty.
std::optional<JourneyView> ViewJourney(const AccessPolicy& policy, const journeys::Flow& flow,
                                       journeys::Journey journey);

// Whether `key` can be a business key: 1 to 256 bytes, no control characters.
bool IsWellFormedKey(std::string_view key);

}  // namespace spanvault
