#include "journeys/flow_config.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/duration.h"

namespace spanvault::journeys {
namespace {

absl::Status FieldError(const std::string& path, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat("config key \"", path, "\": ", message));
}

absl::Status CheckFields(const YAML::Node& node, const std::string& path,
                         const std::set<std::string>& allowed, const std::string& names) {
  if (!node.IsMap()) return FieldError(path, "must be a mapping");
  for (const auto& field : node) {
    if (!field.first.IsScalar()) return FieldError(path, "keys must be strings");
    std::string key = field.first.Scalar();
    if (!allowed.contains(key)) {
      return FieldError(absl::StrCat(path, ".", key),
                        absl::StrCat("unknown field (one of ", names, ")"));
    }
  }
  return absl::OkStatus();
}

// The string at node[key]; "" when absent; an error when not a scalar.
absl::StatusOr<std::string> OptionalString(const YAML::Node& node, const std::string& path,
                                           const char* key) {
  YAML::Node value = node[key];
  if (!value || value.IsNull()) return std::string();
  if (!value.IsScalar()) return FieldError(absl::StrCat(path, ".", key), "must be a string");
  return value.Scalar();
}

absl::StatusOr<std::string> RequiredString(const YAML::Node& node, const std::string& path,
                                           const char* key) {
  auto value = OptionalString(node, path, key);
  if (value.ok() && value->empty()) {
    return FieldError(absl::StrCat(path, ".", key), "is required and must not be empty");
  }
  return value;
}

bool IsFlowName(std::string_view name) {
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return !name.empty();
}

absl::StatusOr<FlowStep> ParseStep(const YAML::Node& node, const std::string& path) {
  absl::Status fields =
      CheckFields(node, path, {"name", "service", "operation", "kind", "destination", "within"},
                  "name, service, operation, kind, destination, within");
  if (!fields.ok()) return fields;
  FlowStep step;
  auto name = RequiredString(node, path, "name");
  if (!name.ok()) return name.status();
  step.name = *name;
  auto service = RequiredString(node, path, "service");
  if (!service.ok()) return service.status();
  step.service = *service;
  auto operation = OptionalString(node, path, "operation");
  if (!operation.ok()) return operation.status();
  step.operation = *operation;
  auto destination = OptionalString(node, path, "destination");
  if (!destination.ok()) return destination.status();
  step.destination = *destination;
  auto kind = OptionalString(node, path, "kind");
  if (!kind.ok()) return kind.status();
  if (!kind->empty()) {
    step.kind = KindFromName(*kind);
    if (!step.kind) {
      return FieldError(absl::StrCat(path, ".kind"),
                        absl::StrCat("unknown span kind \"", *kind,
                                     "\" (one of internal, server, client, producer, consumer)"));
    }
  }
  auto within = OptionalString(node, path, "within");
  if (!within.ok()) return within.status();
  if (!within->empty()) {
    auto nanos = ParseGoDurationNanos(*within);
    if (!nanos.ok())
      return FieldError(absl::StrCat(path, ".within"), std::string(nanos.status().message()));
    step.within = absl::Nanoseconds(static_cast<int64_t>(*nanos));
  }
  return step;
}

absl::StatusOr<Flow> ParseFlow(const YAML::Node& node, const std::string& path) {
  absl::Status fields =
      CheckFields(node, path, {"name", "key", "steps", "final"}, "name, key, steps, final");
  if (!fields.ok()) return fields;
  Flow flow;
  auto name = RequiredString(node, path, "name");
  if (!name.ok()) return name.status();
  if (!IsFlowName(*name)) {
    return FieldError(absl::StrCat(path, ".name"),
                      "must be letters, digits, '_', '.' or '-' (it appears in URLs)");
  }
  flow.name = *name;
  auto key = RequiredString(node, path, "key");
  if (!key.ok()) return key.status();
  flow.key = *key;
  YAML::Node steps = node["steps"];
  std::string steps_path = absl::StrCat(path, ".steps");
  if (!steps || !steps.IsSequence() || steps.size() == 0) {
    return FieldError(steps_path, "must be a non-empty list of steps");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < steps.size(); ++i) {
    std::string step_path = absl::StrCat(steps_path, "[", i, "]");
    auto step = ParseStep(steps[i], step_path);
    if (!step.ok()) return step.status();
    if (!names.insert(step->name).second) {
      return FieldError(absl::StrCat(step_path, ".name"),
                        absl::StrCat("duplicate step name \"", step->name, "\""));
    }
    flow.steps.push_back(*std::move(step));
  }
  auto final_name = OptionalString(node, path, "final");
  if (!final_name.ok()) return final_name.status();
  flow.final_step = flow.steps.size() - 1;
  if (!final_name->empty()) {
    bool found = false;
    for (size_t i = 0; i < flow.steps.size(); ++i) {
      if (flow.steps[i].name == *final_name) {
        flow.final_step = i;
        found = true;
      }
    }
    if (!found) {
      return FieldError(
          absl::StrCat(path, ".final"),
          absl::StrCat("\"", *final_name, "\" is not a step of flow \"", flow.name, "\""));
    }
  }
  return flow;
}

}  // namespace

absl::StatusOr<std::vector<Flow>> ParseFlows(const YAML::Node& node) {
  if (node.IsNull()) return std::vector<Flow>();
  if (!node.IsSequence()) return FieldError("flows", "must be a list of flows");
  std::vector<Flow> flows;
  std::set<std::string> names;
  for (size_t i = 0; i < node.size(); ++i) {
    std::string path = absl::StrCat("flows[", i, "]");
    absl::StatusOr<Flow> flow;
    try {
      flow = ParseFlow(node[i], path);
    } catch (const YAML::Exception& e) {
      return FieldError(path, e.what());
    }
    if (!flow.ok()) return flow.status();
    if (!names.insert(flow->name).second) {
      return FieldError(absl::StrCat(path, ".name"),
                        absl::StrCat("duplicate flow name \"", flow->name, "\""));
    }
    flows.push_back(*std::move(flow));
  }
  return flows;
}

}  // namespace spanvault::journeys
