// Retention and the archive of the RocksDB store: whole time buckets go, archived traces stay,
// and the disk space comes back. Time is a fake clock.

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config.h"
#include "storage/trace_store.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/span_builder.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace spanvault {
namespace {

using ::spanvault::testing::ConsumeAndWait;
using ::spanvault::testing::IsOkAndHolds;
using ::spanvault::testing::MakeBatch;
using ::spanvault::testing::SpanHex;
using ::spanvault::testing::StatusIs;
using ::spanvault::testing::TestSpan;
using ::spanvault::testing::TraceHex;
using ::testing::ElementsAre;

size_t CountSpans(const otlp::TracesData& trace) {
  size_t n = 0;
  for (const auto& rs : trace.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) n += static_cast<size_t>(ss.spans_size());
  }
  return n;
}

class RetentionTest : public ::testing::Test {
 protected:
  std::unique_ptr<TraceStore> Open() {
    TraceStoreOptions options;
    options.path = dir_.path() + "/db";
    options.indexed_attributes = DefaultIndexedAttributes();
    options.testing_no_encryption = true;
    options.retention = absl::Hours(24 * 7);  // buckets of a day
    options.clock = &clock_;
    auto store = OpenRocksDbTraceStore(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  uint64_t NowNanos() const { return static_cast<uint64_t>(absl::ToUnixNanos(clock_.Now())); }

  // Trace `n` of `spans` spans starting now, each with `payload` bytes of attribute.
  void Write(TraceStore& store, uint64_t n, int spans = 1, size_t payload = 0) {
    std::vector<TestSpan> batch;
    for (int i = 0; i < spans; ++i) {
      TestSpan span;
      span.trace_id = TraceHex(n);
      span.span_id = SpanHex(n * 1000 + static_cast<uint64_t>(i) + 1);
      span.start_unix_nano = NowNanos();
      span.attributes = {{"order_id", "A-" + std::to_string(n)}};
      if (payload > 0) {
        std::string filler;
        for (size_t j = 0; j < payload; ++j) {
          filler.push_back(
              static_cast<char>('a' + (j * 7 + j * j * n + static_cast<size_t>(i)) % 26));
        }
        span.attributes.emplace_back("filler", filler + std::to_string(n * 1000 + i));
      }
      batch.push_back(std::move(span));
    }
    SV_ASSERT_OK(ConsumeAndWait(store, MakeBatch(batch)));
  }

  static TraceId Id(uint64_t n) { return *TraceId::FromHex(TraceHex(n)); }

  static std::vector<TraceId> FindShop(TraceStore& store, int depth = 100) {
    TraceQuery query;
    query.service_name = "shop-api";
    query.search_depth = depth;
    auto found = store.FindTraceIds(query);
    EXPECT_TRUE(found.ok()) << found.status();
    return found.ok() ? *found : std::vector<TraceId>{};
  }

  testing::TempDir dir_;
  testing::FakeClock clock_{absl::FromUnixSeconds(1'764'000'000)};
};

TEST_F(RetentionTest, DropsOldBucketsButKeepsArchivedTraces) {
  auto store = Open();
  Write(*store, 1);
  Write(*store, 2);
  SV_ASSERT_OK(store->Archive(Id(2)));
  clock_.Advance(absl::Hours(24 * 3));
  Write(*store, 3);
  // The bucket registry survives a restart.
  store.reset();
  store = Open();

  auto early = store->EnforceRetention(clock_.Now(), 0);
  ASSERT_TRUE(early.ok()) << early.status();
  EXPECT_EQ(early->buckets_dropped_for_age, 0);

  clock_.Advance(absl::Hours(24 * 6));
  auto report = store->EnforceRetention(clock_.Now(), 0);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->buckets_dropped_for_age, 1);
  EXPECT_THAT(store->GetTrace(Id(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(store->GetTrace(Id(2)).ok());  // archived
  EXPECT_TRUE(store->GetTrace(Id(3)).ok());  // three days younger
  EXPECT_THAT(FindShop(*store), ElementsAre(Id(3), Id(2)));
  auto summaries = store->GetSummaries({Id(1), Id(2), Id(3)});
  ASSERT_TRUE(summaries.ok());
  ASSERT_EQ(summaries->size(), 2u);
  EXPECT_EQ((*summaries)[0].trace_id, Id(2));
  EXPECT_EQ((*summaries)[0].span_count, 1);
  ASSERT_TRUE(report->oldest_data.has_value());
  EXPECT_GT(*report->oldest_data, clock_.Now() - absl::Hours(24 * 7));
}

TEST_F(RetentionTest, ArchiveCountsEachSpanOnceAndAddsLateSpans) {
  auto store = Open();
  Write(*store, 1, /*spans=*/3);
  SV_ASSERT_OK(store->Archive(Id(1)));
  SV_ASSERT_OK(store->Archive(Id(1)));  // again: nothing doubles
  auto trace = store->GetTrace(Id(1));
  ASSERT_TRUE(trace.ok());
  EXPECT_EQ(CountSpans(*trace), 3u);
  EXPECT_THAT(FindShop(*store), ElementsAre(Id(1)));
  auto summaries = store->GetSummaries({Id(1)});
  ASSERT_TRUE(summaries.ok());
  ASSERT_EQ(summaries->size(), 1u);
  EXPECT_EQ((*summaries)[0].span_count, 3);
  EXPECT_THAT(store->Archive(Id(9)), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(RetentionTest, SearchesNewestBucketFirst) {
  auto store = Open();
  Write(*store, 1);
  clock_.Advance(absl::Hours(24 * 2));
  Write(*store, 2);
  clock_.Advance(absl::Hours(1));
  Write(*store, 3);
  EXPECT_THAT(FindShop(*store), ElementsAre(Id(3), Id(2), Id(1)));
  EXPECT_THAT(FindShop(*store, /*depth=*/1), ElementsAre(Id(3)));
}

TEST_F(RetentionTest, DroppingABucketGivesItsDiskSpaceBack) {
  auto store = Open();
  for (uint64_t n = 1; n <= 40; ++n) Write(*store, n, /*spans=*/50, /*payload=*/1000);
  clock_.Advance(absl::Hours(24 * 8));
  Write(*store, 100);
  auto report = store->EnforceRetention(clock_.Now(), 0);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->buckets_dropped_for_age, 1);
  // 2,000 spans of 1 KB each were written; far less than that is left.
  EXPECT_GT(report->bytes_before, 1'000'000u);
  EXPECT_LT(report->bytes_after, report->bytes_before / 2);
  EXPECT_TRUE(store->GetTrace(Id(100)).ok());
}

TEST_F(RetentionTest, DiskBudgetDropsOldestBucketsButNeverTheNewest) {
  auto store = Open();
  Write(*store, 1, /*spans=*/20, /*payload=*/500);
  clock_.Advance(absl::Hours(24));
  Write(*store, 2, /*spans=*/20, /*payload=*/500);
  clock_.Advance(absl::Hours(24));
  Write(*store, 3, /*spans=*/20, /*payload=*/500);
  auto report = store->EnforceRetention(clock_.Now(), /*max_disk_bytes=*/1);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->buckets_dropped_for_age, 0);
  EXPECT_EQ(report->buckets_dropped_for_disk, 2);
  EXPECT_THAT(store->GetTrace(Id(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store->GetTrace(Id(2)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(store->GetTrace(Id(3)).ok());
}

TEST_F(RetentionTest, SpansFromOutsideTheRetentionStayForAWholeRetention) {
  auto store = Open();
  TestSpan ancient;
  ancient.trace_id = TraceHex(1);
  ancient.span_id = SpanHex(1);
  ancient.start_unix_nano = 1'000'000'000;  // 1970: bucketed as now
  SV_ASSERT_OK(ConsumeAndWait(*store, MakeBatch({ancient})));
  clock_.Advance(absl::Hours(24 * 6));
  ASSERT_TRUE(store->EnforceRetention(clock_.Now(), 0).ok());
  EXPECT_TRUE(store->GetTrace(Id(1)).ok());
  clock_.Advance(absl::Hours(24 * 3));
  ASSERT_TRUE(store->EnforceRetention(clock_.Now(), 0).ok());
  EXPECT_THAT(store->GetTrace(Id(1)), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace spanvault
