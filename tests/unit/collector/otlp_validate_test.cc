#include "collector/otlp_validate.h"

#include "absl/strings/str_cat.h"
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

otlp::Span* FirstSpan(ExportRequest& request) {
  return request.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0);
}

// A cut in the middle of a multi-byte character used to leave invalid UTF-8 in a `string`
// field: the span was acknowledged and then its stored record no longer parsed.
TEST(ValidateTest, TruncatesStringsAtACharacterBoundary) {
  std::string two_byte = "a";
  for (int i = 0; i < 40; ++i) two_byte += "\xc3\xa9";  // é
  std::string three_byte;
  for (int i = 0; i < 40; ++i) three_byte += "\xe2\x82\xac";  // €
  ExportRequest request = MakeRequest({{.trace_id = TraceHex(1),
                                        .span_id = SpanHex(1),
                                        .attributes = {{"two", two_byte}, {"three", three_byte}}}});
  FirstSpan(request)->set_name(three_byte);
  ValidationLimits limits{.max_attribute_value_bytes = 32, .max_name_bytes = 8};
  ValidationResult r = ValidateExportRequest(limits, &request);
  EXPECT_EQ(r.truncated_values, 2);
  EXPECT_EQ(r.truncated_names, 1);
  const otlp::Span& span = *FirstSpan(request);
  EXPECT_EQ(span.attributes(0).value().string_value(), two_byte.substr(0, 31));
  EXPECT_EQ(span.attributes(1).value().string_value(), three_byte.substr(0, 30));
  EXPECT_EQ(span.name(), three_byte.substr(0, 6));
  EXPECT_THAT(r.message, HasSubstr("1 span or event name(s) truncated to 8 bytes"));
  ExportRequest reparsed;
  EXPECT_TRUE(reparsed.ParseFromString(request.SerializeAsString()));
}

TEST(ValidateTest, DropsAttributesEventsAndLinksOverTheLimits) {
  ExportRequest request = MakeRequest({{.trace_id = TraceHex(1), .span_id = SpanHex(1)}});
  otlp::Span* span = FirstSpan(request);
  span->set_dropped_attributes_count(2);
  for (int i = 0; i < 10; ++i) span->add_attributes()->set_key(absl::StrCat("k", i));
  for (int i = 0; i < 7; ++i) span->add_events()->set_name(absl::StrCat("e", i));
  for (int i = 0; i < 6; ++i) span->add_links()->add_attributes()->set_key("l");
  for (int i = 0; i < 5; ++i) span->mutable_events(0)->add_attributes()->set_key("ea");
  auto* resource = request.mutable_resource_spans(0)->mutable_resource();
  for (int i = 0; i < 5; ++i) resource->add_attributes()->set_key(absl::StrCat("r", i));
  const int resource_before = resource->attributes_size();
  const int span_before = span->attributes_size();
  const std::string first_key = span->attributes(0).key();
  ValidationLimits limits{.max_attributes = 4, .max_events_per_span = 3, .max_links_per_span = 2};
  ValidationResult r = ValidateExportRequest(limits, &request);
  EXPECT_EQ(r.accepted_spans, 1);
  span = FirstSpan(request);
  ASSERT_EQ(span->attributes_size(), 4);
  EXPECT_EQ(span->attributes(0).key(), first_key);  // the first ones are kept
  EXPECT_EQ(span->dropped_attributes_count(), static_cast<uint32_t>(2 + span_before - 4));
  EXPECT_EQ(span->events_size(), 3);
  EXPECT_EQ(span->events(2).name(), "e2");
  EXPECT_EQ(span->dropped_events_count(), 4u);
  EXPECT_EQ(span->links_size(), 2);
  EXPECT_EQ(span->dropped_links_count(), 4u);
  EXPECT_EQ(span->events(0).attributes_size(), 4);
  EXPECT_EQ(span->events(0).dropped_attributes_count(), 1u);
  EXPECT_EQ(resource->attributes_size(), 4);
  EXPECT_EQ(resource->dropped_attributes_count(), static_cast<uint32_t>(resource_before - 4));
  const int64_t dropped = (span_before - 4) + 4 + 4 + 1 + (resource_before - 4);
  EXPECT_EQ(r.dropped_entries, dropped);
  EXPECT_THAT(r.message, HasSubstr(absl::StrCat(dropped,
                                                " attribute(s), event(s) or link(s) dropped over "
                                                "the limits (4 attributes per list, 3 events, "
                                                "2 links and 16384 attribute values per span)")));
}

// 1024 events of 1024 attributes each pass the per-list limits; the per-span budget counts
// them all, and the values nested in arrays and kvlists too.
TEST(ValidateTest, BudgetsAttributeValuesPerSpan) {
  ExportRequest request = MakeRequest({{.trace_id = TraceHex(1), .span_id = SpanHex(1)}});
  otlp::Span* span = FirstSpan(request);
  span->clear_attributes();
  auto* list = span->add_attributes()->mutable_value()->mutable_kvlist_value();  // 1 + 3 values
  for (int i = 0; i < 3; ++i) list->add_values()->mutable_value()->set_int_value(i);
  for (int e = 0; e < 3; ++e) {
    auto* event = span->add_events();
    for (int i = 0; i < 4; ++i) event->add_attributes()->set_key(absl::StrCat("e", e, "a", i));
  }
  ValidationLimits limits{.max_values_per_span = 10};
  ValidationResult r = ValidateExportRequest(limits, &request);
  span = FirstSpan(request);
  EXPECT_EQ(span->attributes(0).value().kvlist_value().values_size(), 3);  // 4 of 10 used
  EXPECT_EQ(span->events(0).attributes_size(), 4);                         // 8 used
  ASSERT_EQ(span->events(1).attributes_size(), 2);                         // 10 used
  EXPECT_EQ(span->events(1).attributes(1).key(), "e1a1");
  EXPECT_EQ(span->events(1).dropped_attributes_count(), 2u);
  EXPECT_EQ(span->events(2).attributes_size(), 0);
  EXPECT_EQ(span->events(2).dropped_attributes_count(), 4u);
  EXPECT_EQ(r.dropped_entries, 6);

  // Nested entries past the budget are dropped too (they have no dropped count of their own).
  ExportRequest nested = MakeRequest({{.trace_id = TraceHex(1), .span_id = SpanHex(1)}});
  span = FirstSpan(nested);
  span->clear_attributes();
  auto* array = span->add_attributes()->mutable_value()->mutable_array_value();
  for (int i = 0; i < 100; ++i) array->add_values()->set_int_value(i);
  r = ValidateExportRequest(limits, &nested);
  EXPECT_EQ(FirstSpan(nested)->attributes(0).value().array_value().values_size(), 9);
  EXPECT_EQ(r.dropped_entries, 91);
}

TEST(ValidateTest, DroppedCountsSaturate) {
  ExportRequest request = MakeRequest({{.trace_id = TraceHex(1), .span_id = SpanHex(1)}});
  otlp::Span* span = FirstSpan(request);
  span->set_dropped_events_count(UINT32_MAX - 1);
  for (int i = 0; i < 5; ++i) span->add_events();
  ValidationLimits limits{.max_events_per_span = 1};
  ValidateExportRequest(limits, &request);
  EXPECT_EQ(FirstSpan(request)->dropped_events_count(), UINT32_MAX);
}

}  // namespace
}  // namespace spanvault
