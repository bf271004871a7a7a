#include "common/ids.h"

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace spanvault {
namespace {

using ::spanvault::testing::StatusIs;
using ::testing::HasSubstr;

TEST(TraceIdTest, ParsesHexOfEitherCase) {
  auto id = TraceId::FromHex("5B8EFFF798038103D269B633813FC60C");
  SV_ASSERT_OK(id);
  EXPECT_EQ(id->ToHex(), "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(id->bytes()[0], '\x5b');
}

TEST(TraceIdTest, RejectsWrongLengthBadDigitsAndZero) {
  EXPECT_THAT(TraceId::FromHex("abc"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                HasSubstr("32 hex digits, got 3")));
  EXPECT_THAT(TraceId::FromHex("zz8efff798038103d269b633813fc60c"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad digit at position 0")));
  EXPECT_THAT(TraceId::FromHex(std::string(32, '0')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("all zeros")));
  EXPECT_THAT(TraceId::FromBytes("short"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TraceIdTest, JaegerFormDropsZeroHighHalf) {
  auto id = TraceId::FromJaegerHex("d269b633813fc60c");
  SV_ASSERT_OK(id);
  EXPECT_EQ(id->ToHex(), "0000000000000000d269b633813fc60c");
  EXPECT_EQ(id->ToJaegerHex(), "d269b633813fc60c");
  auto full = TraceId::FromJaegerHex("5b8efff798038103d269b633813fc60c");
  SV_ASSERT_OK(full);
  EXPECT_EQ(full->ToJaegerHex(), "5b8efff798038103d269b633813fc60c");
  EXPECT_THAT(TraceId::FromJaegerHex(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TraceId::FromJaegerHex(std::string(33, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(HexTest, RoundTripsAndValidatesSpanIds) {
  auto bytes = HexToBytes("00ff10", "x");
  SV_ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, std::string("\x00\xff\x10", 3));
  EXPECT_EQ(BytesToHex(*bytes), "00ff10");
  EXPECT_THAT(HexToBytes("abc", "span id"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("span id has an odd number")));
  EXPECT_TRUE(IsValidSpanId(std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8)));
  EXPECT_FALSE(IsValidSpanId(std::string(8, '\0')));
  EXPECT_FALSE(IsValidSpanId("1234567"));
  EXPECT_FALSE(IsValidTraceId(std::string(16, '\0')));
}

}  // namespace
}  // namespace spanvault
