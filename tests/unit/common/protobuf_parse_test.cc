#include "common/protobuf_parse.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace spanvault {
namespace {

using ExportRequest = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using ::testing::HasSubstr;

// A request whose only span's name is `name`, serialized with the name as raw bytes.
std::string RequestWithSpanName(const std::string& name) {
  ExportRequest request;
  request.add_resource_spans()->add_scope_spans()->add_spans()->set_name("@@@");
  std::string wire = request.SerializeAsString();
  // The name is the last field: replace its three bytes (same length keeps the prefixes).
  wire.replace(wire.size() - 3, 3, name);
  return wire;
}

TEST(ProtobufParseProblemTest, EmptyOnSuccess) {
  ExportRequest request;
  const std::string wire = RequestWithSpanName("abc");
  EXPECT_EQ(ProtobufParseProblem([&] { return request.ParseFromString(wire); }), "");
  EXPECT_EQ(request.resource_spans(0).scope_spans(0).spans(0).name(), "abc");
}

TEST(ProtobufParseProblemTest, NamesTheFieldThatIsNotUtf8) {
  ExportRequest request;
  const std::string wire = RequestWithSpanName("a\xc3(");
  EXPECT_EQ(ProtobufParseProblem([&] { return request.ParseFromString(wire); }),
            "string field 'opentelemetry.proto.trace.v1.Span.name' is not valid UTF-8");
}

TEST(ProtobufParseProblemTest, ListsTheOtherCausesForMalformedOrTooDeep) {
  ExportRequest request;
  const std::string wire = RequestWithSpanName("abc");
  EXPECT_THAT(ProtobufParseProblem([&] { return request.ParseFromString(wire.substr(0, 5)); }),
              HasSubstr("malformed protobuf wire format, or messages nested deeper than 100"));
  // A kvlist attribute value nested 40 levels deep: more than 100 messages.
  ExportRequest deep;
  auto* value =
      deep.add_resource_spans()->add_scope_spans()->add_spans()->add_attributes()->mutable_value();
  for (int i = 0; i < 40; ++i) {
    auto* kv = value->mutable_kvlist_value()->add_values();
    kv->set_key("k");
    value = kv->mutable_value();
  }
  value->set_int_value(1);
  const std::string deep_wire = deep.SerializeAsString();
  EXPECT_THAT(ProtobufParseProblem([&] { return request.ParseFromString(deep_wire); }),
              HasSubstr("nested deeper than 100 levels"));
}

// Outside ProtobufParseProblem nothing is captured: a later problem is reported afresh.
TEST(ProtobufParseProblemTest, CapturesOnlyItsOwnParse) {
  ExportRequest request;
  const std::string bad = RequestWithSpanName(
      "a\xff"
      "b");
  EXPECT_THAT(ProtobufParseProblem([&] { return request.ParseFromString(bad); }),
              HasSubstr("is not valid UTF-8"));
  const std::string truncated = RequestWithSpanName("abc").substr(0, 5);
  EXPECT_THAT(ProtobufParseProblem([&] { return request.ParseFromString(truncated); }),
              HasSubstr("malformed protobuf wire format"));
}

}  // namespace
}  // namespace spanvault
