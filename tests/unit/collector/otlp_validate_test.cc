#include "collector/otlp_validate.h"

#include "common/ids.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/span_builder.h"

namespace spanvault {
namespace {

using ::spanvault::testing::MakeRequest;
using ::spanvault::testing::SpanHex;
using ::spanvault::testing::TestSpan;
using ::spanvault::testing::TraceHex;
using ::testing::HasSubstr;

TEST(ValidateTest, KeepsValidSpansUntouched) {
  ExportRequest request =
      MakeRequest({{.trace_id = TraceHex(1), .span_id = SpanHex(1)},
                   {.trace_id = TraceHex(1), .span_id = SpanHex(2), .parent_span_id = SpanHex(1)}});
  ValidationResult r = ValidateExportRequest({}, &request);
  EXPECT_EQ(r.accepted_spans, 2);
  EXPECT_EQ(r.rejected_spans, 0);
  EXPECT_EQ(r.message, "");
  EXPECT_EQ(CountSpans(request), 2u);
}

TEST(ValidateTest, RejectsBadIdsAndNamesTheFirst) {
  ExportRequest request = MakeRequest({{.trace_id = TraceHex(1), .span_id = SpanHex(1)},
                                       {.trace_id = TraceHex(0), .span_id = SpanHex(2)},
                                       {.trace_id = TraceHex(3), .span_id = SpanHex(0)}});
  auto* short_id = request.mutable_resource_spans(0)->mutable_scope_spans(0)->add_spans();
  short_id->set_trace_id("abc");
  short_id->set_span_id("12345678");
  auto* bad_parent = request.mutable_resource_spans(0)->mutable_scope_spans(0)->add_spans();
  *bad_parent = request.resource_spans(0).scope_spans(0).spans(0);
  bad_parent->set_parent_span_id("123");
  ValidationResult r = ValidateExportRequest({}, &request);
  EXPECT_EQ(r.accepted_spans, 1);
  EXPECT_EQ(r.rejected_spans, 4);
  EXPECT_THAT(r.message, HasSubstr("4 span(s) rejected; first: resourceSpans[0].scopeSpans[0]"
                                   ".spans[1]: trace id must be 16 bytes, got 3"));
  EXPECT_EQ(CountSpans(request), 1u);
  EXPECT_EQ(BytesToHex(request.resource_spans(0).scope_spans(0).spans(0).span_id()), SpanHex(1));
}

TEST(ValidateTest, TruncatesOversizedValuesEverywhere) {
  ExportRequest request =
      MakeRequest({{.trace_id = TraceHex(1),
                    .span_id = SpanHex(1),
                    .attributes = {{"big", std::string(100, 'x')}, {"small", "y"}},
                    .resource_attributes = {{"host", std::string(50, 'h')}}}});
  auto* span = request.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0);
  auto* nested = span->add_attributes();
  nested->set_key("list");
  nested->mutable_value()->mutable_array_value()->add_values()->set_string_value(
      std::string(40, 'z'));
  auto* event = span->add_events();
  event->add_attributes()->mutable_value()->set_bytes_value(std::string(33, 'b'));
  ValidationLimits limits{.max_attribute_value_bytes = 32};
  ValidationResult r = ValidateExportRequest(limits, &request);
  EXPECT_EQ(r.accepted_spans, 1);
  EXPECT_EQ(r.rejected_spans, 0);
  EXPECT_EQ(r.truncated_values, 4);
  EXPECT_THAT(r.message, HasSubstr("4 attribute value(s) truncated to 32 bytes"));
  EXPECT_EQ(span->attributes(0).value().string_value(), std::string(32, 'x'));
  EXPECT_EQ(span->attributes(1).value().string_value(), "y");
  EXPECT_EQ(span->attributes(2).value().array_value().values(0).string_value().size(), 32u);
  EXPECT_EQ(span->events(0).attributes(0).value().bytes_value().size(), 32u);
}

}  // namespace
}  // namespace spanvault
