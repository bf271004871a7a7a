#include "storage/rocksdb/time_buckets.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spanvault {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr uint64_t kDay = 86'400;
const absl::Time kNow = absl::FromUnixSeconds(100 * kDay + 3600);

uint64_t Nanos(uint64_t seconds) { return seconds * 1'000'000'000; }

TEST(TimeBucketsTest, WidthIsASeventhOfTheRetentionWithinLimits) {
  EXPECT_EQ(BucketWidthFor(absl::Hours(168)), absl::Hours(24));
  EXPECT_EQ(BucketWidthFor(absl::Hours(24 * 70)), absl::Hours(24));
  EXPECT_EQ(BucketWidthFor(absl::Seconds(14)), absl::Seconds(2));
  EXPECT_EQ(BucketWidthFor(absl::Seconds(3)), absl::Seconds(1));
  EXPECT_EQ(BucketWidthFor(absl::ZeroDuration()), absl::Hours(24));
}

TEST(TimeBucketsTest, AlignsNewBucketsAndReusesLiveOnes) {
  TimeBuckets buckets(absl::Hours(24), absl::Hours(168));
  bool live = true;
  TimeBucket b = buckets.BucketFor(Nanos(99 * kDay + 5), kNow, &live);
  EXPECT_EQ(b, (TimeBucket{99 * kDay, 100 * kDay}));
  EXPECT_FALSE(live);
  buckets.Add(b);
  EXPECT_EQ(buckets.BucketFor(Nanos(99 * kDay + 70'000), kNow, &live), b);
  EXPECT_TRUE(live);
  EXPECT_EQ(buckets.BucketFor(Nanos(100 * kDay), kNow), (TimeBucket{100 * kDay, 101 * kDay}));
}

TEST(TimeBucketsTest, NewBucketsNeverOverlapLiveOnesOfAnotherWidth) {
  TimeBuckets buckets(absl::Hours(24), absl::Hours(168));
  buckets.Add({99 * kDay, 99 * kDay + 7200});  // written with a 2 h width before a restart
  EXPECT_EQ(buckets.BucketFor(Nanos(99 * kDay + 8000), kNow),
            (TimeBucket{99 * kDay + 7200, 100 * kDay}));
}

TEST(TimeBucketsTest, FutureAndTooOldSpansCountAsNow) {
  TimeBuckets buckets(absl::Hours(24), absl::Hours(168));
  TimeBucket now = buckets.BucketFor(Nanos(100 * kDay + 3600), kNow);
  EXPECT_EQ(buckets.BucketFor(Nanos(200 * kDay), kNow), now);
  EXPECT_EQ(buckets.BucketFor(Nanos(50 * kDay), kNow), now);
  EXPECT_EQ(buckets.BucketFor(UINT64_MAX, kNow), now);
  EXPECT_EQ(buckets.BucketFor(0, kNow), now);
}

TEST(TimeBucketsTest, ExpiredAreThoseEndedBeforeTheRetention) {
  TimeBuckets buckets(absl::Hours(24), absl::Hours(168));
  for (uint64_t d : {92, 93, 94, 100}) buckets.Add({d * kDay, (d + 1) * kDay});
  // now - 7 days = day 93 + 1 h: buckets 92 and (ending at day 94) not yet 93.
  std::vector<uint64_t> expired;
  for (const auto& b : buckets.Expired(kNow)) expired.push_back(b.start / kDay);
  EXPECT_THAT(expired, ElementsAre(92));
  EXPECT_THAT(buckets.NewestFirst(), ElementsAre(100 * kDay, 94 * kDay, 93 * kDay, 92 * kDay));
  TimeBuckets forever(absl::Hours(24), absl::ZeroDuration());
  forever.Add({1, 2});
  EXPECT_THAT(forever.Expired(kNow), IsEmpty());
}

}  // namespace
}  // namespace spanvault
