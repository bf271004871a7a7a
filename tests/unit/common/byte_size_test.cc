#include "common/byte_size.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace spanvault {
namespace {

using ::spanvault::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ByteSizeTest, ReadsPlainBytesAndBinaryUnits) {
  EXPECT_EQ(*ParseByteSize("0"), 0u);
  EXPECT_EQ(*ParseByteSize("1073741824"), uint64_t{1} << 30);
  EXPECT_EQ(*ParseByteSize("64KiB"), uint64_t{64} << 10);
  EXPECT_EQ(*ParseByteSize("512MiB"), uint64_t{512} << 20);
  EXPECT_EQ(*ParseByteSize("1GiB"), uint64_t{1} << 30);
  EXPECT_EQ(*ParseByteSize("2TiB"), uint64_t{2} << 40);
}

TEST(ByteSizeTest, RejectsWhatIsNoByteSize) {
  for (const char* bad : {"", "MiB", "1.5GiB", "-1", "1 GiB", "1GB", "1gib", "lots", "+5",
                          "18446744073709551616", "17179869184GiB"}) {
    EXPECT_THAT(ParseByteSize(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is not a byte size")))
        << bad;
  }
}

}  // namespace
}  // namespace spanvault
