#include "sampling/policy_config.h"

#include <limits>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "re2/re2.h"
#include "sampling/yaml_fields.h"

namespace spanvault::sampling::internal {
namespace {

using yaml_fields::CheckKeys;
using yaml_fields::Child;
using yaml_fields::Element;
using yaml_fields::FieldError;

absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Where a policy sits, which decides the types it may have (as in the Collector's config
// structs: and/drop/not sub-policies are simple policies; composite also takes `and`).
enum class Place { kTop, kSimpleSub, kCompositeSub };

struct TypeInfo {
  std::string_view name;
  PolicyType type;
  bool has_block;  // its fields live under a key named like the type
  bool simple;     // allowed as an and/drop/not sub-policy (and in composite)
};

constexpr TypeInfo kTypes[] = {
    {"always_sample", PolicyType::kAlwaysSample, false, true},
    {"and", PolicyType::kAnd, true, false},
    {"boolean_attribute", PolicyType::kBooleanAttribute, true, true},
    {"composite", PolicyType::kComposite, true, false},
    {"drop", PolicyType::kDrop, true, false},
    {"flow_status", PolicyType::kFlowStatus, true, false},
    {"latency", PolicyType::kLatency, true, true},
    {"not", PolicyType::kNot, true, false},
    {"numeric_attribute", PolicyType::kNumericAttribute, true, true},
    {"probabilistic", PolicyType::kProbabilistic, true, true},
    {"rate_limiting", PolicyType::kRateLimiting, true, true},
    {"span_count", PolicyType::kSpanCount, true, true},
    {"status_code", PolicyType::kStatusCode, true, true},
    {"string_attribute", PolicyType::kStringAttribute, true, true},
    {"trace_flags", PolicyType::kTraceFlags, false, true},
    {"trace_state", PolicyType::kTraceState, true, true},
};

// Collector policy types spanvault does not evaluate.
constexpr std::string_view kUnsupportedCollectorTypes[] = {"ottl_condition", "bytes_limiting"};

bool AllowedAt(const TypeInfo& info, Place place) {
  switch (place) {
    case Place::kTop:
      return true;
    case Place::kSimpleSub:
      return info.simple;
    case Place::kCompositeSub:
      return info.simple || info.type == PolicyType::kAnd;
  }
  return false;
}

std::string TypesAllowedAt(Place place) {
  std::string names;
  for (const TypeInfo& info : kTypes) {
    if (!AllowedAt(info, place)) continue;
    if (!names.empty()) names += ", ";
    names += info.name;
  }
  return names;
}

std::string_view PlaceName(Place place) {
  return place == Place::kCompositeSub ? "a composite" : "and, drop or not";
}

absl::StatusOr<const TypeInfo*> LookUpType(const std::string& type, const std::string& path,
                                           Place place) {
  for (const TypeInfo& info : kTypes) {
    if (info.name != type) continue;
    if (AllowedAt(info, place)) return &info;
    return FieldError(
        path, absl::StrCat("policy type \"", type, "\" cannot be used inside ",
                           AbslView(PlaceName(place)), "; allowed: ", TypesAllowedAt(place)));
  }
  for (std::string_view unsupported : kUnsupportedCollectorTypes) {
    if (unsupported == type) {
      return FieldError(path, absl::StrCat("policy type \"", type,
                                           "\" is not supported by spanvault; supported: ",
                                           TypesAllowedAt(place)));
    }
  }
  return FieldError(
      path, absl::StrCat("unknown policy type \"", type, "\"; supported: ", TypesAllowedAt(place)));
}

bool IsPolicyBlockKey(std::string_view key) {
  for (const TypeInfo& info : kTypes) {
    if (info.has_block && info.name == key) return true;
  }
  for (std::string_view unsupported : kUnsupportedCollectorTypes) {
    if (unsupported == key) return true;
  }
  return false;
}

absl::StatusOr<PolicySpec> ParsePolicy(const YAML::Node& node, const std::string& path,
                                       Place place);

// ---------------------------------------------------------------------------------------------
// Leaf policy blocks

absl::Status ParseLatency(const YAML::Node& b, const std::string& path, PolicySpec& spec) {
  SV_RETURN_IF_ERROR(CheckKeys(b, path, {"threshold_ms", "upper_threshold_ms"}));
  if (!b["threshold_ms"] && !b["upper_threshold_ms"]) {
    return FieldError(path, "needs threshold_ms (and optionally upper_threshold_ms)");
  }
  auto& c = spec.latency;
  if (b["threshold_ms"]) {
    SV_ASSIGN_OR_RETURN(c.threshold_ms, yaml_fields::ReadNonNegativeInt(
                                            b["threshold_ms"], Child(path, "threshold_ms")));
  }
  if (b["upper_threshold_ms"]) {
    const std::string upper_path = Child(path, "upper_threshold_ms");
    SV_ASSIGN_OR_RETURN(c.upper_threshold_ms,
                        yaml_fields::ReadNonNegativeInt(b["upper_threshold_ms"], upper_path));
    if (c.upper_threshold_ms != 0 && c.upper_threshold_ms <= c.threshold_ms) {
      return FieldError(upper_path, absl::StrCat("must be greater than threshold_ms (",
                                                 c.threshold_ms, "), or 0 for no upper bound"));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseStatusCode(const YAML::Node& b, const std::string& path, PolicySpec& spec) {
  SV_RETURN_IF_ERROR(CheckKeys(b, path, {"status_codes"}));
  const std::string list_path = Child(path, "status_codes");
  SV_ASSIGN_OR_RETURN(std::vector<std::string> names,
                      yaml_fields::ReadStringList(b["status_codes"], list_path, true));
  static const std::map<std::string, otlp::Status::StatusCode> kCodes = {
      {"OK", otlp::Status::STATUS_CODE_OK},
      {"ERROR", otlp::Status::STATUS_CODE_ERROR},
      {"UNSET", otlp::Status::STATUS_CODE_UNSET},
  };
  for (size_t i = 0; i < names.size(); ++i) {
    auto it = kCodes.find(names[i]);
    if (it == kCodes.end()) {
      return FieldError(Element(list_path, i), absl::StrCat("unknown status code \"", names[i],
                                                            "\"; supported: OK, ERROR, UNSET"));
    }
    spec.status_code.status_codes.push_back(it->second);
  }
  return absl::OkStatus();
}

absl::Status ParseFlowStatus(const YAML::Node& b, const std::string& path, PolicySpec& spec) {
  SV_RETURN_IF_ERROR(CheckKeys(b, path, {"flows", "statuses", "max_wait"}));
  auto& c = spec.flow_status;
  if (b["flows"]) {
    SV_ASSIGN_OR_RETURN(c.flows,
                        yaml_fields::ReadStringList(b["flows"], Child(path, "flows"), true));
  }
  if (b["statuses"]) {
    const std::string list_path = Child(path, "statuses");
    SV_ASSIGN_OR_RETURN(c.statuses, yaml_fields::ReadStringList(b["statuses"], list_path, true));
    for (size_t i = 0; i < c.statuses.size(); ++i) {
      const std::string& s = c.statuses[i];
      if (s != "stuck" && s != "failed" && s != "in_progress" && s != "completed") {
        return FieldError(Element(list_path, i),
                          absl::StrCat("unknown journey status \"", s,
                                       "\"; one of stuck, failed, in_progress, completed"));
      }
    }
  }
  if (b["max_wait"]) {
    const std::string wait_path = Child(path, "max_wait");
    SV_ASSIGN_OR_RETURN(c.max_wait, yaml_fields::ReadDuration(b["max_wait"], wait_path));
    if (c.max_wait < absl::ZeroDuration()) return FieldError(wait_path, "must not be negative");
  }
  return absl::OkStatus();
}

absl::Status ParseRegexes(const std::vector<std::string>& values, const std::string& path) {
  for (size_t i = 0; i < values.size(); ++i) {
    RE2::Options options;
    options.set_log_errors(false);
    RE2 re(values[i], options);
    if (!re.ok()) {
      return FieldError(Element(path, i), absl::StrCat("invalid regular expression \"", values[i],
                                                       "\": ", re.error()));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseStringAttribute(const YAML::Node& b, const std::string& path, PolicySpec& spec) {
  SV_RETURN_IF_ERROR(CheckKeys(
      b, path, {"key", "values", "enabled_regex_matching", "cache_max_size", "invert_match"}));
  auto& c = spec.string_attribute;
  SV_ASSIGN_OR_RETURN(c.key, yaml_fields::ReadNonEmptyString(b["key"], Child(path, "key")));
  const std::string values_path = Child(path, "values");
  SV_ASSIGN_OR_RETURN(c.values, yaml_fields::ReadStringList(b["values"], values_path, true));
  if (b["enabled_regex_matching"]) {
    SV_ASSIGN_OR_RETURN(
        c.enabled_regex_matching,
        yaml_fields::ReadBool(b["enabled_regex_matching"], Child(path, "enabled_regex_matching")));
  }
  if (b["cache_max_size"]) {
    SV_ASSIGN_OR_RETURN(c.cache_max_size, yaml_fields::ReadNonNegativeInt(
                                              b["cache_max_size"], Child(path, "cache_max_size")));
  }
  if (b["invert_match"]) {
    SV_ASSIGN_OR_RETURN(c.invert_match,
                        yaml_fields::ReadBool(b["invert_match"], Child(path, "invert_match")));
  }
  if (c.enabled_regex_matching) SV_RETURN_IF_ERROR(ParseRegexes(c.values, values_path));
  return absl::OkStatus();
}

absl::Status ParseNumericAttribute(const YAML::Node& b, const std::string& path, PolicySpec& spec) {
  SV_RETURN_IF_ERROR(CheckKeys(b, path, {"key", "min_value", "max_value", "invert_match"}));
  auto& c = spec.numeric_attribute;
  SV_ASSIGN_OR_RETURN(c.key, yaml_fields::ReadNonEmptyString(b["key"], Child(path, "key")));
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  if (b["min_value"]) {
    SV_ASSIGN_OR_RETURN(c.min_value, yaml_fields::ReadInt(b["min_value"], Child(path, "min_value"),
                                                          kMin, "an integer"));
  }
  if (b["max_value"]) {
    SV_ASSIGN_OR_RETURN(c.max_value, yaml_fields::ReadInt(b["max_value"], Child(path, "max_value"),
                                                          kMin, "an integer"));
  }
  if (!c.min_value && !c.max_value) return FieldError(path, "needs min_value, max_value or both");
  if (c.min_value && c.max_value && *c.min_value > *c.max_value) {
    return FieldError(Child(path, "max_value"),
                      absl::StrCat("must not be less than min_value (", *c.min_value, ")"));
  }
  if (b["invert_match"]) {
    SV_ASSIGN_OR_RETURN(c.invert_match,
                        yaml_fields::ReadBool(b["invert_match"], Child(path, "invert_match")));
  }
  return absl::OkStatus();
}

absl::Status ParseBooleanAttribute(const YAML::Node& b, const std::string& path, PolicySpec& spec) {
  SV_RETURN_IF_ERROR(CheckKeys(b, path, {"key", "value", "invert_match"}));
  auto& c = spec.boolean_attribute;
  SV_ASSIGN_OR_RETURN(c.key, yaml_fields::ReadNonEmptyString(b["key"], Child(path, "key")));
  SV_ASSIGN_OR_RETURN(c.value, yaml_fields::ReadBool(b["value"], Child(path, "value")));
  if (b["invert_match"]) {
    SV_ASSIGN_OR_RETURN(c.invert_match,
                        yaml_fields::ReadBool(b["invert_match"], Child(path, "invert_match")));
  }
  return absl::OkStatus();
}

absl::Status ParseSpanCount(const YAML::Node& b, const std::string& path, PolicySpec& spec) {
  SV_RETURN_IF_ERROR(CheckKeys(b, path, {"min_spans", "max_spans"}));
  if (!b["min_spans"] && !b["max_spans"]) {
    return FieldError(path, "needs min_spans, max_spans or both");
  }
  auto& c = spec.span_count;
  if (b["min_spans"]) {
    SV_ASSIGN_OR_RETURN(c.min_spans,
                        yaml_fields::ReadNonNegativeInt(b["min_spans"], Child(path, "min_spans")));
  }
  if (b["max_spans"]) {
    SV_ASSIGN_OR_RETURN(c.max_spans,
                        yaml_fields::ReadNonNegativeInt(b["max_spans"], Child(path, "max_spans")));
    if (c.max_spans != 0 && c.max_spans < c.min_spans) {
      return FieldError(Child(path, "max_spans"),
                        absl::StrCat("must not be less than min_spans (", c.min_spans,
                                     "), or 0 for no upper bound"));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseTraceState(const YAML::Node& b, const std::string& path, PolicySpec& spec) {
  SV_RETURN_IF_ERROR(CheckKeys(b, path, {"key", "values"}));
  auto& c = spec.trace_state;
  SV_ASSIGN_OR_RETURN(c.key, yaml_fields::ReadNonEmptyString(b["key"], Child(path, "key")));
  const std::string values_path = Child(path, "values");
  SV_ASSIGN_OR_RETURN(c.values, yaml_fields::ReadStringList(b["values"], values_path, true));
  for (size_t i = 0; i < c.values.size(); ++i) {
    // A tracestate list member (key=value) is at most 256 characters.
    if (c.key.size() + 1 + c.values[i].size() > 256) {
      return FieldError(Element(values_path, i),
                        "key=value is longer than the 256 characters a tracestate entry allows");
    }
  }
  return absl::OkStatus();
}

absl::Status ParseProbabilistic(const YAML::Node& b, const std::string& path, PolicySpec& spec) {
  SV_RETURN_IF_ERROR(CheckKeys(b, path, {"sampling_percentage", "hash_salt"}));
  auto& c = spec.probabilistic;
  SV_ASSIGN_OR_RETURN(c.sampling_percentage,
                      yaml_fields::ReadNonNegativeNumber(b["sampling_percentage"],
                                                         Child(path, "sampling_percentage")));
  if (b["hash_salt"]) {
    SV_ASSIGN_OR_RETURN(c.hash_salt,
                        yaml_fields::ReadString(b["hash_salt"], Child(path, "hash_salt")));
  }
  return absl::OkStatus();
}

absl::Status ParseRateLimiting(const YAML::Node& b, const std::string& path, PolicySpec& spec) {
  SV_RETURN_IF_ERROR(CheckKeys(b, path, {"spans_per_second", "burst_capacity"}));
  auto& c = spec.rate_limiting;
  SV_ASSIGN_OR_RETURN(
      c.spans_per_second,
      yaml_fields::ReadPositiveInt(b["spans_per_second"], Child(path, "spans_per_second")));
  if (b["burst_capacity"]) {
    SV_ASSIGN_OR_RETURN(c.burst_capacity, yaml_fields::ReadPositiveInt(
                                              b["burst_capacity"], Child(path, "burst_capacity")));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// and, drop, not, composite

absl::StatusOr<std::vector<PolicySpec>> ParseSubPolicies(const YAML::Node& node,
                                                         const std::string& path, Place place) {
  if (!node.IsDefined()) return FieldError(path, "missing; a list of sub-policies");
  if (!node.IsSequence() || node.size() == 0) {
    return FieldError(path, "must be a non-empty list of policies");
  }
  std::vector<PolicySpec> subs;
  for (size_t i = 0; i < node.size(); ++i) {
    SV_ASSIGN_OR_RETURN(PolicySpec sub, ParsePolicy(node[i], Element(path, i), place));
    subs.push_back(std::move(sub));
  }
  return subs;
}

absl::Status ParseListOf(const YAML::Node& b, const std::string& path, std::string_view key,
                         PolicySpec& spec) {
  SV_RETURN_IF_ERROR(CheckKeys(b, path, {key}));
  SV_ASSIGN_OR_RETURN(spec.sub_policies,
                      ParseSubPolicies(b[std::string(key)], Child(path, key), Place::kSimpleSub));
  return absl::OkStatus();
}

absl::Status ParseNot(const YAML::Node& b, const std::string& path, PolicySpec& spec) {
  SV_RETURN_IF_ERROR(CheckKeys(b, path, {"not_sub_policy"}));
  SV_ASSIGN_OR_RETURN(
      PolicySpec sub,
      ParsePolicy(b["not_sub_policy"], Child(path, "not_sub_policy"), Place::kSimpleSub));
  spec.sub_policies.push_back(std::move(sub));
  return absl::OkStatus();
}

// One rate_allocation entry; `percent_sum` accumulates.
absl::Status ParseRateAllocation(const YAML::Node& node, const std::string& path,
                                 const std::map<std::string, size_t>& sub_names,
                                 PolicySpec::Composite& c) {
  SV_RETURN_IF_ERROR(CheckKeys(node, path, {"policy", "percent"}));
  PolicySpec::Composite::RateAllocation allocation;
  const std::string policy_path = Child(path, "policy");
  SV_ASSIGN_OR_RETURN(allocation.policy,
                      yaml_fields::ReadNonEmptyString(node["policy"], policy_path));
  if (!sub_names.contains(allocation.policy)) {
    return FieldError(policy_path, absl::StrCat("\"", allocation.policy,
                                                "\" is not the name of a composite_sub_policy"));
  }
  for (const auto& earlier : c.rate_allocation) {
    if (earlier.policy == allocation.policy) {
      return FieldError(policy_path,
                        absl::StrCat("\"", allocation.policy, "\" is allocated twice"));
    }
  }
  const std::string percent_path = Child(path, "percent");
  SV_ASSIGN_OR_RETURN(allocation.percent,
                      yaml_fields::ReadInt(node["percent"], percent_path, 0,
                                           "an integer from 0 to 100 (0: an equal share)"));
  if (allocation.percent > 100) {
    return FieldError(percent_path, "must be an integer from 0 to 100 (0: an equal share)");
  }
  c.rate_allocation.push_back(std::move(allocation));
  return absl::OkStatus();
}

absl::Status ParseRateAllocations(const YAML::Node& node, const std::string& path,
                                  const std::map<std::string, size_t>& sub_names,
                                  PolicySpec::Composite& c) {
  if (!node.IsSequence()) return FieldError(path, "must be a list of {policy, percent}");
  int64_t sum = 0;
  for (size_t i = 0; i < node.size(); ++i) {
    SV_RETURN_IF_ERROR(ParseRateAllocation(node[i], Element(path, i), sub_names, c));
    sum += c.rate_allocation.back().percent;
  }
  if (sum > 100) {
    return FieldError(path, absl::StrCat("percents add up to ", sum, "; at most 100"));
  }
  return absl::OkStatus();
}

absl::Status ParsePolicyOrder(const YAML::Node& node, const std::string& path,
                              const std::map<std::string, size_t>& sub_names,
                              PolicySpec::Composite& c) {
  SV_ASSIGN_OR_RETURN(c.policy_order, yaml_fields::ReadStringList(node, path, false));
  for (size_t i = 0; i < c.policy_order.size(); ++i) {
    const std::string& name = c.policy_order[i];
    if (!sub_names.contains(name)) {
      return FieldError(Element(path, i),
                        absl::StrCat("\"", name, "\" is not the name of a composite_sub_policy"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (c.policy_order[j] == name) {
        return FieldError(Element(path, i), absl::StrCat("\"", name, "\" is listed twice"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ParseComposite(const YAML::Node& b, const std::string& path, PolicySpec& spec) {
  SV_RETURN_IF_ERROR(CheckKeys(
      b, path,
      {"max_total_spans_per_second", "policy_order", "composite_sub_policy", "rate_allocation"}));
  auto& c = spec.composite;
  SV_ASSIGN_OR_RETURN(c.max_total_spans_per_second,
                      yaml_fields::ReadPositiveInt(b["max_total_spans_per_second"],
                                                   Child(path, "max_total_spans_per_second")));
  const std::string subs_path = Child(path, "composite_sub_policy");
  SV_ASSIGN_OR_RETURN(spec.sub_policies,
                      ParseSubPolicies(b["composite_sub_policy"], subs_path, Place::kCompositeSub));
  std::map<std::string, size_t> sub_names;
  for (size_t i = 0; i < spec.sub_policies.size(); ++i) {
    auto [it, inserted] = sub_names.emplace(spec.sub_policies[i].name, i);
    if (!inserted) {
      return FieldError(Child(Element(subs_path, i), "name"),
                        absl::StrCat("duplicate sub-policy name \"", it->first, "\""));
    }
  }
  if (b["policy_order"]) {
    SV_RETURN_IF_ERROR(
        ParsePolicyOrder(b["policy_order"], Child(path, "policy_order"), sub_names, c));
  }
  if (!b["rate_allocation"]) return absl::OkStatus();
  return ParseRateAllocations(b["rate_allocation"], Child(path, "rate_allocation"), sub_names, c);
}

absl::Status ParseBlock(const TypeInfo& info, const YAML::Node& b, const std::string& path,
                        PolicySpec& spec) {
  switch (info.type) {
    case PolicyType::kLatency:
      return ParseLatency(b, path, spec);
    case PolicyType::kStatusCode:
      return ParseStatusCode(b, path, spec);
    case PolicyType::kStringAttribute:
      return ParseStringAttribute(b, path, spec);
    case PolicyType::kNumericAttribute:
      return ParseNumericAttribute(b, path, spec);
    case PolicyType::kBooleanAttribute:
      return ParseBooleanAttribute(b, path, spec);
    case PolicyType::kSpanCount:
      return ParseSpanCount(b, path, spec);
    case PolicyType::kTraceState:
      return ParseTraceState(b, path, spec);
    case PolicyType::kProbabilistic:
      return ParseProbabilistic(b, path, spec);
    case PolicyType::kRateLimiting:
      return ParseRateLimiting(b, path, spec);
    case PolicyType::kAnd:
      return ParseListOf(b, path, "and_sub_policy", spec);
    case PolicyType::kDrop:
      return ParseListOf(b, path, "drop_sub_policy", spec);
    case PolicyType::kNot:
      return ParseNot(b, path, spec);
    case PolicyType::kComposite:
      return ParseComposite(b, path, spec);
    case PolicyType::kFlowStatus:
      return ParseFlowStatus(b, path, spec);
    case PolicyType::kAlwaysSample:
    case PolicyType::kTraceFlags:
      break;
  }
  return absl::OkStatus();
}

// Every key of the policy mapping is name, type, or the block of its own type.
absl::Status CheckPolicyKeys(const YAML::Node& node, const std::string& path,
                             const TypeInfo& info) {
  SV_ASSIGN_OR_RETURN(std::vector<std::string> keys, yaml_fields::MappingKeys(node, path));
  for (const std::string& key : keys) {
    if (key == "name" || key == "type" || (info.has_block && key == info.name)) continue;
    if (IsPolicyBlockKey(key)) {
      return FieldError(Child(path, key),
                        absl::StrCat("not used by a policy of type ", AbslView(info.name)));
    }
    const std::string expected =
        info.has_block ? absl::StrCat("name, type or ", AbslView(info.name)) : "name or type";
    return FieldError(Child(path, key), absl::StrCat("unknown key; expected ", expected));
  }
  return absl::OkStatus();
}

absl::StatusOr<PolicySpec> ParsePolicy(const YAML::Node& node, const std::string& path,
                                       Place place) {
  SV_RETURN_IF_ERROR(yaml_fields::MappingKeys(node, path).status());
  PolicySpec spec;
  const bool name_required = place != Place::kSimpleSub;
  if (node["name"] || name_required) {
    const std::string name_path = Child(path, "name");
    if (!node["name"]) return FieldError(name_path, "missing; every policy needs a unique name");
    SV_ASSIGN_OR_RETURN(spec.name, yaml_fields::ReadNonEmptyString(node["name"], name_path));
  }
  const std::string type_path = Child(path, "type");
  if (!node["type"]) {
    return FieldError(type_path, absl::StrCat("missing; one of ", TypesAllowedAt(place)));
  }
  SV_ASSIGN_OR_RETURN(std::string type_name, yaml_fields::ReadString(node["type"], type_path));
  SV_ASSIGN_OR_RETURN(const TypeInfo* info, LookUpType(type_name, type_path, place));
  spec.type = info->type;
  SV_RETURN_IF_ERROR(CheckPolicyKeys(node, path, *info));
  if (!info->has_block) return spec;
  const std::string block_path = Child(path, info->name);
  const YAML::Node block = node[std::string(info->name)];
  if (!block) {
    return FieldError(
        block_path, absl::StrCat("missing; a ", AbslView(info->name), " policy needs its fields"));
  }
  SV_RETURN_IF_ERROR(ParseBlock(*info, block, block_path, spec));
  return spec;
}

}  // namespace

std::string SupportedPolicyTypes() { return TypesAllowedAt(Place::kTop); }

absl::StatusOr<std::vector<PolicySpec>> ParsePolicyList(const YAML::Node& node,
                                                        std::string_view path_view) {
  const std::string path(path_view);
  if (node.IsNull()) return std::vector<PolicySpec>();
  if (!node.IsSequence()) return FieldError(path, "must be a list of policies");
  std::vector<PolicySpec> specs;
  std::map<std::string, size_t> first_index;
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string item_path = Element(path, i);
    SV_ASSIGN_OR_RETURN(PolicySpec spec, ParsePolicy(node[i], item_path, Place::kTop));
    auto [it, inserted] = first_index.emplace(spec.name, i);
    if (!inserted) {
      return FieldError(Child(item_path, "name"),
                        absl::StrCat("duplicate policy name \"", spec.name, "\" (also ",
                                     Element(path, it->second), ")"));
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

}  // namespace spanvault::sampling::internal
