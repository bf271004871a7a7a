#include "query/trace_filter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/span_builder.h"

namespace spanvault {
namespace {

using ::spanvault::testing::MakeRequest;
using ::spanvault::testing::SpanHex;
using ::spanvault::testing::TestSpan;
using ::spanvault::testing::TraceHex;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

otlp::TracesData Trace(const std::vector<TestSpan>& spans) {
  otlp::TracesData trace;
  *trace.mutable_resource_spans() = MakeRequest(spans).resource_spans();
  return trace;
}

// A policy of one role: traces:read on `services` with `rules`.
std::shared_ptr<const AccessPolicy> Reads(std::vector<std::string> services,
                                          std::vector<AttributeRule> rules = {}) {
  return AccessPolicy::FromRoles(
      {Role{"r", "", {Action::kTracesRead}, std::move(services), std::move(rules)}});
}

// "key=value" of every attribute, in order.
std::vector<std::string> Flat(const otlp::Attributes& attributes) {
  std::vector<std::string> out;
  for (const auto& kv : attributes) out.push_back(kv.key() + "=" + AnyValueToString(kv.value()));
  return out;
}

TEST(ViewTraceTest, ReadsEverythingReturnsTheTraceUntouched) {
  otlp::TracesData trace = Trace({{.service = "a",
                                   .trace_id = TraceHex(1),
                                   .span_id = SpanHex(1),
                                   .attributes = {{"user_id", "u"}}}});
  auto view = ViewTrace(*AccessPolicy::Unrestricted(), trace);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->SerializeAsString(), trace.SerializeAsString());
}

TEST(ViewTraceTest, HiddenServicesBecomeOnePlaceholderResource) {
  otlp::TracesData trace = Trace({
      {.service = "a", .trace_id = TraceHex(1), .span_id = SpanHex(1), .name = "root"},
      {.service = "b",
       .trace_id = TraceHex(1),
       .span_id = SpanHex(2),
       .parent_span_id = SpanHex(1),
       .name = "secret",
       .kind = 3,
       .start_unix_nano = 10,
       .duration_nanos = 5,
       .attributes = {{"k", "v"}},
       .resource_attributes = {{"host.name", "h"}},
       .error = true},
      {.service = "c",
       .trace_id = TraceHex(1),
       .span_id = SpanHex(3),
       .parent_span_id = SpanHex(2),
       .name = "secret too"},
  });
  trace.mutable_resource_spans(1)->mutable_scope_spans(0)->mutable_spans(0)->add_events()->set_name(
      "e");
  auto view = ViewTrace(*Reads({"a"}), trace);
  ASSERT_TRUE(view.has_value());
  ASSERT_EQ(view->resource_spans_size(), 2);
  EXPECT_EQ(view->resource_spans(0).SerializeAsString(),
            trace.resource_spans(0).SerializeAsString());
  const otlp::ResourceSpans& hidden = view->resource_spans(1);
  EXPECT_THAT(Flat(hidden.resource().attributes()), ElementsAre("service.name=[hidden]"));
  ASSERT_EQ(hidden.scope_spans_size(), 1);
  EXPECT_EQ(hidden.scope_spans(0).scope().name(), "");
  ASSERT_EQ(hidden.scope_spans(0).spans_size(), 2);
  const otlp::Span& b = hidden.scope_spans(0).spans(0);
  const otlp::Span& original = trace.resource_spans(1).scope_spans(0).spans(0);
  EXPECT_EQ(b.trace_id(), original.trace_id());
  EXPECT_EQ(b.span_id(), original.span_id());
  EXPECT_EQ(b.parent_span_id(), original.parent_span_id());
  EXPECT_EQ(b.start_time_unix_nano(), 10u);
  EXPECT_EQ(b.end_time_unix_nano(), 15u);
  EXPECT_EQ(b.kind(), 3);
  EXPECT_EQ(b.name(), "[hidden]");
  EXPECT_THAT(b.attributes(), IsEmpty());
  EXPECT_THAT(b.events(), IsEmpty());
  EXPECT_THAT(b.links(), IsEmpty());
  EXPECT_FALSE(b.has_status());
  EXPECT_EQ(hidden.scope_spans(0).spans(1).name(), "[hidden]");
}

TEST(ViewTraceTest, NoReadableSpanIsNoTrace) {
  otlp::TracesData trace =
      Trace({{.service = "b", .trace_id = TraceHex(1), .span_id = SpanHex(1)}});
  EXPECT_FALSE(ViewTrace(*Reads({"a"}), trace).has_value());
  EXPECT_FALSE(ViewTrace(*AccessPolicy::FromRoles({}), trace).has_value());
  EXPECT_FALSE(ViewTrace(*Reads({"a"}), otlp::TracesData()).has_value());
}

TEST(ViewTraceTest, RedactsAndHidesEveryKindOfAttribute) {
  otlp::TracesData trace =
      Trace({{.service = "a",
              .trace_id = TraceHex(1),
              .span_id = SpanHex(1),
              .attributes = {{"user_id", "u"}, {"card", "4111"}, {"order_id", "A-1"}},
              .resource_attributes = {{"user_id", "u"}, {"card", "4111"}, {"zone", "z"}}}});
  auto* ss = trace.mutable_resource_spans(0)->mutable_scope_spans(0);
  *ss->mutable_scope()->mutable_attributes() = trace.resource_spans(0).resource().attributes();
  auto* span = ss->mutable_spans(0);
  *span->add_events()->mutable_attributes() = span->attributes();
  *span->add_links()->mutable_attributes() = span->attributes();
  // A rule on service.name would hide the service from its own caller: it is never applied.
  auto policy = Reads({"a"}, {{"user_id", AttributeAccess::kHide},
                              {"car?", AttributeAccess::kRedact},
                              {"service.*", AttributeAccess::kHide}});
  auto view = ViewTrace(*policy, trace);
  ASSERT_TRUE(view.has_value());
  const auto& rs = view->resource_spans(0);
  EXPECT_THAT(Flat(rs.resource().attributes()),
              ElementsAre("service.name=a", "card=[redacted]", "zone=z"));
  EXPECT_THAT(Flat(rs.scope_spans(0).scope().attributes()),
              ElementsAre("card=[redacted]", "zone=z"));
  const otlp::Span& out = rs.scope_spans(0).spans(0);
  auto expected = ElementsAre("card=[redacted]", "order_id=A-1");
  EXPECT_THAT(Flat(out.attributes()), expected);
  EXPECT_THAT(Flat(out.events(0).attributes()), expected);
  EXPECT_THAT(Flat(out.links(0).attributes()), expected);
}

TEST(ViewTraceTest, RulesFollowTheSpansService) {
  // The broader of two roles wins, per service.
  auto policy = AccessPolicy::FromRoles({Role{"a-redacted",
                                              "",
                                              {Action::kTracesRead},
                                              {"a", "b"},
                                              {{"user_id", AttributeAccess::kRedact}}},
                                         Role{"b-full", "", {Action::kTracesRead}, {"b"}, {}}});
  otlp::TracesData trace = Trace({{.service = "a",
                                   .trace_id = TraceHex(1),
                                   .span_id = SpanHex(1),
                                   .attributes = {{"user_id", "u"}}},
                                  {.service = "b",
                                   .trace_id = TraceHex(1),
                                   .span_id = SpanHex(2),
                                   .attributes = {{"user_id", "u"}}}});
  auto view = ViewTrace(*policy, trace);
  ASSERT_TRUE(view.has_value());
  EXPECT_THAT(Flat(view->resource_spans(0).scope_spans(0).spans(0).attributes()),
              ElementsAre("user_id=[redacted]"));
  EXPECT_THAT(Flat(view->resource_spans(1).scope_spans(0).spans(0).attributes()),
              ElementsAre("user_id=u"));
}

TraceSummary Summary() {
  TraceSummary s;
  s.root_service_name = "b";
  s.root_operation_name = "secret";
  s.min_start_time_unix_nano = 1;
  s.max_end_time_unix_nano = 9;
  s.span_count = 6;
  s.error_span_count = 3;
  s.services = {{"a", 2, 1}, {"b", 3, 2}, {"c", 1, 0}};
  return s;
}

TEST(ViewSummaryTest, CountsOnlyReadableServices) {
  auto view = ViewSummary(*Reads({"a", "c"}), Summary());
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->root_service_name, "");
  EXPECT_EQ(view->root_operation_name, "");
  EXPECT_EQ(view->span_count, 3);
  EXPECT_EQ(view->error_span_count, 1);
  ASSERT_EQ(view->services.size(), 2u);
  EXPECT_EQ(view->services[0].name, "a");
  EXPECT_EQ(view->services[1].name, "c");
  EXPECT_EQ(view->min_start_time_unix_nano, 1u);
  EXPECT_EQ(view->max_end_time_unix_nano, 9u);

  view = ViewSummary(*Reads({"b"}), Summary());
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->root_service_name, "b");
  EXPECT_EQ(view->root_operation_name, "secret");
  EXPECT_EQ(view->span_count, 3);

  EXPECT_FALSE(ViewSummary(*Reads({"x"}), Summary()).has_value());
  EXPECT_EQ(ViewSummary(*AccessPolicy::Unrestricted(), Summary())->span_count, 6);
}

TEST(ScopeOfTest, ReadableServicesAndFullyShownAttributes) {
  SearchScope everything = ScopeOf(AccessPolicy::Unrestricted());
  EXPECT_FALSE(everything.service_visible);
  EXPECT_FALSE(everything.tag_visible);
  SearchScope scope = ScopeOf(Reads(
      {"shop-*"}, {{"user_id", AttributeAccess::kRedact}, {"email", AttributeAccess::kHide}}));
  EXPECT_TRUE(ServiceInScope(scope, "shop-api"));
  EXPECT_FALSE(ServiceInScope(scope, "billing-api"));
  EXPECT_TRUE(TagInScope(scope, "shop-api", "order_id"));
  EXPECT_FALSE(TagInScope(scope, "shop-api", "user_id"));
  EXPECT_FALSE(TagInScope(scope, "shop-api", "email"));
  EXPECT_FALSE(TagInScope(scope, "billing-api", "order_id"));
}

}  // namespace
}  // namespace spanvault
