#include "sampling/sampling_config.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "sampling/policy_config.h"
#include "sampling/yaml_fields.h"
#include "yaml-cpp/yaml.h"

namespace spanvault::sampling {
namespace {

using yaml_fields::Child;
using yaml_fields::FieldError;

constexpr std::string_view kPath = "sampling";

// Top-level keys of the Collector's tail_sampling processor that spanvault accepts (so a pasted
// config loads) but does not use, and why.
struct IgnoredKey {
  std::string_view key;
  std::string_view reason;
};
constexpr IgnoredKey kIgnoredCollectorKeys[] = {
    {"num_traces", "pending traces are bounded by max_pending_traces and max_pending_bytes"},
    {"expected_new_traces_per_sec", "spanvault needs no sizing hint"},
    {"decision_cache", "decisions are remembered for decision_cache_ttl"},
    {"block_on_overflow", "above the pending limits exports are refused with a retryable status"},
    {"drop_pending_traces_on_shutdown", "pending traces are kept on disk across restarts"},
    {"maximum_trace_size_bytes", "traces are bounded by max_spans_per_trace"},
    {"decision_wait_after_root_received",
     "spanvault decides decision_quiet after the last span once the root has arrived"},
    {"num_shards", "spanvault evaluates on one thread"},
    {"sampling_strategy", "spanvault always decides on the whole trace (trace-complete)"},
};

std::string AllowedKeys() {
  std::string out =
      "decision_wait, decision_quiet, decision_cache_ttl, max_pending_traces, "
      "max_pending_bytes, max_spans_per_trace, sample_on_first_match, policies";
  for (const IgnoredKey& ignored : kIgnoredCollectorKeys) {
    absl::StrAppend(&out, ", ", absl::string_view(ignored.key.data(), ignored.key.size()));
  }
  return out;
}

absl::Status ReadPositiveDuration(const YAML::Node& node, const std::string& path,
                                  absl::Duration& out) {
  SV_ASSIGN_OR_RETURN(out, yaml_fields::ReadDuration(node, path));
  if (out <= absl::ZeroDuration()) return FieldError(path, "must be longer than 0");
  return absl::OkStatus();
}

absl::Status ReadPositiveCount(const YAML::Node& node, const std::string& path, uint64_t& out) {
  SV_ASSIGN_OR_RETURN(int64_t value, yaml_fields::ReadPositiveInt(node, path));
  out = static_cast<uint64_t>(value);
  return absl::OkStatus();
}

// Applies one top-level key of the section.
absl::Status ApplyKey(const std::string& key, const YAML::Node& value, SamplingConfig& config) {
  const std::string path = Child(kPath, key);
  if (key == "decision_wait") return ReadPositiveDuration(value, path, config.decision_wait);
  if (key == "decision_quiet") {
    SV_ASSIGN_OR_RETURN(config.decision_quiet, yaml_fields::ReadDuration(value, path));
    return absl::OkStatus();
  }
  if (key == "decision_cache_ttl") {
    return ReadPositiveDuration(value, path, config.decision_cache_ttl);
  }
  if (key == "max_pending_traces") return ReadPositiveCount(value, path, config.max_pending_traces);
  if (key == "max_spans_per_trace") {
    return ReadPositiveCount(value, path, config.max_spans_per_trace);
  }
  if (key == "max_pending_bytes") {
    SV_ASSIGN_OR_RETURN(config.max_pending_bytes, yaml_fields::ReadByteSize(value, path));
    if (config.max_pending_bytes == 0) return FieldError(path, "must be larger than 0");
    return absl::OkStatus();
  }
  if (key == "sample_on_first_match") {
    SV_ASSIGN_OR_RETURN(config.sample_on_first_match, yaml_fields::ReadBool(value, path));
    return absl::OkStatus();
  }
  if (key == "policies") {
    SV_ASSIGN_OR_RETURN(config.policies, internal::ParsePolicyList(value, path));
    return absl::OkStatus();
  }
  for (const IgnoredKey& ignored : kIgnoredCollectorKeys) {
    if (ignored.key == key) {
      config.warnings.push_back(
          absl::StrCat(path, ": a Collector setting spanvault ignores: ",
                       absl::string_view(ignored.reason.data(), ignored.reason.size())));
      return absl::OkStatus();
    }
  }
  return FieldError(path, absl::StrCat("unknown key; expected one of ", AllowedKeys()));
}

absl::StatusOr<SamplingConfig> Parse(const YAML::Node& section) {
  SamplingConfig config;
  if (!section.IsDefined() || section.IsNull()) return config;
  SV_ASSIGN_OR_RETURN(std::vector<std::string> keys, yaml_fields::MappingKeys(section, kPath));
  for (const std::string& key : keys) {
    SV_RETURN_IF_ERROR(ApplyKey(key, section[key], config));
  }
  if (config.decision_quiet < absl::ZeroDuration() ||
      config.decision_quiet > config.decision_wait) {
    return FieldError(Child(kPath, "decision_quiet"),
                      absl::StrCat("must be between 0 (off) and decision_wait (",
                                   absl::FormatDuration(config.decision_wait), ")"));
  }
  return config;
}

}  // namespace

std::string_view PolicyTypeName(PolicyType type) {
  switch (type) {
    case PolicyType::kAlwaysSample:
      return "always_sample";
    case PolicyType::kLatency:
      return "latency";
    case PolicyType::kStatusCode:
      return "status_code";
    case PolicyType::kStringAttribute:
      return "string_attribute";
    case PolicyType::kNumericAttribute:
      return "numeric_attribute";
    case PolicyType::kBooleanAttribute:
      return "boolean_attribute";
    case PolicyType::kSpanCount:
      return "span_count";
    case PolicyType::kTraceState:
      return "trace_state";
    case PolicyType::kTraceFlags:
      return "trace_flags";
    case PolicyType::kProbabilistic:
      return "probabilistic";
    case PolicyType::kRateLimiting:
      return "rate_limiting";
    case PolicyType::kAnd:
      return "and";
    case PolicyType::kNot:
      return "not";
    case PolicyType::kDrop:
      return "drop";
    case PolicyType::kComposite:
      return "composite";
    case PolicyType::kFlowStatus:
      return "flow_status";
  }
  return "unknown";
}

absl::StatusOr<SamplingConfig> ParseSamplingConfig(const YAML::Node& sampling_section) {
  try {
    return Parse(sampling_section);
  } catch (const YAML::Exception& e) {
    // Every read checks types first; this is a guard for yaml-cpp surprises.
    return FieldError(kPath, e.what());
  }
}

absl::StatusOr<SamplingConfig> ParseSamplingConfigText(std::string_view section_yaml) {
  YAML::Node node;
  try {
    node = YAML::Load(std::string(section_yaml));
  } catch (const YAML::Exception& e) {
    return FieldError(kPath, absl::StrCat("not valid YAML: ", e.what()));
  }
  return ParseSamplingConfig(node);
}

}  // namespace spanvault::sampling
