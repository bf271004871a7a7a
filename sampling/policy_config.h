#pragma once

// Parsing the Collector's `policies` list into PolicySpecs. Internal to the sampling module
// (ParseSamplingConfig is the public entry point).

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sampling/sampling_config.h"
#include "yaml-cpp/yaml.h"

namespace spanvault::sampling::internal {

// Parses the top-level `policies` sequence at `path` ("sampling.policies"): every policy named,
// names unique, each type's fields validated. Errors as ParseSamplingConfig's.
absl::StatusOr<std::vector<PolicySpec>> ParsePolicyList(const YAML::Node& node,
                                                        std::string_view path);

// The type names accepted at the top level, sorted ("always_sample, and, ...").
std::string SupportedPolicyTypes();

}  // namespace spanvault::sampling::internal
