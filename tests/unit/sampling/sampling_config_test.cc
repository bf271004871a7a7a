// Parsing the `sampling` section: every field, the defaults, and every error with its path.

#include "sampling/sampling_config.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "yaml-cpp/yaml.h"

namespace spanvault::sampling {
namespace {

using ::spanvault::testing::FakeClock;
using ::spanvault::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing::StartsWith;

SamplingConfig Parse(const std::string& yaml) {
  absl::StatusOr<SamplingConfig> config = ParseSamplingConfigText(yaml);
  EXPECT_TRUE(config.ok()) << config.status() << "\n" << yaml;
  return config.ok() ? *std::move(config) : SamplingConfig();
}

// The error message of parsing `yaml`, which must fail with kInvalidArgument.
std::string Error(const std::string& yaml) {
  absl::StatusOr<SamplingConfig> config = ParseSamplingConfigText(yaml);
  EXPECT_THAT(config, StatusIs(absl::StatusCode::kInvalidArgument)) << yaml;
  return std::string(config.status().message());
}

// A section with one policy named "p" with these fields (flow style).
std::string One(const std::string& fields) { return "policies: [{name: p, " + fields + "}]"; }

PolicySpec OnlyPolicy(const std::string& fields) {
  SamplingConfig config = Parse(One(fields));
  EXPECT_EQ(config.policies.size(), 1u);
  return config.policies.empty() ? PolicySpec() : config.policies[0];
}

// ---------------------------------------------------------------------------------------------
// Top level

TEST(SamplingConfigTest, NoSectionMeansNoSamplingWithDefaults) {
  for (const std::string yaml : {"", "~", "{}", "policies: []", "policies:"}) {
    const SamplingConfig config = Parse(yaml);
    EXPECT_FALSE(config.enabled()) << yaml;
    EXPECT_EQ(config.decision_wait, absl::Seconds(10));
    EXPECT_EQ(config.decision_quiet, absl::Seconds(2));
    EXPECT_EQ(config.decision_cache_ttl, absl::Hours(1));
    EXPECT_EQ(config.max_pending_traces, 1'000'000u);
    EXPECT_EQ(config.max_pending_bytes, uint64_t{4} << 30);
    EXPECT_EQ(config.max_spans_per_trace, 100'000u);
    EXPECT_FALSE(config.sample_on_first_match);
    EXPECT_TRUE(config.warnings.empty());
  }
  EXPECT_FALSE(ParseSamplingConfig(YAML::Node()).value().enabled());
}

TEST(SamplingConfigTest, EveryTopLevelField) {
  const SamplingConfig config = Parse(R"(
decision_wait: 30s
decision_quiet: 1.5s
decision_cache_ttl: 2h30m
max_pending_traces: 5000
max_pending_bytes: 512MiB
max_spans_per_trace: 777
sample_on_first_match: true
policies:
  - {name: all, type: always_sample}
)");
  EXPECT_TRUE(config.enabled());
  EXPECT_EQ(config.decision_wait, absl::Seconds(30));
  EXPECT_EQ(config.decision_quiet, absl::Milliseconds(1500));
  EXPECT_EQ(config.decision_cache_ttl, absl::Minutes(150));
  EXPECT_EQ(config.max_pending_traces, 5000u);
  EXPECT_EQ(config.max_pending_bytes, uint64_t{512} << 20);
  EXPECT_EQ(config.max_spans_per_trace, 777u);
  EXPECT_TRUE(config.sample_on_first_match);
  ASSERT_EQ(config.policies.size(), 1u);
  EXPECT_EQ(config.policies[0].name, "all");
  EXPECT_EQ(config.policies[0].type, PolicyType::kAlwaysSample);
}

TEST(SamplingConfigTest, ByteSizes) {
  const std::vector<std::pair<std::string, uint64_t>> cases = {
      {"1", 1},
      {"4096", 4096},
      {"10B", 10},
      {"4GiB", uint64_t{4} << 30},
      {"4 GiB", uint64_t{4} << 30},
      {"3KiB", 3072},
      {"1TiB", uint64_t{1} << 40},
      {"2KB", 2000},
      {"5MB", 5'000'000},
      {"1GB", 1'000'000'000},
      {"1TB", 1'000'000'000'000},
  };
  for (const auto& [text, bytes] : cases) {
    EXPECT_EQ(Parse("max_pending_bytes: " + text).max_pending_bytes, bytes) << text;
  }
  for (const std::string bad : {"4G", "4gib", "1.5GiB", "GiB", "-1", "4  GiB", "[1]"}) {
    EXPECT_EQ(Error("max_pending_bytes: " + bad),
              "sampling.max_pending_bytes: must be a byte count: an integer, optionally followed "
              "by B, KB, MB, GB, TB, KiB, MiB, GiB or TiB (e.g. 4GiB)")
        << bad;
  }
  EXPECT_EQ(Error("max_pending_bytes: 0"), "sampling.max_pending_bytes: must be larger than 0");
  EXPECT_EQ(Error("max_pending_bytes: 20000000TiB"), "sampling.max_pending_bytes: is too large");
}

TEST(SamplingConfigTest, IntegersMayUseDigitSeparators) {
  EXPECT_EQ(Parse("max_pending_traces: 1_000_000").max_pending_traces, 1'000'000u);
  EXPECT_EQ(Parse("max_pending_bytes: 4_294_967_296").max_pending_bytes, uint64_t{4} << 30);
  EXPECT_EQ(OnlyPolicy("type: latency, latency: {threshold_ms: 1_500}").latency.threshold_ms, 1500);
}

TEST(SamplingConfigTest, DecisionQuietZeroTurnsTheEarlyDecisionOff) {
  EXPECT_EQ(Parse("decision_quiet: 0s").decision_quiet, absl::ZeroDuration());
  EXPECT_EQ(Parse("decision_wait: 1s\ndecision_quiet: 1s").decision_quiet, absl::Seconds(1));
}

TEST(SamplingConfigTest, TopLevelErrors) {
  EXPECT_EQ(Error("[1, 2]"), "sampling: must be a mapping (key: value)");
  EXPECT_EQ(Error("just text"), "sampling: must be a mapping (key: value)");
  EXPECT_THAT(Error("decison_wait: 10s"),
              StartsWith("sampling.decison_wait: unknown key; expected one of decision_wait, "
                         "decision_quiet, decision_cache_ttl, max_pending_traces, "
                         "max_pending_bytes, max_spans_per_trace, sample_on_first_match, "
                         "policies, num_traces"));
  EXPECT_EQ(Error("decision_wait: 10"),
            "sampling.decision_wait: time: missing unit in duration \"10\"");
  EXPECT_EQ(Error("decision_wait: 10x"),
            "sampling.decision_wait: time: unknown unit \"x\" in duration \"10x\"");
  EXPECT_EQ(Error("decision_wait: -1s"), "sampling.decision_wait: negative duration \"-1s\"");
  EXPECT_EQ(Error("decision_wait: 0s"), "sampling.decision_wait: must be longer than 0");
  EXPECT_EQ(Error("decision_wait: [10s]"),
            "sampling.decision_wait: must be a duration such as 10s, 500ms or 1h");
  EXPECT_EQ(Error("decision_wait:"),
            "sampling.decision_wait: must be a duration such as 10s, 500ms or 1h");
  EXPECT_EQ(Error("decision_cache_ttl: 0s"), "sampling.decision_cache_ttl: must be longer than 0");
  EXPECT_EQ(Error("decision_quiet: 11s"),
            "sampling.decision_quiet: must be between 0 (off) and decision_wait (10s)");
  EXPECT_EQ(Error("decision_wait: 1s\ndecision_quiet: 2s"),
            "sampling.decision_quiet: must be between 0 (off) and decision_wait (1s)");
  EXPECT_EQ(Error("max_pending_traces: 0"),
            "sampling.max_pending_traces: must be a positive integer");
  EXPECT_EQ(Error("max_pending_traces: lots"),
            "sampling.max_pending_traces: must be a positive integer");
  EXPECT_EQ(Error("max_spans_per_trace: -3"),
            "sampling.max_spans_per_trace: must be a positive integer");
  EXPECT_EQ(Error("sample_on_first_match: maybe"),
            "sampling.sample_on_first_match: must be true or false");
  EXPECT_EQ(Error("policies: {name: p}"), "sampling.policies: must be a list of policies");
  EXPECT_THAT(Error("decision_wait: [unclosed"), StartsWith("sampling: not valid YAML: "));
}

TEST(SamplingConfigTest, CollectorOnlyKeysAreAcceptedWithAWarning) {
  const SamplingConfig config = Parse(R"(
num_traces: 50000
expected_new_traces_per_sec: 10
decision_cache: {sampled_cache_size: 100_000, non_sampled_cache_size: 100_000}
block_on_overflow: true
policies: [{name: all, type: always_sample}]
)");
  EXPECT_TRUE(config.enabled());
  ASSERT_EQ(config.warnings.size(), 4u);
  EXPECT_EQ(config.warnings[0],
            "sampling.num_traces: a Collector setting spanvault ignores: pending traces are "
            "bounded by max_pending_traces and max_pending_bytes");
  EXPECT_THAT(config.warnings[2], StartsWith("sampling.decision_cache: "));
}

// ---------------------------------------------------------------------------------------------
// Policies: every field

TEST(PolicyConfigTest, AlwaysSampleAndTraceFlagsHaveNoFields) {
  EXPECT_EQ(OnlyPolicy("type: always_sample").type, PolicyType::kAlwaysSample);
  EXPECT_EQ(OnlyPolicy("type: trace_flags").type, PolicyType::kTraceFlags);
}

TEST(PolicyConfigTest, Latency) {
  PolicySpec spec = OnlyPolicy("type: latency, latency: {threshold_ms: 1000}");
  EXPECT_EQ(spec.type, PolicyType::kLatency);
  EXPECT_EQ(spec.latency.threshold_ms, 1000);
  EXPECT_EQ(spec.latency.upper_threshold_ms, 0);
  spec = OnlyPolicy("type: latency, latency: {threshold_ms: 5000, upper_threshold_ms: 10000}");
  EXPECT_EQ(spec.latency.upper_threshold_ms, 10000);
  spec = OnlyPolicy("type: latency, latency: {upper_threshold_ms: 10}");
  EXPECT_EQ(spec.latency.threshold_ms, 0);
  EXPECT_EQ(spec.latency.upper_threshold_ms, 10);
}

TEST(PolicyConfigTest, StatusCode) {
  const PolicySpec spec =
      OnlyPolicy("type: status_code, status_code: {status_codes: [ERROR, OK, UNSET]}");
  EXPECT_EQ(spec.type, PolicyType::kStatusCode);
  EXPECT_THAT(spec.status_code.status_codes,
              ElementsAre(otlp::Status::STATUS_CODE_ERROR, otlp::Status::STATUS_CODE_OK,
                          otlp::Status::STATUS_CODE_UNSET));
}

TEST(PolicyConfigTest, StringAttribute) {
  PolicySpec spec = OnlyPolicy(
      "type: string_attribute, string_attribute: {key: order_id, values: [A-1001, 'A-1002']}");
  EXPECT_EQ(spec.type, PolicyType::kStringAttribute);
  EXPECT_EQ(spec.string_attribute.key, "order_id");
  EXPECT_THAT(spec.string_attribute.values, ElementsAre("A-1001", "A-1002"));
  EXPECT_FALSE(spec.string_attribute.enabled_regex_matching);
  EXPECT_FALSE(spec.string_attribute.invert_match);
  spec = OnlyPolicy(
      "type: string_attribute, string_attribute: {key: url.path, values: ['^/api/.*', x], "
      "enabled_regex_matching: true, cache_max_size: 10, invert_match: true}");
  EXPECT_TRUE(spec.string_attribute.enabled_regex_matching);
  EXPECT_EQ(spec.string_attribute.cache_max_size, 10);
  EXPECT_TRUE(spec.string_attribute.invert_match);
}

TEST(PolicyConfigTest, NumericAttribute) {
  PolicySpec spec = OnlyPolicy(
      "type: numeric_attribute, numeric_attribute: {key: http.response.status_code, "
      "min_value: 500, max_value: 599, invert_match: true}");
  EXPECT_EQ(spec.type, PolicyType::kNumericAttribute);
  EXPECT_EQ(spec.numeric_attribute.key, "http.response.status_code");
  EXPECT_THAT(spec.numeric_attribute.min_value, Optional(500));
  EXPECT_THAT(spec.numeric_attribute.max_value, Optional(599));
  EXPECT_TRUE(spec.numeric_attribute.invert_match);
  spec = OnlyPolicy("type: numeric_attribute, numeric_attribute: {key: k, min_value: -5}");
  EXPECT_THAT(spec.numeric_attribute.min_value, Optional(-5));
  EXPECT_EQ(spec.numeric_attribute.max_value, std::nullopt);
  spec = OnlyPolicy("type: numeric_attribute, numeric_attribute: {key: k, max_value: 0}");
  EXPECT_EQ(spec.numeric_attribute.min_value, std::nullopt);
  EXPECT_THAT(spec.numeric_attribute.max_value, Optional(0));
}

TEST(PolicyConfigTest, BooleanAttribute) {
  const PolicySpec spec = OnlyPolicy(
      "type: boolean_attribute, boolean_attribute: {key: app.force, value: true, "
      "invert_match: false}");
  EXPECT_EQ(spec.type, PolicyType::kBooleanAttribute);
  EXPECT_EQ(spec.boolean_attribute.key, "app.force");
  EXPECT_TRUE(spec.boolean_attribute.value);
  EXPECT_FALSE(spec.boolean_attribute.invert_match);
  EXPECT_FALSE(OnlyPolicy("type: boolean_attribute, boolean_attribute: {key: k, value: false}")
                   .boolean_attribute.value);
}

TEST(PolicyConfigTest, SpanCountTraceStateProbabilisticRateLimiting) {
  PolicySpec spec = OnlyPolicy("type: span_count, span_count: {min_spans: 2, max_spans: 20}");
  EXPECT_EQ(spec.span_count.min_spans, 2);
  EXPECT_EQ(spec.span_count.max_spans, 20);
  spec = OnlyPolicy("type: trace_state, trace_state: {key: vendor, values: [a, b]}");
  EXPECT_EQ(spec.trace_state.key, "vendor");
  EXPECT_THAT(spec.trace_state.values, ElementsAre("a", "b"));
  spec = OnlyPolicy(
      "type: probabilistic, probabilistic: {sampling_percentage: 0.5, "
      "hash_salt: tier-2}");
  EXPECT_DOUBLE_EQ(spec.probabilistic.sampling_percentage, 0.5);
  EXPECT_EQ(spec.probabilistic.hash_salt, "tier-2");
  EXPECT_DOUBLE_EQ(OnlyPolicy("type: probabilistic, probabilistic: {sampling_percentage: 10}")
                       .probabilistic.sampling_percentage,
                   10);
  spec = OnlyPolicy("type: rate_limiting, rate_limiting: {spans_per_second: 35}");
  EXPECT_EQ(spec.rate_limiting.spans_per_second, 35);
  EXPECT_EQ(spec.rate_limiting.burst_capacity, 0);
  spec =
      OnlyPolicy("type: rate_limiting, rate_limiting: {spans_per_second: 35, burst_capacity: 100}");
  EXPECT_EQ(spec.rate_limiting.burst_capacity, 100);
}

TEST(PolicyConfigTest, AndDropNotWithUnnamedSubPolicies) {
  PolicySpec spec = OnlyPolicy(
      "type: and, and: {and_sub_policy: [{type: status_code, status_code: {status_codes: "
      "[ERROR]}}, {name: slow, type: latency, latency: {threshold_ms: 5}}]}");
  EXPECT_EQ(spec.type, PolicyType::kAnd);
  ASSERT_EQ(spec.sub_policies.size(), 2u);
  EXPECT_EQ(spec.sub_policies[0].name, "");
  EXPECT_EQ(spec.sub_policies[0].type, PolicyType::kStatusCode);
  EXPECT_EQ(spec.sub_policies[1].name, "slow");
  EXPECT_EQ(spec.sub_policies[1].latency.threshold_ms, 5);

  spec = OnlyPolicy("type: drop, drop: {drop_sub_policy: [{type: always_sample}]}");
  EXPECT_EQ(spec.type, PolicyType::kDrop);
  ASSERT_EQ(spec.sub_policies.size(), 1u);

  spec = OnlyPolicy(
      "type: not, not: {not_sub_policy: {type: span_count, span_count: {min_spans: 3}}}");
  EXPECT_EQ(spec.type, PolicyType::kNot);
  ASSERT_EQ(spec.sub_policies.size(), 1u);
  EXPECT_EQ(spec.sub_policies[0].span_count.min_spans, 3);
}

TEST(PolicyConfigTest, Composite) {
  const PolicySpec spec = OnlyPolicy(R"(type: composite, composite: {
      max_total_spans_per_second: 1000,
      policy_order: [b, a],
      composite_sub_policy: [
        {name: a, type: numeric_attribute, numeric_attribute: {key: k, min_value: 50}},
        {name: b, type: and, and: {and_sub_policy: [{type: always_sample}]}},
        {name: c, type: always_sample}],
      rate_allocation: [{policy: a, percent: 50}, {policy: b, percent: 0}]})");
  EXPECT_EQ(spec.type, PolicyType::kComposite);
  EXPECT_EQ(spec.composite.max_total_spans_per_second, 1000);
  EXPECT_THAT(spec.composite.policy_order, ElementsAre("b", "a"));
  ASSERT_EQ(spec.sub_policies.size(), 3u);
  EXPECT_EQ(spec.sub_policies[1].type, PolicyType::kAnd);
  ASSERT_EQ(spec.composite.rate_allocation.size(), 2u);
  EXPECT_EQ(spec.composite.rate_allocation[0].policy, "a");
  EXPECT_EQ(spec.composite.rate_allocation[0].percent, 50);
  EXPECT_EQ(spec.composite.rate_allocation[1].percent, 0);
}

TEST(PolicyConfigTest, PolicyTypeNames) {
  EXPECT_EQ(PolicyTypeName(PolicyType::kStringAttribute), "string_attribute");
  EXPECT_EQ(PolicyTypeName(PolicyType::kComposite), "composite");
  EXPECT_EQ(PolicyTypeName(PolicyType::kTraceFlags), "trace_flags");
}

// ---------------------------------------------------------------------------------------------
// Policies: errors, each naming its path

constexpr const char* kSupported =
    "always_sample, and, boolean_attribute, composite, drop, flow_status, latency, not, "
    "numeric_attribute, "
    "probabilistic, rate_limiting, span_count, status_code, string_attribute, trace_flags, "
    "trace_state";

TEST(PolicyConfigErrorTest, ThePathNamesTheIndex) {
  EXPECT_EQ(Error("policies: [{name: a, type: always_sample}, {name: b, type: always_sample}, "
                  "{name: c, type: latency, latency: {threshold_ms: -1}}]"),
            "sampling.policies[2].latency.threshold_ms: must be a non-negative integer");
}

TEST(PolicyConfigErrorTest, NameAndType) {
  EXPECT_EQ(Error("policies: [always_sample]"),
            "sampling.policies[0]: must be a mapping (key: value)");
  EXPECT_EQ(Error("policies: [{type: always_sample}]"),
            "sampling.policies[0].name: missing; every policy needs a unique name");
  EXPECT_EQ(Error("policies: [{name: '', type: always_sample}]"),
            "sampling.policies[0].name: must not be empty");
  EXPECT_EQ(Error("policies: [{name: [x], type: always_sample}]"),
            "sampling.policies[0].name: must be a string");
  EXPECT_EQ(Error("policies: [{name: a, type: always_sample}, {name: b, type: always_sample}, "
                  "{name: a, type: trace_flags}]"),
            "sampling.policies[2].name: duplicate policy name \"a\" (also sampling.policies[0])");
  EXPECT_EQ(Error(One("latency: {threshold_ms: 1}")),
            std::string("sampling.policies[0].type: missing; one of ") + kSupported);
  EXPECT_EQ(Error(One("type: sometimes_sample")),
            std::string("sampling.policies[0].type: unknown policy type \"sometimes_sample\"; "
                        "supported: ") +
                kSupported);
  EXPECT_EQ(Error(One("type: ottl_condition, ottl_condition: {span: ['true']}")),
            std::string("sampling.policies[0].type: policy type \"ottl_condition\" is not "
                        "supported by spanvault; supported: ") +
                kSupported);
  EXPECT_THAT(Error(One("type: bytes_limiting, bytes_limiting: {bytes_per_second: 1}")),
              HasSubstr("\"bytes_limiting\" is not supported by spanvault"));
}

TEST(PolicyConfigErrorTest, KeysOfThePolicy) {
  EXPECT_EQ(Error(One("type: latency, latency: {threshold_ms: 1}, lantecy: {}")),
            "sampling.policies[0].lantecy: unknown key; expected name, type or latency");
  EXPECT_EQ(Error(One("type: always_sample, extra: 1")),
            "sampling.policies[0].extra: unknown key; expected name or type");
  EXPECT_EQ(Error(One("type: latency, latency: {threshold_ms: 1}, string_attribute: {key: k}")),
            "sampling.policies[0].string_attribute: not used by a policy of type latency");
  EXPECT_EQ(Error(One("type: latency")),
            "sampling.policies[0].latency: missing; a latency policy needs its fields");
  EXPECT_EQ(Error(One("type: latency, latency: 5")),
            "sampling.policies[0].latency: must be a mapping (key: value)");
}

TEST(PolicyConfigErrorTest, Latency) {
  EXPECT_EQ(Error(One("type: latency, latency: {treshold_ms: 1}")),
            "sampling.policies[0].latency.treshold_ms: unknown key; expected threshold_ms or "
            "upper_threshold_ms");
  EXPECT_EQ(Error(One("type: latency, latency: {}")),
            "sampling.policies[0].latency: needs threshold_ms (and optionally "
            "upper_threshold_ms)");
  EXPECT_EQ(Error(One("type: latency, latency: {threshold_ms: 1s}")),
            "sampling.policies[0].latency.threshold_ms: must be a non-negative integer");
  EXPECT_EQ(Error(One("type: latency, latency: {threshold_ms: 1.5}")),
            "sampling.policies[0].latency.threshold_ms: must be a non-negative integer");
  EXPECT_EQ(Error(One("type: latency, latency: {threshold_ms: 10, upper_threshold_ms: -1}")),
            "sampling.policies[0].latency.upper_threshold_ms: must be a non-negative integer");
  EXPECT_EQ(Error(One("type: latency, latency: {threshold_ms: 10, upper_threshold_ms: 10}")),
            "sampling.policies[0].latency.upper_threshold_ms: must be greater than threshold_ms "
            "(10), or 0 for no upper bound");
}

TEST(PolicyConfigErrorTest, StatusCode) {
  EXPECT_EQ(Error(One("type: status_code, status_code: {}")),
            "sampling.policies[0].status_code.status_codes: missing");
  EXPECT_EQ(Error(One("type: status_code, status_code: {status_codes: []}")),
            "sampling.policies[0].status_code.status_codes: must list at least one value");
  EXPECT_EQ(Error(One("type: status_code, status_code: {status_codes: ERROR}")),
            "sampling.policies[0].status_code.status_codes: must be a list of strings");
  EXPECT_EQ(Error(One("type: status_code, status_code: {status_codes: [ERROR, error]}")),
            "sampling.policies[0].status_code.status_codes[1]: unknown status code \"error\"; "
            "supported: OK, ERROR, UNSET");
}

TEST(PolicyConfigErrorTest, StringAttribute) {
  EXPECT_EQ(Error(One("type: string_attribute, string_attribute: {values: [a]}")),
            "sampling.policies[0].string_attribute.key: missing");
  EXPECT_EQ(Error(One("type: string_attribute, string_attribute: {key: '', values: [a]}")),
            "sampling.policies[0].string_attribute.key: must not be empty");
  EXPECT_EQ(Error(One("type: string_attribute, string_attribute: {key: k}")),
            "sampling.policies[0].string_attribute.values: missing");
  EXPECT_EQ(Error(One("type: string_attribute, string_attribute: {key: k, values: []}")),
            "sampling.policies[0].string_attribute.values: must list at least one value");
  EXPECT_EQ(Error(One("type: string_attribute, string_attribute: {key: k, values: [a, {b: c}]}")),
            "sampling.policies[0].string_attribute.values[1]: must be a string");
  EXPECT_THAT(Error(One("type: string_attribute, string_attribute: {key: k, values: [ok, '(x'], "
                        "enabled_regex_matching: true}")),
              StartsWith("sampling.policies[0].string_attribute.values[1]: invalid regular "
                         "expression \"(x\": "));
  EXPECT_EQ(Error(One("type: string_attribute, string_attribute: {key: k, values: [a], "
                      "enabled_regex_matching: sometimes}")),
            "sampling.policies[0].string_attribute.enabled_regex_matching: must be true or false");
  EXPECT_EQ(Error(One("type: string_attribute, string_attribute: {key: k, values: [a], "
                      "cache_max_size: -1}")),
            "sampling.policies[0].string_attribute.cache_max_size: must be a non-negative "
            "integer");
  EXPECT_EQ(Error(One("type: string_attribute, string_attribute: {key: k, values: [a], "
                      "invert_match: 2}")),
            "sampling.policies[0].string_attribute.invert_match: must be true or false");
  EXPECT_EQ(Error(One("type: string_attribute, string_attribute: {key: k, value: [a]}")),
            "sampling.policies[0].string_attribute.value: unknown key; expected key, values, "
            "enabled_regex_matching, cache_max_size or invert_match");
}

TEST(PolicyConfigErrorTest, NumericAndBooleanAttribute) {
  EXPECT_EQ(Error(One("type: numeric_attribute, numeric_attribute: {key: k}")),
            "sampling.policies[0].numeric_attribute: needs min_value, max_value or both");
  EXPECT_EQ(Error(One("type: numeric_attribute, numeric_attribute: {key: k, min_value: 5xx}")),
            "sampling.policies[0].numeric_attribute.min_value: must be an integer");
  EXPECT_EQ(Error(One("type: numeric_attribute, numeric_attribute: {key: k, min_value: 600, "
                      "max_value: 500}")),
            "sampling.policies[0].numeric_attribute.max_value: must not be less than min_value "
            "(600)");
  EXPECT_EQ(Error(One("type: numeric_attribute, numeric_attribute: {min_value: 1}")),
            "sampling.policies[0].numeric_attribute.key: missing");
  EXPECT_EQ(Error(One("type: boolean_attribute, boolean_attribute: {key: k}")),
            "sampling.policies[0].boolean_attribute.value: missing");
  EXPECT_EQ(Error(One("type: boolean_attribute, boolean_attribute: {key: k, value: maybe}")),
            "sampling.policies[0].boolean_attribute.value: must be true or false");
}

TEST(PolicyConfigErrorTest, SpanCountTraceStateProbabilisticRateLimiting) {
  EXPECT_EQ(Error(One("type: span_count, span_count: {}")),
            "sampling.policies[0].span_count: needs min_spans, max_spans or both");
  EXPECT_EQ(Error(One("type: span_count, span_count: {min_spans: 10, max_spans: 5}")),
            "sampling.policies[0].span_count.max_spans: must not be less than min_spans (10), or "
            "0 for no upper bound");
  EXPECT_EQ(Error(One("type: span_count, span_count: {min_spans: -1}")),
            "sampling.policies[0].span_count.min_spans: must be a non-negative integer");
  EXPECT_EQ(Error(One("type: trace_state, trace_state: {key: k, values: []}")),
            "sampling.policies[0].trace_state.values: must list at least one value");
  EXPECT_EQ(Error(One("type: trace_state, trace_state: {key: k, values: [" + std::string(255, 'v') +
                      "]}")),
            "sampling.policies[0].trace_state.values[0]: key=value is longer than the 256 "
            "characters a tracestate entry allows");
  EXPECT_EQ(Error(One("type: probabilistic, probabilistic: {}")),
            "sampling.policies[0].probabilistic.sampling_percentage: missing");
  EXPECT_EQ(Error(One("type: probabilistic, probabilistic: {sampling_percentage: -1}")),
            "sampling.policies[0].probabilistic.sampling_percentage: must be a non-negative "
            "number");
  EXPECT_EQ(Error(One("type: probabilistic, probabilistic: {sampling_percentage: ten}")),
            "sampling.policies[0].probabilistic.sampling_percentage: must be a non-negative "
            "number");
  EXPECT_EQ(Error(One("type: probabilistic, probabilistic: {sampling_percentage: .nan}")),
            "sampling.policies[0].probabilistic.sampling_percentage: must be a non-negative "
            "number");
  EXPECT_EQ(Error(One("type: rate_limiting, rate_limiting: {spans_per_second: 0}")),
            "sampling.policies[0].rate_limiting.spans_per_second: must be a positive integer");
  EXPECT_EQ(Error(One("type: rate_limiting, rate_limiting: {spans_per_second: 5, "
                      "burst_capacity: 0}")),
            "sampling.policies[0].rate_limiting.burst_capacity: must be a positive integer");
}

TEST(PolicyConfigErrorTest, SubPolicies) {
  EXPECT_EQ(Error(One("type: and, and: {}")),
            "sampling.policies[0].and.and_sub_policy: missing; a list of sub-policies");
  EXPECT_EQ(Error(One("type: and, and: {and_sub_policy: []}")),
            "sampling.policies[0].and.and_sub_policy: must be a non-empty list of policies");
  EXPECT_EQ(Error(One("type: and, and: {and_sub_policy: [{type: always_sample}, {type: "
                      "numeric_attribute, numeric_attribute: {key: k, min_value: x}}]}")),
            "sampling.policies[0].and.and_sub_policy[1].numeric_attribute.min_value: must be an "
            "integer");
  EXPECT_EQ(Error(One("type: and, and: {and_sub_policy: [{type: composite, composite: {}}]}")),
            "sampling.policies[0].and.and_sub_policy[0].type: policy type \"composite\" cannot "
            "be used inside and, drop or not; allowed: always_sample, boolean_attribute, "
            "latency, numeric_attribute, probabilistic, rate_limiting, span_count, status_code, "
            "string_attribute, trace_flags, trace_state");
  EXPECT_THAT(Error(One("type: drop, drop: {drop_sub_policy: [{type: drop, drop: {}}]}")),
              StartsWith("sampling.policies[0].drop.drop_sub_policy[0].type: policy type \"drop\" "
                         "cannot be used inside and, drop or not"));
  EXPECT_EQ(Error(One("type: drop, drop: {drop_sub_policy: [{type: latency}]}")),
            "sampling.policies[0].drop.drop_sub_policy[0].latency: missing; a latency policy "
            "needs its fields");
  EXPECT_EQ(Error(One("type: not, not: {not_sub_policy: [{type: always_sample}]}")),
            "sampling.policies[0].not.not_sub_policy: must be a mapping (key: value)");
  EXPECT_EQ(Error(One("type: not, not: {}")), "sampling.policies[0].not.not_sub_policy: missing");
}

TEST(PolicyConfigErrorTest, Composite) {
  auto composite = [](const std::string& fields) {
    return Error(One("type: composite, composite: {" + fields + "}"));
  };
  const std::string subs =
      "composite_sub_policy: [{name: a, type: always_sample}, {name: b, type: trace_flags}]";
  EXPECT_EQ(composite(subs), "sampling.policies[0].composite.max_total_spans_per_second: missing");
  EXPECT_EQ(composite("max_total_spans_per_second: 0, " + subs),
            "sampling.policies[0].composite.max_total_spans_per_second: must be a positive "
            "integer");
  EXPECT_EQ(composite("max_total_spans_per_second: 10"),
            "sampling.policies[0].composite.composite_sub_policy: missing; a list of "
            "sub-policies");
  EXPECT_EQ(composite("max_total_spans_per_second: 10, composite_sub_policy: [{type: "
                      "always_sample}]"),
            "sampling.policies[0].composite.composite_sub_policy[0].name: missing; every policy "
            "needs a unique name");
  EXPECT_EQ(composite("max_total_spans_per_second: 10, composite_sub_policy: [{name: a, type: "
                      "always_sample}, {name: a, type: trace_flags}]"),
            "sampling.policies[0].composite.composite_sub_policy[1].name: duplicate sub-policy "
            "name \"a\"");
  EXPECT_THAT(composite("max_total_spans_per_second: 10, composite_sub_policy: [{name: a, type: "
                        "not, not: {not_sub_policy: {type: always_sample}}}]"),
              StartsWith("sampling.policies[0].composite.composite_sub_policy[0].type: policy "
                         "type \"not\" cannot be used inside a composite; allowed: "
                         "always_sample, and, boolean_attribute"));
  EXPECT_EQ(composite("max_total_spans_per_second: 10, policy_order: [b, c], " + subs),
            "sampling.policies[0].composite.policy_order[1]: \"c\" is not the name of a "
            "composite_sub_policy");
  EXPECT_EQ(composite("max_total_spans_per_second: 10, policy_order: [b, b], " + subs),
            "sampling.policies[0].composite.policy_order[1]: \"b\" is listed twice");
  EXPECT_EQ(composite("max_total_spans_per_second: 10, rate_allocation: {a: 1}, " + subs),
            "sampling.policies[0].composite.rate_allocation: must be a list of {policy, percent}");
  EXPECT_EQ(composite("max_total_spans_per_second: 10, rate_allocation: [{policy: x, percent: "
                      "1}], " +
                      subs),
            "sampling.policies[0].composite.rate_allocation[0].policy: \"x\" is not the name of "
            "a composite_sub_policy");
  EXPECT_EQ(composite("max_total_spans_per_second: 10, rate_allocation: [{policy: a, percent: "
                      "1}, {policy: a, percent: 2}], " +
                      subs),
            "sampling.policies[0].composite.rate_allocation[1].policy: \"a\" is allocated twice");
  EXPECT_EQ(composite("max_total_spans_per_second: 10, rate_allocation: [{policy: a, percent: "
                      "101}], " +
                      subs),
            "sampling.policies[0].composite.rate_allocation[0].percent: must be an integer from "
            "0 to 100 (0: an equal share)");
  EXPECT_EQ(composite("max_total_spans_per_second: 10, rate_allocation: [{policy: a, percent: "
                      "60}, {policy: b, percent: 50}], " +
                      subs),
            "sampling.policies[0].composite.rate_allocation: percents add up to 110; at most 100");
  EXPECT_EQ(composite("max_total_spans_per_second: 10, rate_allocation: [{policy: a, share: "
                      "60}], " +
                      subs),
            "sampling.policies[0].composite.rate_allocation[0].share: unknown key; expected "
            "policy or percent");
}

// ---------------------------------------------------------------------------------------------
// Building

TEST(BuildPolicySetTest, BuildsEveryTypeWithDropPoliciesFirst) {
  const SamplingConfig config = Parse(R"(
policies:
  - {name: all, type: always_sample}
  - {name: slow, type: latency, latency: {threshold_ms: 1}}
  - {name: ok, type: status_code, status_code: {status_codes: [OK]}}
  - {name: s, type: string_attribute, string_attribute: {key: k, values: ['^a'], enabled_regex_matching: true}}
  - {name: n, type: numeric_attribute, numeric_attribute: {key: k, min_value: 1}}
  - {name: b, type: boolean_attribute, boolean_attribute: {key: k, value: true}}
  - {name: c, type: span_count, span_count: {min_spans: 1}}
  - {name: t, type: trace_state, trace_state: {key: k, values: [v]}}
  - {name: f, type: trace_flags}
  - {name: p, type: probabilistic, probabilistic: {sampling_percentage: 1}}
  - {name: r, type: rate_limiting, rate_limiting: {spans_per_second: 1}}
  - {name: a, type: and, and: {and_sub_policy: [{type: always_sample}]}}
  - {name: x, type: not, not: {not_sub_policy: {type: always_sample}}}
  - {name: health, type: drop, drop: {drop_sub_policy: [{type: trace_flags}]}}
  - name: comp
    type: composite
    composite:
      max_total_spans_per_second: 10
      composite_sub_policy: [{name: one, type: always_sample}]
)");
  FakeClock clock;
  absl::StatusOr<std::unique_ptr<PolicySet>> set = BuildPolicySet(config, clock);
  ASSERT_TRUE(set.ok()) << set.status();
  std::vector<std::string> types;
  for (const auto& policy : (*set)->policies()) types.emplace_back(policy->type());
  EXPECT_THAT(types, ElementsAre("drop", "always_sample", "latency", "status_code",
                                 "string_attribute", "numeric_attribute", "boolean_attribute",
                                 "span_count", "trace_state", "trace_flags", "probabilistic",
                                 "rate_limiting", "and", "not", "composite"));
  EXPECT_EQ((*set)->policies().front()->name(), "health");
}

TEST(BuildPolicySetTest, RejectsABadRegexInAHandMadeSpec) {
  SamplingConfig config;
  PolicySpec spec;
  spec.name = "bad";
  spec.type = PolicyType::kStringAttribute;
  spec.string_attribute = {.key = "k", .values = {"("}, .enabled_regex_matching = true};
  config.policies.push_back(spec);
  FakeClock clock;
  EXPECT_THAT(BuildPolicySet(config, clock), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(BuildPolicySetTest, TheCollectorReadmeExampleLoads) {
  // The example config of the Collector's tail_sampling README, minus the two policy types
  // spanvault does not support (bytes_limiting, ottl_condition).
  const SamplingConfig config = Parse(R"(
decision_wait: 10s
num_traces: 100
expected_new_traces_per_sec: 10
decision_cache:
  sampled_cache_size: 100_000
  non_sampled_cache_size: 100_000
policies:
  [
      {name: test-policy-1, type: always_sample},
      {name: test-policy-2, type: latency, latency: {threshold_ms: 5000, upper_threshold_ms: 10000}},
      {name: test-policy-3, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 50, max_value: 100}},
      {name: test-policy-4, type: probabilistic, probabilistic: {sampling_percentage: 10}},
      {name: test-policy-5, type: status_code, status_code: {status_codes: [ERROR, UNSET]}},
      {name: test-policy-6, type: string_attribute, string_attribute: {key: key2, values: [value1, value2]}},
      {name: test-policy-7, type: string_attribute, string_attribute: {key: key2, values: [value1, val*], enabled_regex_matching: true, cache_max_size: 10}},
      {name: test-policy-8, type: rate_limiting, rate_limiting: {spans_per_second: 35}},
      {name: test-policy-10, type: span_count, span_count: {min_spans: 2, max_spans: 20}},
      {name: test-policy-11, type: trace_state, trace_state: { key: key3, values: [value1, value2] }},
      {name: test-policy-12, type: boolean_attribute, boolean_attribute: {key: key4, value: true}},
      {
        name: and-policy-1,
        type: and,
        and: {
          and_sub_policy:
          [
            {name: test-and-policy-1, type: numeric_attribute, numeric_attribute: { key: key1, min_value: 50, max_value: 100 }},
            {name: test-and-policy-2, type: string_attribute, string_attribute: { key: key2, values: [ value1, value2 ] }},
          ]
        }
      },
      {
        name: drop-policy-1,
        type: drop,
        drop: {
          drop_sub_policy:
          [
            {name: test-drop-policy-1, type: string_attribute, string_attribute: {key: url.path, values: [\/health, \/metrics], enabled_regex_matching: true}}
          ]
        }
      },
      {
        name: composite-policy-1,
        type: composite,
        composite:
          {
            max_total_spans_per_second: 1000,
            policy_order: [test-composite-policy-1, test-composite-policy-2, test-composite-policy-3],
            composite_sub_policy:
              [
                {name: test-composite-policy-1, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 50}},
                {name: test-composite-policy-2, type: string_attribute, string_attribute: {key: key2, values: [value1, value2]}},
                {name: test-composite-policy-3, type: always_sample}
              ],
            rate_allocation:
              [
                {policy: test-composite-policy-1, percent: 50},
                {policy: test-composite-policy-2, percent: 25}
              ]
          }
      },
  ]
)");
  EXPECT_EQ(config.policies.size(), 14u);
  EXPECT_EQ(config.warnings.size(), 3u);
  FakeClock clock;
  EXPECT_TRUE(BuildPolicySet(config, clock).ok());
}

}  // namespace
}  // namespace spanvault::sampling
