#include "common/duration.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace spanvault {
namespace {

using ::spanvault::testing::StatusIs;
using ::testing::HasSubstr;

constexpr uint64_t kSecond = 1'000'000'000;

TEST(ParseGoDurationNanosTest, AcceptsGoSyntax) {
  const std::vector<std::pair<std::string, uint64_t>> cases = {
      {"0", 0},
      {"+0", 0},
      {"-0", 0},
      {"0s", 0},
      {"300ns", 300},
      {"1us", 1'000},
      {"1\xC2\xB5s", 1'000},  // U+00B5
      {"1\xCE\xBCs", 1'000},  // U+03BC
      {"100ms", 100'000'000},
      {"1.5s", 1'500'000'000},
      {".5s", 500'000'000},
      {"1.s", kSecond},
      {"+5s", 5 * kSecond},
      {"2m", 120 * kSecond},
      {"1.5h", 5400 * kSecond},
      {"2h45m", (2 * 3600 + 45 * 60) * kSecond},
      {"1h1m1s1ms1us1ns", 3661 * kSecond + 1'001'001},
      {"0.000000001s", 1},
      {"1.0000000001s", kSecond},
      {"9223372036854775807ns", 9223372036854775807u},
      {"2562047h", uint64_t{2562047} * 3600 * kSecond},
  };
  for (const auto& [text, nanos] : cases) {
    absl::StatusOr<uint64_t> parsed = ParseGoDurationNanos(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    EXPECT_EQ(*parsed, nanos) << text;
  }
}

TEST(ParseGoDurationNanosTest, RejectsInvalid) {
  for (const char* text : {"", "+", "-", "abc", "1.2.3s", ".s", "s", "1s ", " 1s", "1e3s",
                           "9223372036854775808ns", "2562048h", "99999999999999999999s"}) {
    EXPECT_THAT(ParseGoDurationNanos(text), StatusIs(absl::StatusCode::kInvalidArgument)) << text;
  }
}

TEST(ParseGoDurationNanosTest, ErrorMessages) {
  EXPECT_THAT(ParseGoDurationNanos("100"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("time: missing unit in duration \"100\"")));
  EXPECT_THAT(ParseGoDurationNanos("5x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("time: unknown unit \"x\" in duration \"5x\"")));
  EXPECT_THAT(ParseGoDurationNanos("abc"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                    HasSubstr("time: invalid duration \"abc\"")));
  EXPECT_THAT(ParseGoDurationNanos("-1s"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("negative duration")));
}

}  // namespace
}  // namespace spanvault
