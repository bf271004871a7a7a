// SpanMetricsTap: counts only acknowledged spans, before sampling; aggregates per minute and
// links per hour; flushes merge into what is stored; a new tap over the same store (a restart)
// reads everything back; reads never count a span twice or miss one around a flush.

#include "spanmetrics/span_metrics_tap.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spanmetrics/aggregate_codec.h"
#include "spanmetrics/metrics_query.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/recording_sink.h"
#include "tests/testing/span_builder.h"
#include "tests/testing/status_matchers.h"

namespace spanvault::spanmetrics {
namespace {

using ::spanvault::testing::ConsumeAndWait;
using ::spanvault::testing::FakeClock;
using ::spanvault::testing::MakeBatch;
using ::spanvault::testing::RecordingSink;
using ::spanvault::testing::SpanHex;
using ::spanvault::testing::TestSpan;
using ::spanvault::testing::TraceHex;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'070);  // 30 s into a minute

uint64_t Nanos(absl::Time t) { return static_cast<uint64_t>(absl::ToUnixNanos(t)); }

TestSpan MakeSpan(uint64_t trace, uint64_t span, uint64_t parent, std::string service,
                  absl::Time start, absl::Duration duration, bool error = false, int kind = 2) {
  TestSpan s;
  s.service = std::move(service);
  s.trace_id = TraceHex(trace);
  s.span_id = SpanHex(span);
  if (parent != 0) s.parent_span_id = SpanHex(parent);
  s.name = "op-" + s.service;
  s.kind = kind;
  s.start_unix_nano = Nanos(start);
  s.duration_nanos = static_cast<uint64_t>(absl::ToInt64Nanoseconds(duration));
  s.error = error;
  return s;
}

class SpanMetricsTapTest : public ::testing::Test {
 protected:
  std::unique_ptr<SpanMetricsTap> NewTap() {
    return std::make_unique<SpanMetricsTap>(SpanMetricsTapOptions{}, next_, kv_, clock_, registry_);
  }
  std::vector<DependencyLink> Links(SpanMetricsTap& tap) {
    auto links = tap.GetDependencies(kStart - absl::Hours(1), kStart + absl::Hours(1));
    EXPECT_TRUE(links.ok()) << links.status();
    return links.ok() ? *links : std::vector<DependencyLink>{};
  }
  std::vector<MinuteMetrics> Minutes(SpanMetricsTap& tap) {
    auto m = tap.GetMetrics(kStart - absl::Hours(1), kStart + absl::Hours(1), {"shop", "crm"}, {});
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? *m : std::vector<MinuteMetrics>{};
  }

  FakeClock clock_{kStart};
  RecordingSink next_;
  MemoryKvStore kv_;
  MetricsRegistry registry_;
};

TEST_F(SpanMetricsTapTest, CountsAcknowledgedSpansAndForwardsThem) {
  auto tap = NewTap();
  SV_ASSERT_OK(ConsumeAndWait(
      *tap, MakeBatch({MakeSpan(1, 1, 0, "shop", kStart, absl::Milliseconds(40)),
                       MakeSpan(1, 2, 1, "crm", kStart, absl::Milliseconds(10), true)})));
  EXPECT_EQ(next_.SpanCount(), 2u);
  EXPECT_THAT(Links(*tap), ElementsAre(DependencyLink{"shop", "crm", 1}));
  std::vector<MinuteMetrics> minutes = Minutes(*tap);
  ASSERT_EQ(minutes.size(), 2u);
  EXPECT_EQ(minutes[0].minute, absl::FromUnixSeconds(1'700'000'040));
  EXPECT_EQ(minutes[0].key, (SeriesKey{"crm", "op-crm", "server"}));
  EXPECT_EQ(minutes[0].cell.calls, 1u);
  EXPECT_EQ(minutes[0].cell.errors, 1u);
  EXPECT_NEAR(minutes[0].cell.latency.Quantile(0.5), 10, 0.1);
  EXPECT_EQ(minutes[1].key.service, "shop");
  EXPECT_EQ(minutes[1].cell.errors, 0u);
}

TEST_F(SpanMetricsTapTest, RefusedBatchesAreNotCounted) {
  auto tap = NewTap();
  next_.AnswerWith(absl::ResourceExhaustedError("full"));
  EXPECT_FALSE(
      ConsumeAndWait(*tap, MakeBatch({MakeSpan(1, 1, 0, "shop", kStart, absl::Milliseconds(1))}))
          .ok());
  EXPECT_THAT(Minutes(*tap), IsEmpty());
}

TEST_F(SpanMetricsTapTest, FlushedBucketsSurviveARestartAndLateSpansMergeIntoThem) {
  {
    auto tap = NewTap();
    SV_ASSERT_OK(ConsumeAndWait(
        *tap, MakeBatch({MakeSpan(1, 2, 1, "crm", kStart, absl::Milliseconds(10))})));
    SV_ASSERT_OK(ConsumeAndWait(
        *tap, MakeBatch({MakeSpan(1, 1, 0, "shop", kStart, absl::Milliseconds(20))})));
    SV_ASSERT_OK(tap->Flush());
    // Nothing left in memory: everything below comes from the store.
    auto stored = kv_.Scan(codec::kMetricPrefix);
    SV_ASSERT_OK(stored.status());
    EXPECT_EQ(stored->size(), 2u);
    SV_ASSERT_OK(
        ConsumeAndWait(*tap, MakeBatch({MakeSpan(2, 1, 0, "shop", kStart + absl::Seconds(5),
                                                 absl::Milliseconds(30), true)})));
    SV_ASSERT_OK(tap->Shutdown());
  }
  auto tap = NewTap();  // a restart over the same store
  EXPECT_THAT(Links(*tap), ElementsAre(DependencyLink{"shop", "crm", 1}));
  std::vector<MinuteMetrics> minutes = Minutes(*tap);
  ASSERT_EQ(minutes.size(), 2u);
  EXPECT_EQ(minutes[1].key.service, "shop");
  EXPECT_EQ(minutes[1].cell.calls, 2u);
  EXPECT_EQ(minutes[1].cell.errors, 1u);
  EXPECT_NEAR(minutes[1].cell.latency.Quantile(1), 30, 0.3);
  // More of the same minute after the restart adds to the stored cell.
  SV_ASSERT_OK(
      ConsumeAndWait(*tap, MakeBatch({MakeSpan(3, 1, 0, "shop", kStart, absl::Milliseconds(1))})));
  SV_ASSERT_OK(tap->Flush());
  EXPECT_EQ(Minutes(*tap)[1].cell.calls, 3u);
}

TEST_F(SpanMetricsTapTest, ReadsAreExactWhileFlushesRun) {
  auto tap = NewTap();
  std::atomic<bool> done{false};
  std::thread flusher([&] {
    while (!done.load()) static_cast<void>(tap->Flush());
  });
  for (uint64_t i = 1; i <= 200; ++i) {
    SV_ASSERT_OK(ConsumeAndWait(
        *tap, MakeBatch({MakeSpan(i, 1, 0, "shop", kStart, absl::Milliseconds(5))})));
    // A read that keeps overlapping flushes answers kUnavailable (retry); never a wrong count.
    absl::StatusOr<std::vector<MinuteMetrics>> read;
    do {
      read = tap->GetMetrics(kStart - absl::Hours(1), kStart + absl::Hours(1), {"shop"}, {});
    } while (absl::IsUnavailable(read.status()));
    SV_ASSERT_OK(read.status());
    uint64_t calls = 0;
    for (const auto& m : *read) calls += m.cell.calls;
    ASSERT_EQ(calls, i);
  }
  done.store(true);
  flusher.join();
}

TEST_F(SpanMetricsTapTest, SpanTimesOutsideTheRetentionCountNow) {
  auto tap = NewTap();
  SV_ASSERT_OK(ConsumeAndWait(
      *tap, MakeBatch({MakeSpan(1, 1, 0, "shop", kStart + absl::Hours(5), absl::Seconds(1)),
                       MakeSpan(2, 1, 0, "shop", absl::UnixEpoch(), absl::Seconds(1))})));
  std::vector<MinuteMetrics> minutes = Minutes(*tap);
  ASSERT_EQ(minutes.size(), 1u);
  EXPECT_EQ(minutes[0].cell.calls, 2u);
}

TEST_F(SpanMetricsTapTest, OldBucketsAreDeleted) {
  auto tap = NewTap();
  SV_ASSERT_OK(
      ConsumeAndWait(*tap, MakeBatch({MakeSpan(1, 1, 0, "shop", kStart, absl::Milliseconds(1))})));
  SV_ASSERT_OK(tap->Flush());
  clock_.Advance(absl::Hours(24 * 8 + 1));
  SV_ASSERT_OK(tap->Flush());
  auto stored = kv_.Scan(codec::kMetricPrefix);
  SV_ASSERT_OK(stored.status());
  EXPECT_THAT(*stored, IsEmpty());
}

TEST_F(SpanMetricsTapTest, EvictionsAreExported) {
  SpanMetricsTapOptions options;
  options.linker.max_waiting = 1;
  SpanMetricsTap tap(options, next_, kv_, clock_, registry_);
  SV_ASSERT_OK(
      ConsumeAndWait(tap, MakeBatch({MakeSpan(1, 2, 1, "crm", kStart, absl::Milliseconds(1)),
                                     MakeSpan(2, 2, 1, "crm", kStart, absl::Milliseconds(1))})));
  SV_ASSERT_OK(tap.Flush());
  std::string text = registry_.Render();
  EXPECT_THAT(text, ::testing::HasSubstr(
                        "spanvault_spanmetrics_evicted_total{what=\"waiting_child\",reason="
                        "\"full\"} 1"));
  EXPECT_THAT(text, ::testing::HasSubstr("spanvault_spanmetrics_waiting_children 1"));
}

// ComputeSeries: rates, error shares and quantiles per step from minute cells.
TEST(ComputeSeries, RatesErrorsAndQuantilesPerStep) {
  absl::Time m0 = absl::FromUnixSeconds(1'700'000'000 - 1'700'000'000 % 60);
  std::vector<MinuteMetrics> minutes;
  MinuteCell a{.calls = 60, .errors = 6};
  for (int i = 1; i <= 60; ++i) a.latency.Add(i);
  MinuteCell b{.calls = 30, .errors = 0};
  for (int i = 0; i < 30; ++i) b.latency.Add(100);
  minutes.push_back({m0, {"shop", "GET /a", "server"}, a});
  minutes.push_back({m0 + absl::Minutes(1), {"shop", "GET /b", "server"}, b});
  MetricsQuery q;
  q.services = {"shop"};
  q.end = m0 + absl::Minutes(2);
  q.lookback = absl::Minutes(2);
  q.step = absl::Minutes(1);
  q.rate_per = absl::Minutes(2);
  q.quantile = 0.5;
  auto calls = ComputeSeries(MetricKind::kCalls, q, minutes);
  ASSERT_EQ(calls.size(), 1u);
  ASSERT_EQ(calls[0].points.size(), 3u);  // m0, m0+1, m0+2
  EXPECT_DOUBLE_EQ(calls[0].points[0].value, 0);
  EXPECT_DOUBLE_EQ(calls[0].points[1].value, 60.0 / 120);
  EXPECT_DOUBLE_EQ(calls[0].points[2].value, 90.0 / 120);
  auto errors = ComputeSeries(MetricKind::kErrors, q, minutes);
  ASSERT_EQ(errors[0].points.size(), 2u);  // no point without calls
  EXPECT_DOUBLE_EQ(errors[0].points[1].value, 6.0 / 90);
  auto latencies = ComputeSeries(MetricKind::kLatencies, q, minutes);
  EXPECT_NEAR(latencies[0].points[0].value, 30, 0.3);   // rank 29 of 1..60
  EXPECT_NEAR(latencies[0].points[1].value, 45, 0.45);  // rank 44 of 1..60 + 30 x 100
  q.group_by_operation = true;
  auto grouped = ComputeSeries(MetricKind::kCalls, q, minutes);
  ASSERT_EQ(grouped.size(), 2u);
  EXPECT_EQ(grouped[0].operation, "GET /a");
  EXPECT_EQ(grouped[1].operation, "GET /b");
}

}  // namespace
}  // namespace spanvault::spanmetrics
