// DependencyLinker: links from parents and from messaging span links, whatever the arrival
// order; same-service pairs are not links (as in Jaeger); bounds and expiry are counted.

#include "spanmetrics/dependency_linker.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spanvault::spanmetrics {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

std::string Id(int n, size_t bytes) {
  std::string id(bytes, '\0');
  for (int i = 0; i < 4; ++i) id[bytes - 1 - i] = static_cast<char>(n >> (8 * i));
  id[0] = 1;
  return id;
}

SpanFacts Span(int trace, int span, int parent, std::string service, int kind = 2) {
  SpanFacts f;
  f.trace_id = Id(trace, 16);
  f.span_id = Id(span, 8);
  if (parent != 0) f.parent_span_id = Id(parent, 8);
  f.service = std::move(service);
  f.kind = kind;
  f.start = kNow;
  return f;
}

std::vector<std::string> Names(const std::vector<Edge>& edges) {
  std::vector<std::string> out;
  for (const Edge& e : edges) out.push_back(e.parent + ">" + e.child);
  return out;
}

std::vector<std::string> AddAll(DependencyLinker& linker, const std::vector<SpanFacts>& spans) {
  std::vector<Edge> edges;
  for (const SpanFacts& s : spans) linker.Add(s, kNow, &edges);
  return Names(edges);
}

TEST(DependencyLinker, ParentBeforeChild) {
  DependencyLinker linker({});
  EXPECT_THAT(AddAll(linker, {Span(1, 1, 0, "shop"), Span(1, 2, 1, "crm")}),
              ElementsAre("shop>crm"));
  EXPECT_EQ(linker.waiting(), 0u);
}

TEST(DependencyLinker, ChildBeforeParent) {
  DependencyLinker linker({});
  std::vector<Edge> edges;
  SpanFacts child = Span(1, 2, 1, "crm");
  child.start = kNow - absl::Seconds(30);
  linker.Add(child, kNow, &edges);
  EXPECT_THAT(edges, IsEmpty());
  EXPECT_EQ(linker.waiting(), 1u);
  linker.Add(Span(1, 1, 0, "shop"), kNow, &edges);
  ASSERT_THAT(Names(edges), ElementsAre("shop>crm"));
  EXPECT_EQ(edges[0].time, child.start);  // counted at the child's time
  EXPECT_EQ(linker.waiting(), 0u);
}

TEST(DependencyLinker, SameServiceIsNotALinkButItsChildrenAre) {
  DependencyLinker linker({});
  EXPECT_THAT(
      AddAll(linker, {Span(1, 1, 0, "shop"), Span(1, 2, 1, "shop", 3), Span(1, 3, 2, "crm")}),
      ElementsAre("shop>crm"));
}

TEST(DependencyLinker, ProducerToConsumerThroughTheParent) {
  DependencyLinker linker({});
  EXPECT_THAT(AddAll(linker, {Span(1, 3, 2, "mes", kSpanKindConsumer),
                              Span(1, 2, 1, "crm", kSpanKindProducer)}),
              ElementsAre("crm>mes"));
}

TEST(DependencyLinker, ProducerToConsumerThroughALinkInBothOrders) {
  for (bool producer_first : {true, false}) {
    SCOPED_TRACE(producer_first);
    DependencyLinker linker({});
    SpanFacts producer = Span(1, 2, 0, "crm", kSpanKindProducer);
    SpanFacts consumer = Span(9, 5, 0, "mes", kSpanKindConsumer);  // a new trace: no parent
    consumer.links.emplace_back(producer.trace_id, producer.span_id);
    std::vector<SpanFacts> order = {producer, consumer};
    if (!producer_first) std::swap(order[0], order[1]);
    EXPECT_THAT(AddAll(linker, order), ElementsAre("crm>mes"));
    EXPECT_EQ(linker.waiting(), 0u);
  }
}

TEST(DependencyLinker, LinkToANonProducerOrFromANonConsumerIsNoLink) {
  DependencyLinker linker({});
  SpanFacts client = Span(1, 2, 1, "crm", 3);
  SpanFacts consumer = Span(9, 5, 0, "mes", kSpanKindConsumer);
  consumer.links.emplace_back(client.trace_id, client.span_id);
  SpanFacts server = Span(8, 6, 0, "mes", 2);
  SpanFacts producer = Span(1, 3, 1, "crm", kSpanKindProducer);
  server.links.emplace_back(producer.trace_id, producer.span_id);
  EXPECT_THAT(AddAll(linker, {consumer, client, producer, server}), IsEmpty());
  // A waiting link never matched a non-producer; it is still waiting for a producer.
}

TEST(DependencyLinker, ALinkFromAConsumerWithAParentIsNotCountedAgain) {
  // Jaeger's rich shape: receive (child of the producer) -> process (child of receive, with a
  // link to the producer). One message, one call.
  DependencyLinker linker({});
  SpanFacts producer = Span(1, 2, 0, "crm", kSpanKindProducer);
  SpanFacts receive = Span(1, 3, 2, "mes", kSpanKindConsumer);
  SpanFacts process = Span(1, 4, 3, "mes", kSpanKindConsumer);
  process.links.emplace_back(producer.trace_id, producer.span_id);
  EXPECT_THAT(AddAll(linker, {process, receive, producer}), ElementsAre("crm>mes"));
}

TEST(DependencyLinker, ParentAndLinkToTheSameProducerCountOnce) {
  DependencyLinker linker({});
  SpanFacts producer = Span(1, 2, 1, "crm", kSpanKindProducer);
  SpanFacts consumer = Span(1, 3, 2, "mes", kSpanKindConsumer);
  consumer.links.emplace_back(producer.trace_id, producer.span_id);
  EXPECT_THAT(AddAll(linker, {consumer, producer}), ElementsAre("crm>mes"));
}

TEST(DependencyLinker, RetriedSpanCountsOnce) {
  DependencyLinker linker({});
  SpanFacts child = Span(1, 2, 1, "crm");
  EXPECT_THAT(AddAll(linker, {Span(1, 1, 0, "shop"), child, child}), ElementsAre("shop>crm"));
}

TEST(DependencyLinker, FullMapsEvictTheOldestAndCountIt) {
  DependencyLinker linker({.max_spans = 2, .max_waiting = 2, .ttl = absl::Minutes(10)});
  std::vector<Edge> edges;
  linker.Add(Span(1, 1, 0, "shop"), kNow, &edges);
  linker.Add(Span(2, 1, 0, "shop"), kNow, &edges);
  linker.Add(Span(3, 1, 0, "shop"), kNow, &edges);  // forgets trace 1's root
  EXPECT_EQ(linker.spans(), 2u);
  EXPECT_EQ(linker.evictions().spans_full, 1u);
  linker.Add(Span(1, 2, 1, "crm"), kNow, &edges);  // its parent is forgotten: waits
  EXPECT_THAT(edges, IsEmpty());
  linker.Add(Span(4, 2, 1, "crm"), kNow, &edges);
  linker.Add(Span(5, 2, 1, "crm"), kNow, &edges);  // forgets the first waiter
  EXPECT_EQ(linker.waiting(), 2u);
  EXPECT_EQ(linker.evictions().waiting_full, 1u);
  linker.Add(Span(1, 1, 0, "shop"), kNow, &edges);  // trace 1's root again: nobody waits
  EXPECT_THAT(edges, IsEmpty());
}

TEST(DependencyLinker, ExpiryForgetsOldSpansAndWaiters) {
  DependencyLinker linker({.ttl = absl::Minutes(1)});
  std::vector<Edge> edges;
  linker.Add(Span(1, 2, 1, "crm"), kNow, &edges);
  linker.Add(Span(2, 1, 0, "shop"), kNow, &edges);
  linker.Expire(kNow + absl::Seconds(59));
  EXPECT_EQ(linker.waiting(), 1u);
  linker.Expire(kNow + absl::Seconds(61));
  EXPECT_EQ(linker.waiting(), 0u);
  EXPECT_EQ(linker.evictions().waiting_expired, 1u);
  EXPECT_EQ(linker.evictions().spans_expired, 2u);
  linker.Add(Span(1, 1, 0, "shop"), kNow + absl::Seconds(61), &edges);
  linker.Add(Span(2, 2, 1, "crm"), kNow + absl::Seconds(61), &edges);
  EXPECT_THAT(edges, IsEmpty());
}

TEST(DependencyLinker, ResolvedWaitersAreNeitherKeptNorEvicted) {
  DependencyLinker linker({.max_spans = 100, .max_waiting = 10, .ttl = absl::Hours(1)});
  std::vector<Edge> edges;
  for (int i = 1; i <= 5000; ++i) {
    linker.Add(Span(i, 2, 1, "crm"), kNow, &edges);
    linker.Add(Span(i, 1, 0, "shop"), kNow, &edges);
  }
  EXPECT_EQ(edges.size(), 5000u);
  EXPECT_EQ(linker.waiting(), 0u);
  EXPECT_EQ(linker.evictions().waiting_full, 0u);
  EXPECT_EQ(linker.evictions().waiting_expired, 0u);
}

}  // namespace
}  // namespace spanvault::spanmetrics
