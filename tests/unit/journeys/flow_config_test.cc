// The `flows` config section: the issue's exact syntax parses; each mistake is refused with a
// message naming the bad field.

#include "journeys/flow_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace spanvault::journeys {
namespace {

using ::testing::HasSubstr;

constexpr char kOrderFlow[] = R"(
- name: order
  key: order_id
  steps:
    - {name: placed,    service: shop-api, operation: "POST /orders"}
    - {name: created,   service: crm-api,  operation: create-order, within: 30s}
    - {name: published, service: crm-api,  kind: producer, destination: orders, within: 30s}
    - {name: consumed,  service: mes-api,  kind: consumer, destination: orders, within: 5m}
    - {name: confirmed, service: mes-api,  operation: "POST /sellers/*/confirm", within: 1m}
  final: confirmed
)";

absl::StatusOr<std::vector<Flow>> Parse(const std::string& yaml) {
  return ParseFlows(YAML::Load(yaml));
}

std::string ErrorOf(const std::string& yaml) {
  auto flows = Parse(yaml);
  EXPECT_FALSE(flows.ok());
  return flows.ok() ? "" : std::string(flows.status().message());
}

TEST(FlowConfigTest, ParsesTheIssuesOrderFlow) {
  auto flows = Parse(kOrderFlow);
  SV_ASSERT_OK(flows.status());
  ASSERT_EQ(flows->size(), 1u);
  const Flow& flow = (*flows)[0];
  EXPECT_EQ(flow.name, "order");
  EXPECT_EQ(flow.key, "order_id");
  ASSERT_EQ(flow.steps.size(), 5u);
  EXPECT_EQ(flow.final_step, 4u);
  EXPECT_EQ(flow.steps[0].operation, "POST /orders");
  EXPECT_FALSE(flow.steps[0].kind.has_value());
  EXPECT_EQ(flow.steps[0].within, absl::ZeroDuration());
  EXPECT_EQ(flow.steps[2].kind, 4);
  EXPECT_EQ(flow.steps[2].destination, "orders");
  EXPECT_EQ(flow.steps[3].kind, 5);
  EXPECT_EQ(flow.steps[3].within, absl::Minutes(5));
  EXPECT_EQ(flow.steps[4].operation, "POST /sellers/*/confirm");
}

TEST(FlowConfigTest, FinalDefaultsToTheLastStep) {
  auto flows = Parse("[{name: f, key: k, steps: [{name: a, service: s}, {name: b, service: s}]}]");
  SV_ASSERT_OK(flows.status());
  EXPECT_EQ((*flows)[0].final_step, 1u);
}

TEST(FlowConfigTest, RefusesAnUnknownKind) {
  EXPECT_THAT(ErrorOf("[{name: f, key: k, steps: [{name: a, service: s, kind: prod}]}]"),
              HasSubstr("flows[0].steps[0].kind\": unknown span kind \"prod\""));
}

TEST(FlowConfigTest, RefusesAStepWithoutService) {
  EXPECT_THAT(ErrorOf("[{name: f, key: k, steps: [{name: a, service: s}, {name: b}]}]"),
              HasSubstr("flows[0].steps[1].service\": is required"));
}

TEST(FlowConfigTest, RefusesAFinalThatIsNotAStep) {
  EXPECT_THAT(ErrorOf("[{name: f, key: k, steps: [{name: a, service: s}], final: done}]"),
              HasSubstr("flows[0].final\": \"done\" is not a step of flow \"f\""));
}

TEST(FlowConfigTest, RefusesABadDuration) {
  EXPECT_THAT(ErrorOf("[{name: f, key: k, steps: [{name: a, service: s, within: 30}]}]"),
              HasSubstr("flows[0].steps[0].within\": time: missing unit"));
  EXPECT_THAT(ErrorOf("[{name: f, key: k, steps: [{name: a, service: s, within: -3s}]}]"),
              HasSubstr("flows[0].steps[0].within"));
}

TEST(FlowConfigTest, RefusesUnknownFieldsMissingKeysAndDuplicates) {
  EXPECT_THAT(ErrorOf("[{name: f, key: k, steps: [{name: a, service: s, servce: x}]}]"),
              HasSubstr("flows[0].steps[0].servce\": unknown field"));
  EXPECT_THAT(ErrorOf("[{name: f, steps: [{name: a, service: s}]}]"),
              HasSubstr("flows[0].key\": is required"));
  EXPECT_THAT(ErrorOf("[{name: f, key: k, steps: []}]"), HasSubstr("flows[0].steps\""));
  EXPECT_THAT(ErrorOf("[{name: f, key: k, steps: [{name: a, service: s}, {name: a, service: t}]}]"),
              HasSubstr("duplicate step name \"a\""));
  EXPECT_THAT(ErrorOf("[{name: \"a b\", key: k, steps: [{name: a, service: s}]}]"),
              HasSubstr("flows[0].name"));
  EXPECT_THAT(ErrorOf("{name: f}"), HasSubstr("must be a list of flows"));
}

TEST(FlowMatchTest, MatchesServiceOperationGlobKindAndDestination) {
  auto flows = Parse(kOrderFlow);
  SV_ASSERT_OK(flows.status());
  const Flow& flow = (*flows)[0];
  JourneySpan span;
  span.service = "mes-api";
  span.name = "POST /sellers/acme/confirm";
  span.kind = 2;
  EXPECT_EQ(MatchStep(flow, span), 4u);
  span.name = "POST /sellers/acme/cancel";
  EXPECT_EQ(MatchStep(flow, span), std::nullopt);
  span.name = "orders process";
  span.kind = 5;
  span.destination = "orders";
  EXPECT_EQ(MatchStep(flow, span), 3u);
  span.destination = "invoices";
  EXPECT_EQ(MatchStep(flow, span), std::nullopt);
  EXPECT_TRUE(GlobMatch("a*b*c", "axxbyyc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "axxbyy"));
  EXPECT_TRUE(GlobMatch("*", ""));
}

}  // namespace
}  // namespace spanvault::journeys
