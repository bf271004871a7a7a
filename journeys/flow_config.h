#pragma once

// Parsing the `flows` section of the server's YAML config:
//
//   flows:
//     - name: order
//       key: order_id
//       steps:
//         - {name: placed,    service: shop-api, operation: "POST /orders"}
//         - {name: published, service: crm-api,  kind: producer, destination: orders, within: 30s}
//       final: published
//
// Never throws.

#include <vector>

#include "absl/status/statusor.h"
#include "journeys/flow.h"
#include "yaml-cpp/yaml.h"

namespace spanvault::journeys {

// The flows of `node` (a sequence). kInvalidArgument naming the bad field
// (`flows[0].steps[2].kind: unknown span kind "prod" (one of ...)`): an unknown field, a
// missing name, key or step service, a duplicate flow or step name, a flow name that is not
// [A-Za-z0-9_.-]+, an unknown kind, a malformed or negative `within`, a `final` that names no
// step. `final` defaults to the last step.
absl::StatusOr<std::vector<Flow>> ParseFlows(const YAML::Node& node);

}  // namespace spanvault::journeys
