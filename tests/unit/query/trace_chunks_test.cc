#include "query/trace_chunks.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/span_builder.h"

namespace spanvault {
namespace {

using testing::AddResource;
using testing::AddSpan;
using testing::AddValue;

constexpr char kTraceHex[] = "0af7651916cd43dd8448eb211c80319c";

// A span carrying `payload_bytes` of attribute data.
void AddBigSpan(otlp::ScopeSpans* ss, int n, size_t payload_bytes) {
  otlp::Span* span = AddSpan(ss, kTraceHex, testing::SpanHex(n + 1), "", absl::StrCat("op", n),
                             1000 + n, 2000 + n);
  AddValue(span->mutable_attributes(), "payload")
      ->set_string_value(std::string(payload_bytes, 'x'));
}

// The span names of every chunk, in order.
std::vector<std::string> Names(const std::vector<otlp::TracesData>& chunks) {
  std::vector<std::string> names;
  for (const auto& chunk : chunks) {
    for (const auto& rs : chunk.resource_spans()) {
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& span : ss.spans()) names.push_back(span.name());
      }
    }
  }
  return names;
}

TEST(SplitTraceTest, ASmallTraceIsOneChunkAsItWas) {
  otlp::TracesData trace;
  otlp::ScopeSpans* ss = AddResource(trace, "shop", "h1")->add_scope_spans();
  ss->mutable_scope()->set_name("lib");
  for (int i = 0; i < 5; ++i) AddBigSpan(ss, i, 10);
  std::vector<otlp::TracesData> chunks = SplitTrace(trace);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].SerializeAsString(), trace.SerializeAsString());
}

TEST(SplitTraceTest, ALargeTraceSplitsUnderTheLimitKeepingOrderResourceAndScope) {
  otlp::TracesData trace;
  otlp::ResourceSpans* shop = AddResource(trace, "shop", "h1");
  otlp::ScopeSpans* a = shop->add_scope_spans();
  a->mutable_scope()->set_name("lib-a");
  for (int i = 0; i < 6; ++i) AddBigSpan(a, i, 300);
  otlp::ScopeSpans* b = shop->add_scope_spans();
  b->mutable_scope()->set_name("lib-b");
  for (int i = 6; i < 9; ++i) AddBigSpan(b, i, 300);
  otlp::ScopeSpans* c = AddResource(trace, "mes", "h2")->add_scope_spans();
  for (int i = 9; i < 12; ++i) AddBigSpan(c, i, 300);

  constexpr size_t kMax = 1000;
  std::vector<otlp::TracesData> chunks = SplitTrace(trace, kMax);
  ASSERT_GT(chunks.size(), 3u);
  std::vector<std::string> want;
  for (int i = 0; i < 12; ++i) want.push_back(absl::StrCat("op", i));
  EXPECT_EQ(Names(chunks), want);
  for (const auto& chunk : chunks) {
    EXPECT_LE(chunk.ByteSizeLong(), kMax);
    ASSERT_GT(chunk.resource_spans_size(), 0);
    for (const auto& rs : chunk.resource_spans()) {
      const std::string service = ServiceName(rs.resource());
      ASSERT_GT(rs.scope_spans_size(), 0);
      for (const auto& ss : rs.scope_spans()) {
        ASSERT_GT(ss.spans_size(), 0) << "no empty scope group";
        for (const auto& span : ss.spans()) {
          const int n = std::stoi(span.name().substr(2));
          EXPECT_EQ(service, n < 9 ? "shop" : "mes") << span.name();
          EXPECT_EQ(ss.scope().name(), n < 6 ? "lib-a" : n < 9 ? "lib-b" : "") << span.name();
        }
      }
    }
  }
}

TEST(SplitTraceTest, ASpanLargerThanTheLimitTravelsAlone) {
  otlp::TracesData trace;
  otlp::ScopeSpans* ss = AddResource(trace, "shop", "")->add_scope_spans();
  AddBigSpan(ss, 0, 10);
  AddBigSpan(ss, 1, 5000);
  AddBigSpan(ss, 2, 10);
  std::vector<otlp::TracesData> chunks = SplitTrace(trace, 1000);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(Names({chunks[1]}), std::vector<std::string>{"op1"});
}

TEST(SplitTraceTest, NoChunkWithoutSpans) {
  EXPECT_TRUE(SplitTrace(otlp::TracesData()).empty());
  otlp::TracesData trace;
  AddResource(trace, "shop", "")->add_scope_spans();  // a group without spans
  EXPECT_TRUE(SplitTrace(trace).empty());
  otlp::ScopeSpans* ss = AddResource(trace, "mes", "")->add_scope_spans();
  AddBigSpan(ss, 0, 10);
  std::vector<otlp::TracesData> chunks = SplitTrace(trace);
  ASSERT_EQ(chunks.size(), 1u);
  ASSERT_EQ(chunks[0].resource_spans_size(), 1);
  EXPECT_EQ(ServiceName(chunks[0].resource_spans(0).resource()), "mes");
}

TEST(ChunkJaegerSpansTest, GroupsOfAtMostMaxSpansWithProcesses) {
  otlp::TracesData trace;
  otlp::ScopeSpans* ss = AddResource(trace, "shop", "h1")->add_scope_spans();
  for (int i = 0; i < 7; ++i) AddBigSpan(ss, i, 1);
  std::vector<std::vector<::jaeger::api_v2::Span>> groups = ChunkJaegerSpans(trace, 3);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].size(), 3u);
  EXPECT_EQ(groups[2].size(), 1u);
  EXPECT_EQ(groups[2][0].operation_name(), "op6");
  EXPECT_EQ(groups[1][0].process().service_name(), "shop");
  EXPECT_TRUE(ChunkJaegerSpans(otlp::TracesData(), 3).empty());
}

TEST(ChunkJaegerSpansTest, GroupsStayUnderTheByteLimit) {
  otlp::TracesData trace;
  otlp::ScopeSpans* ss = AddResource(trace, "shop", "h1")->add_scope_spans();
  for (int i = 0; i < 6; ++i) AddBigSpan(ss, i, 300);
  std::vector<std::vector<::jaeger::api_v2::Span>> groups = ChunkJaegerSpans(trace, 100, 1000);
  ASSERT_EQ(groups.size(), 3u);
  for (const auto& group : groups) {
    size_t bytes = 0;
    for (const auto& span : group) bytes += span.ByteSizeLong();
    EXPECT_LE(bytes, 1000u);
    EXPECT_EQ(group.size(), 2u);
  }
}

}  // namespace
}  // namespace spanvault
