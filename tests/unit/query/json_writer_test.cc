#include "query/json_writer.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace spanvault {
namespace {

using ::nlohmann::json;

// What the HTTP API printed before JsonWriter: the oracle every test compares with.
std::string Dump(const json& value, int indent = -1) {
  return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string Escaped(std::string_view s) {
  std::string out;
  AppendJsonEscaped(s, out);
  return out;
}

// The body of the dumped string, without its quotes.
std::string DumpEscaped(std::string_view s) {
  std::string dumped = Dump(json(std::string(s)));
  return dumped.substr(1, dumped.size() - 2);
}

TEST(AppendJsonEscapedTest, EveryOneAndTwoByteStringAsDump) {
  for (int a = 0; a < 256; ++a) {
    const std::string one(1, static_cast<char>(a));
    ASSERT_EQ(Escaped(one), DumpEscaped(one)) << "byte " << a;
    for (int b = 0; b < 256; ++b) {
      const std::string two = {static_cast<char>(a), static_cast<char>(b)};
      ASSERT_EQ(Escaped(two), DumpEscaped(two)) << "bytes " << a << " " << b;
    }
  }
}

// Every string of 3 and 4 bytes over the bytes where UTF-8's rules change: lead bytes with a
// restricted second byte (E0, ED, F0, F4), bounds of the continuation ranges, never-valid bytes.
TEST(AppendJsonEscapedTest, ThreeAndFourByteBoundaryStringsAsDump) {
  const std::vector<unsigned char> bytes = {0x00, 0x1F, 'a',  '"',  '\\', 0x7F, 0x80, 0x8F,
                                            0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                                            0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5};
  const size_t n = bytes.size();
  for (size_t i = 0; i < n * n * n * n; ++i) {
    std::string s = {static_cast<char>(bytes[i % n]), static_cast<char>(bytes[i / n % n]),
                     static_cast<char>(bytes[i / n / n % n]),
                     static_cast<char>(bytes[i / n / n / n])};
    ASSERT_EQ(Escaped(s), DumpEscaped(s)) << ::testing::PrintToString(s);
    s.pop_back();
    ASSERT_EQ(Escaped(s), DumpEscaped(s)) << ::testing::PrintToString(s);
  }
}

TEST(AppendJsonEscapedTest, RandomStringsAsDump) {
  std::mt19937 random(7);
  for (int round = 0; round < 20000; ++round) {
    std::string s(random() % 24, '\0');
    for (char& c : s) c = static_cast<char>(random());
    ASSERT_EQ(Escaped(s), DumpEscaped(s)) << ::testing::PrintToString(s);
  }
}

TEST(AppendJsonEscapedTest, ValidTextKeepsItsBytes) {
  EXPECT_EQ(Escaped("Grüße, 世界 😀 \x7f/"), "Grüße, 世界 😀 \x7f/");
  EXPECT_EQ(Escaped("a\"b\\c\b\f\n\r\t\x01\x1f"), "a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f");
  EXPECT_EQ(Escaped("\xE2\x82x"), "\xEF\xBF\xBDx");  // a broken sequence: one U+FFFD
}

std::string Written(void (*write)(JsonWriter&), int indent = -1) {
  std::string out;
  JsonWriter writer(out, indent);
  write(writer);
  return out;
}

TEST(JsonWriterTest, IntegersAsDump) {
  const std::vector<int64_t> ints = {0,
                                     1,
                                     -1,
                                     9,
                                     10,
                                     -10,
                                     99,
                                     100,
                                     9007199254740991,
                                     std::numeric_limits<int64_t>::min(),
                                     std::numeric_limits<int64_t>::max()};
  for (int64_t i : ints) {
    std::string out;
    JsonWriter(out).Int(i);
    EXPECT_EQ(out, Dump(json(i)));
  }
  for (uint64_t u : {uint64_t{0}, uint64_t{7}, std::numeric_limits<uint64_t>::max()}) {
    std::string out;
    JsonWriter(out).Uint(u);
    EXPECT_EQ(out, Dump(json(u)));
  }
}

std::string WrittenDouble(double d) {
  std::string out;
  JsonWriter(out).Double(d);
  return out;
}

TEST(JsonWriterTest, DoublesAsDump) {
  const std::vector<double> doubles = {0.0,
                                       -0.0,
                                       0.25,
                                       0.1,
                                       1.0,
                                       -2.5e-5,
                                       1e-4,
                                       1e-5,
                                       1e15,
                                       1e16,
                                       1e20,
                                       123456789.125,
                                       1e300,
                                       5e-324,
                                       std::numeric_limits<double>::max(),
                                       std::numeric_limits<double>::min(),
                                       std::nan(""),
                                       std::numeric_limits<double>::infinity(),
                                       -std::numeric_limits<double>::infinity()};
  for (double d : doubles) EXPECT_EQ(WrittenDouble(d), Dump(json(d))) << d;
  std::mt19937_64 random(11);
  for (int round = 0; round < 100000; ++round) {
    const uint64_t bits = random();
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    ASSERT_EQ(WrittenDouble(d), Dump(json(d))) << bits;
  }
}

void WriteNested(JsonWriter& w) {
  w.BeginObject();
  w.Key("a");
  w.BeginArray();
  w.EndArray();
  w.Key("b");
  w.BeginObject();
  w.EndObject();
  w.Key("c\n\"");
  w.BeginArray();
  w.Int(1);
  w.BeginArray();
  w.BeginObject();
  w.Key("x");
  w.Null();
  w.EndObject();
  w.EndArray();
  w.String("s");
  w.Bool(false);
  w.HexString(std::string_view("\x01\xab", 2), 8);
  w.EndArray();
  w.Key("d");
  w.Bool(true);
  w.EndObject();
}

TEST(JsonWriterTest, CompactAndPrettyAsDump) {
  const json expected = {{"a", json::array()},
                         {"b", json::object()},
                         {"c\n\"", {1, json::array({{{"x", nullptr}}}), "s", false, "000001ab"}},
                         {"d", true}};
  for (int indent : {-1, 0, 2, 4}) {
    EXPECT_EQ(Written(WriteNested, indent), Dump(expected, indent)) << "indent " << indent;
  }
}

TEST(JsonWriterTest, TopLevelScalarsAndEmptyContainers) {
  EXPECT_EQ(Written([](JsonWriter& w) { w.Null(); }), "null");
  EXPECT_EQ(Written(
                [](JsonWriter& w) {
                  w.BeginArray();
                  w.EndArray();
                },
                4),
            "[]");
  EXPECT_EQ(Written(
                [](JsonWriter& w) {
                  w.BeginObject();
                  w.EndObject();
                },
                4),
            "{}");
}

}  // namespace
}  // namespace spanvault
