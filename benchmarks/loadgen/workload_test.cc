#include "benchmarks/loadgen/workload.h"

#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "common/ids.h"
#include "common/otlp_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spanvault::bench {
namespace {

ExportRequest Decode(const std::string& bytes) {
  ExportRequest r;
  EXPECT_TRUE(r.ParseFromString(bytes));
  return r;
}

template <typename Fn>
void ForEachSpan(const ExportRequest& r, Fn fn) {
  for (const auto& rs : r.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans()) fn(rs, span);
    }
  }
}

TEST(WorkloadTest, RequestsHaveTheConfiguredShape) {
  WorkloadOptions options;
  options.templates = 8;
  options.error_share = 0.5;
  int errors = 0;
  absl::flat_hash_set<std::string> services;
  for (const auto& request : BuildRequests(options)) {
    int spans = 0;
    absl::flat_hash_map<std::string, int> per_trace;
    ForEachSpan(request, [&](const otlp::ResourceSpans& rs, const otlp::Span& span) {
      ++spans;
      ++per_trace[span.trace_id()];
      services.insert(ServiceName(rs.resource()));
      EXPECT_GE(span.attributes_size(), 10);
      EXPECT_LE(span.attributes_size(), 20);
      EXPECT_EQ(span.attributes(0).key(), "order_id");
      if (IsError(span)) ++errors;
    });
    EXPECT_EQ(spans, 100);
    for (const auto& [trace, n] : per_trace) EXPECT_LE(n, 50);
  }
  EXPECT_GT(errors, 0);
  EXPECT_THAT(services, ::testing::IsSupersetOf({"shop-api", "crm-api", "mes-api", "seller-sim"}));
}

TEST(WorkloadTest, StampingGivesFreshIdsAndKeepsParentLinks) {
  WorkloadOptions options;
  options.templates = 2;
  auto pool = RequestPool::Create(options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  std::set<std::string> trace_ids;
  const uint64_t shift = 3'600'000'000'000ull;  // one hour later
  for (uint64_t seq = 0; seq < 6; ++seq) {
    std::string bytes;
    pool->Make(seq, options.base_unix_nano + shift, &bytes);
    ExportRequest stamped = Decode(bytes);
    ExportRequest original = Decode(pool->templates()[seq % 2].bytes);
    std::set<std::string> span_ids, request_traces;
    ForEachSpan(stamped, [&](const otlp::ResourceSpans&, const otlp::Span& span) {
      span_ids.insert(span.span_id());
      request_traces.insert(span.trace_id());
      EXPECT_TRUE(IsValidTraceId(span.trace_id()));
      EXPECT_GE(span.start_time_unix_nano(), options.base_unix_nano + shift);
    });
    ForEachSpan(stamped, [&](const otlp::ResourceSpans&, const otlp::Span& span) {
      if (!span.parent_span_id().empty()) {
        EXPECT_TRUE(span_ids.count(span.parent_span_id()));
      }
    });
    for (const auto& t : request_traces)
      EXPECT_TRUE(trace_ids.insert(t).second) << "trace id reused";
    EXPECT_EQ(stamped.ByteSizeLong(), original.ByteSizeLong());
  }
}

// The order id of each trace of a stamped request; fails when a trace's spans disagree.
std::map<std::string, std::string> OrderIdsByTrace(const std::string& bytes) {
  std::map<std::string, std::string> by_trace;
  ForEachSpan(Decode(bytes), [&](const otlp::ResourceSpans&, const otlp::Span& span) {
    const std::string& order_id = span.attributes(0).value().string_value();
    EXPECT_EQ(span.attributes(0).key(), "order_id");
    EXPECT_THAT(order_id, ::testing::MatchesRegex("ORD-[0-9]{8}"));
    auto [it, inserted] = by_trace.try_emplace(span.trace_id(), order_id);
    EXPECT_EQ(it->second, order_id) << "spans of one trace with different order ids";
  });
  return by_trace;
}

TEST(WorkloadTest, StampingGivesEveryTraceItsOwnOrderId) {
  WorkloadOptions options;
  options.templates = 2;
  auto pool = RequestPool::Create(options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  // Sequences 0 and 2 are two sends of template 0; 1 and 3 of template 1.
  std::set<std::string> order_ids;
  size_t traces = 0;
  for (uint64_t seq = 0; seq < 4; ++seq) {
    std::string bytes;
    pool->Make(seq, options.base_unix_nano, &bytes);
    for (const auto& [trace, order_id] : OrderIdsByTrace(bytes)) {
      ++traces;
      EXPECT_TRUE(order_ids.insert(order_id).second) << order_id << " sent twice";
    }
    EXPECT_EQ(bytes.size(), pool->templates()[seq % 2].bytes.size());
  }
  EXPECT_EQ(traces, pool->templates()[0].trace_count * 2u + pool->templates()[1].trace_count * 2u);
  EXPECT_GT(traces, 8u);
}

TEST(WorkloadTest, OrderIdsAreDeterministicForASeed) {
  WorkloadOptions options;
  options.templates = 1;
  auto a = RequestPool::Create(options);
  auto b = RequestPool::Create(options);
  ASSERT_TRUE(a.ok() && b.ok());
  std::string bytes_a, bytes_b;
  a->Make(7, options.base_unix_nano, &bytes_a);
  b->Make(7, options.base_unix_nano, &bytes_b);
  EXPECT_EQ(OrderIdsByTrace(bytes_a), OrderIdsByTrace(bytes_b));
  EXPECT_EQ(a->templates()[0].order_ids.size(), 100u);  // one per span
}

TEST(WorkloadTest, IndexRequestRejectsGarbage) {
  EXPECT_FALSE(IndexRequest(std::string("\x0a\xff\xff\xff\x0f", 5)).ok());
}

}  // namespace
}  // namespace spanvault::bench
