#include "storage/rocksdb/key_codec.h"

#include "gtest/gtest.h"

namespace spanvault::keys {
namespace {

TEST(KeyCodecTest, BigEndianOrdersLikeNumbers) {
  std::string a, b;
  PutBigEndian64(&a, 255);
  PutBigEndian64(&b, 256);
  EXPECT_LT(a, b);
  EXPECT_EQ(GetBigEndian64(a), 255u);
}

TEST(KeyCodecTest, LengthPrefixesPreventPrefixCollisions) {
  // "svc1" must not be a prefix of "svc12", nor "foo"+"bar" equal "foob"+"ar".
  EXPECT_NE(ServicePrefix(7, "svc12").rfind(ServicePrefix(7, "svc1"), 0), 0u);
  EXPECT_NE(AttributePrefix(7, "s", "foo", "bar"), AttributePrefix(7, "s", "foob", "ar"));
  std::string long_name(300, 'x');
  std::string key = CatalogKey(long_name, "op", 3);
  std::string service, operation;
  int kind = 0;
  ASSERT_TRUE(DecodeCatalogKey(key, &service, &operation, &kind));
  EXPECT_EQ(service, long_name);
  EXPECT_EQ(operation, "op");
  EXPECT_EQ(kind, 3);
  EXPECT_FALSE(DecodeCatalogKey(std::string("\x05"
                                            "ab"),
                                &service, &operation, &kind));
}

TEST(KeyCodecTest, TimeIndexSortsNewestFirstAndDecodes) {
  auto trace = *TraceId::FromHex("0102030405060708090a0b0c0d0e0f10");
  std::string prefix = ServicePrefix(7, "shop");
  std::string older = TimeIndexKey(prefix, 1000, trace);
  std::string newer = TimeIndexKey(prefix, 2000, trace);
  EXPECT_LT(newer, older);
  EXPECT_LE(TimeIndexSeek(prefix, 2000), newer);
  uint64_t start = 0;
  TraceId decoded;
  ASSERT_TRUE(DecodeTimeIndexTail(older, &start, &decoded));
  EXPECT_EQ(start, 1000u);
  EXPECT_EQ(decoded, trace);
  EXPECT_FALSE(DecodeTimeIndexTail("short", &start, &decoded));
}

TEST(KeyCodecTest, DurationKeysOrderByHourThenDuration) {
  auto trace = *TraceId::FromHex("0102030405060708090a0b0c0d0e0f10");
  std::string h2 = DurationPrefix(7, "s", "op", 2);
  std::string h1 = DurationPrefix(7, "s", "op", 1);
  EXPECT_LT(DurationKey(h2, 999, trace), DurationKey(h1, 1, trace));
  EXPECT_LT(DurationKey(h1, 1, trace), DurationKey(h1, 2, trace));
  uint64_t duration = 0;
  TraceId decoded;
  ASSERT_TRUE(DecodeDurationTail(DurationKey(h1, 77, trace), &duration, &decoded));
  EXPECT_EQ(duration, 77u);
}

TEST(KeyCodecTest, SpanAndResourceKeysShareTheTracePrefix) {
  auto trace = *TraceId::FromHex("0102030405060708090a0b0c0d0e0f10");
  std::string span = SpanKey(7, trace, "12345678");
  std::string resource = ResourceKey(7, trace, 42);
  EXPECT_EQ(span.substr(0, 24), TracePrefix(7, trace));
  EXPECT_EQ(resource.substr(0, 24), TracePrefix(7, trace));
  EXPECT_LT(resource, span);  // resources first in a trace scan
  EXPECT_EQ(span.size(), 33u);
  EXPECT_EQ(resource.size(), 33u);
}

TEST(KeyCodecTest, EveryKeyOfABucketSortsWithinItsRange) {
  auto trace = *TraceId::FromHex("ffffffffffffffffffffffffffffffff");
  std::string begin = BucketPrefix(7), end = BucketEnd(7);
  for (const std::string& key :
       {SpanKey(7, trace, "\xff\xff\xff\xff\xff\xff\xff\xff"), ResourceKey(7, trace, UINT64_MAX),
        TracePrefix(7, trace), ServicePrefix(7, std::string(300, '\xff')),
        DurationPrefix(7, "s", "op", 0)}) {
    EXPECT_LE(begin, key);
    EXPECT_LT(key, end);
  }
  EXPECT_LE(end, BucketPrefix(8));
  EXPECT_LT(TracePrefix(8, trace), TracePrefix(kArchiveBucket, trace));
  uint64_t bucket = 0;
  ASSERT_TRUE(DecodeBucketRecordKey(BucketRecordKey(1'764'000'000), &bucket));
  EXPECT_EQ(bucket, 1'764'000'000u);
  EXPECT_FALSE(DecodeBucketRecordKey("bucket", &bucket));
}

}  // namespace
}  // namespace spanvault::keys
