// The production set recommended in docs/sampling.md, end to end: parsed, built and applied to
// the order pipeline's kinds of traces. kRecommended must stay identical to the block in the docs
// (DocsShowThisConfig checks it).

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "sampling/sampling_config.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/markdown.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/sampling/test_trace.h"
#include "yaml-cpp/yaml.h"

namespace spanvault::sampling {
namespace {

using ::spanvault::testing::FakeClock;
using testing::Int;
using testing::SetStatus;
using testing::Str;
using testing::TestTrace;

// The value of `sampling:` in docs/sampling.md's recommended configuration.
constexpr const char* kRecommended = R"(
decision_wait: 10s
decision_quiet: 2s
policies:
  # Every trace with an error span.
  - name: errors
    type: status_code
    status_code: {status_codes: [ERROR]}
  # Every trace slower than 1 s, first span start to last span end.
  - name: slow
    type: latency
    latency: {threshold_ms: 1000}
  # Every seller API call answered with a 5xx.
  - name: seller-api-5xx
    type: numeric_attribute
    numeric_attribute: {key: http.response.status_code, min_value: 500, max_value: 599}
  # Orders someone is watching (spanvaultctl sampling add covers ad-hoc ones).
  - name: watched-orders
    type: string_attribute
    string_attribute: {key: order_id, values: [A-1001, A-1002]}
  # 10 % of everything else, the same 10 % on every spanvault node.
  - name: baseline
    type: probabilistic
    probabilistic: {sampling_percentage: 10}
)";

class RecommendedConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<SamplingConfig> config = ParseSamplingConfigText(kRecommended);
    ASSERT_TRUE(config.ok()) << config.status();
    ASSERT_TRUE(config->warnings.empty());
    absl::StatusOr<std::unique_ptr<PolicySet>> set = BuildPolicySet(*config, clock_);
    ASSERT_TRUE(set.ok()) << set.status();
    set_ = *std::move(set);
  }

  // A plain checkout trace (fast, OK, unwatched) with id `id` that the baseline does not keep.
  static uint64_t UnsampledId(const PolicySet& set) {
    for (uint64_t id = 1;; ++id) {
      TestTrace trace(id);
      trace.Span(0, 5, true);
      if (!set.Evaluate(trace.View()).keep) return id;
    }
  }

  FakeClock clock_;
  std::unique_ptr<PolicySet> set_;
};

TEST_F(RecommendedConfigTest, KeepsErrorsSlowSeller5xxAndWatchedOrders) {
  const uint64_t id = UnsampledId(*set_);

  TestTrace error(id);
  error.Resource("mes-api");
  error.Span(0, 5, true);
  SetStatus(error.Span(1, 2), otlp::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(set_->Evaluate(error.View()).policy, "errors");

  TestTrace slow(id);
  slow.Resource("shop-api");
  slow.Span(0, 300, true);
  slow.Resource("crm-api");
  slow.Span(900, 150);  // 1,050 ms end to end
  EXPECT_EQ(set_->Evaluate(slow.View()).policy, "slow");

  TestTrace seller(id);
  seller.Resource("mes-api");
  seller.Span(0, 20, true, {{"http.response.status_code", Int(503)}, {"client_id", Str("s-7")}});
  EXPECT_EQ(set_->Evaluate(seller.View()).policy, "seller-api-5xx");

  TestTrace watched(id);
  watched.Resource("shop-api", {{"order_id", Str("A-1002")}});
  watched.Span(0, 5, true);
  EXPECT_EQ(set_->Evaluate(watched.View()).policy, "watched-orders");

  TestTrace plain(id);
  plain.Span(0, 5, true, {{"http.response.status_code", Int(404)}, {"order_id", Str("A-9")}});
  const SamplingResult result = set_->Evaluate(plain.View());
  EXPECT_FALSE(result.keep);
  EXPECT_EQ(result.policy, "");
}

TEST_F(RecommendedConfigTest, KeepsTenPercentOfTheRest) {
  constexpr int kTraces = 10'000;
  int kept = 0;
  for (int i = 0; i < kTraces; ++i) {
    TestTrace trace(static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ull);
    trace.Span(0, 5, true);
    const SamplingResult result = set_->Evaluate(trace.View());
    if (result.keep) {
      ++kept;
      EXPECT_EQ(result.policy, "baseline");
    }
  }
  EXPECT_NEAR(kept, 1000, 4.5 * std::sqrt(kTraces * 0.1 * 0.9));
}

// The first ```yaml block after the "Recommended production set" heading of docs/sampling.md.
std::string DocsRecommendedBlock() {
  std::ifstream in(std::string(SPANVAULT_SOURCE_DIR) + "/docs/sampling.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const size_t heading = doc.find("## Recommended production set");
  const size_t start = doc.find("```yaml\n", heading);
  const size_t end = doc.find("```\n", start + 8);
  if (heading == std::string::npos || start == std::string::npos || end == std::string::npos) {
    return "";
  }
  return doc.substr(start + 8, end - start - 8);
}

TEST(RecommendedConfigDocsTest, DocsShowThisConfig) {
  const std::string block = DocsRecommendedBlock();
  ASSERT_FALSE(block.empty()) << "docs/sampling.md has no recommended YAML block";
  const YAML::Node docs = YAML::Load(block);
  EXPECT_EQ(YAML::Dump(docs["sampling"]), YAML::Dump(YAML::Load(kRecommended)));
  EXPECT_TRUE(ParseSamplingConfig(docs["sampling"]).ok());
}

// Every ```yaml block of docs/sampling.md is a valid `sampling` section, a policy list item or
// several: examples that do not load are worse than none.
TEST(RecommendedConfigDocsTest, EveryExampleInTheDocsLoads) {
  auto blocks =
      spanvault::testing::YamlBlocks(std::string(SPANVAULT_SOURCE_DIR) + "/docs/sampling.md");
  SV_ASSERT_OK(blocks);
  for (const std::string& block : *blocks) {
    const bool policies_only = block.rfind("- ", 0) == 0;
    const std::string section =
        policies_only ? "policies:\n" + block : YAML::Dump(YAML::Load(block)["sampling"]);
    absl::StatusOr<SamplingConfig> config = ParseSamplingConfigText(section);
    EXPECT_TRUE(config.ok()) << config.status() << "\n" << block;
  }
  EXPECT_GE(blocks->size(), 10u);
}

}  // namespace
}  // namespace spanvault::sampling
