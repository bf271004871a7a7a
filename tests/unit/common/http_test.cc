#include "common/http.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spanvault {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(HttpTest, ParsesQueryStringsWithEscapes) {
  EXPECT_THAT(ParseQueryString("service=shop%20api&tags=%7B%22a%22%3A%221%22%7D&x=a+b&flag"),
              ElementsAre(Pair("service", "shop api"), Pair("tags", "{\"a\":\"1\"}"),
                          Pair("x", "a b"), Pair("flag", "")));
}

TEST(HttpTest, KeepsInvalidEscapes) {
  EXPECT_EQ(PercentDecode("100%", false), "100%");
  EXPECT_EQ(PercentDecode("%zz%4", false), "%zz%4");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
}

TEST(HttpTest, FindsHeaders) {
  HttpRequest r;
  r.headers = {{"content-type", "application/json"}};
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("content-encoding"), "");
}

}  // namespace
}  // namespace spanvault
