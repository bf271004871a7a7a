#include "collector/gzip.h"

#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace spanvault {
namespace {

using ::spanvault::testing::StatusIs;
using ::testing::HasSubstr;

constexpr size_t kMiB = 1024 * 1024;

// Incompressible bytes, so the compressed stream spans many deflate blocks.
std::string RandomBytes(size_t size) {
  std::mt19937 rng(42);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

TEST(GzipTest, RoundTrips) {
  for (const std::string& data : {std::string(), std::string("hello, spans"),
                                  RandomBytes(300 * 1024), std::string(5 * kMiB, 'x')}) {
    const std::string compressed = Gzip(data);
    ASSERT_GE(compressed.size(), 18u);  // gzip header and trailer.
    EXPECT_EQ(static_cast<unsigned char>(compressed[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(compressed[1]), 0x8b);
    auto out = Gunzip(compressed, 16 * kMiB);
    SV_ASSERT_OK(out);
    EXPECT_EQ(*out, data);
  }
}

TEST(GzipTest, LimitIsInclusive) {
  // Sizes on both sides of the 64 KiB chunk boundary as well as an odd size.
  for (size_t size : {size_t{1000}, size_t{64 * 1024}, size_t{3 * 64 * 1024 + 17}}) {
    const std::string data = RandomBytes(size);
    const std::string compressed = Gzip(data);
    auto at_limit = Gunzip(compressed, size);
    SV_ASSERT_OK(at_limit);
    EXPECT_EQ(*at_limit, data);
    EXPECT_THAT(Gunzip(compressed, size - 1), StatusIs(absl::StatusCode::kResourceExhausted,
                                                       "decompressed body exceeds the limit of " +
                                                           std::to_string(size - 1) + " bytes"));
  }
  SV_EXPECT_OK(Gunzip(Gzip(""), 0));
  EXPECT_THAT(Gunzip(Gzip("a"), 0), StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(GzipTest, StopsAGzipBombAtTheLimit) {
  const std::string bomb = Gzip(std::string(100 * kMiB, '\0'));
  ASSERT_LT(bomb.size(), 200 * 1024u);
  EXPECT_THAT(Gunzip(bomb, 16 * kMiB), StatusIs(absl::StatusCode::kResourceExhausted,
                                                HasSubstr("exceeds the limit of 16777216 bytes")));
}

TEST(GzipTest, RejectsDataThatIsNotGzip) {
  EXPECT_THAT(Gunzip("{\"resourceSpans\":[]}", kMiB),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("body is not valid gzip: incorrect header check")));
  std::string corrupt = Gzip(RandomBytes(10000));
  corrupt[corrupt.size() - 6] ^= 0x55;  // Inside the CRC-32 trailer.
  EXPECT_THAT(Gunzip(corrupt, kMiB),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body is not valid gzip: ")));
  std::string bad_block = Gzip("some text that compresses some text that compresses");
  bad_block[10] = '\xff';  // First byte of the deflate data: an invalid block type.
  EXPECT_THAT(Gunzip(bad_block, kMiB),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body is not valid gzip: ")));
}

TEST(GzipTest, RejectsTruncatedData) {
  const std::string compressed = Gzip(RandomBytes(200 * 1024));
  for (size_t keep :
       {size_t{1}, size_t{5}, size_t{12}, compressed.size() / 2, compressed.size() - 1}) {
    EXPECT_THAT(Gunzip(compressed.substr(0, keep), kMiB),
                StatusIs(absl::StatusCode::kInvalidArgument, "gzip body is truncated"))
        << "kept " << keep << " of " << compressed.size() << " bytes";
  }
}

TEST(GzipTest, DecompressesConcatenatedMembers) {
  const std::string second = RandomBytes(70 * 1024);
  auto out = Gunzip(Gzip("first member, ") + Gzip(second) + Gzip(""), kMiB);
  SV_ASSERT_OK(out);
  EXPECT_EQ(*out, "first member, " + second);
  // The limit covers all members together.
  EXPECT_THAT(Gunzip(Gzip(std::string(600, 'a')) + Gzip(std::string(600, 'b')), 1000),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(GzipTest, RejectsTrailingGarbage) {
  EXPECT_THAT(Gunzip(Gzip("payload") + "garbage!", kMiB),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid gzip")));
}

TEST(GzipTest, RejectsEmptyInput) {
  EXPECT_THAT(Gunzip("", kMiB),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty body")));
}

TEST(GzipTest, ReadsOutputOfTheGzipTool) {
  // `gzip -9 spans.json` (GNU gzip 1.12): the header carries a file name and a timestamp.
  constexpr unsigned char kFile[] = {
      0x1f, 0x8b, 0x08, 0x08, 0x8c, 0xd6, 0x08, 0x6b, 0x02, 0x03, 0x73, 0x70, 0x61,
      0x6e, 0x73, 0x2e, 0x6a, 0x73, 0x6f, 0x6e, 0x00, 0xab, 0x56, 0x2a, 0x4a, 0x2d,
      0xce, 0x2f, 0x2d, 0x4a, 0x4e, 0x0d, 0x2e, 0x48, 0xcc, 0x2b, 0x56, 0xb2, 0x8a,
      0x8e, 0xad, 0xe5, 0x02, 0x00, 0xbb, 0xd1, 0xfe, 0xb2, 0x15, 0x00, 0x00, 0x00};
  auto out = Gunzip(std::string_view(reinterpret_cast<const char*>(kFile), sizeof(kFile)), kMiB);
  SV_ASSERT_OK(out);
  EXPECT_EQ(*out, "{\"resourceSpans\":[]}\n");
}

}  // namespace
}  // namespace spanvault
