#include "cli/order_output.h"

#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spanvault::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The shape of docs/orders.md: a stuck order, a hidden step, one trace.
json StuckJourney() {
  return json::parse(R"({
    "flow": "order", "key": "o-1001",
    "verdict": {"status": "stuck", "step": "consumed", "after": "published", "waitingMs": 312004.5,
                "message": "published to orders 5m12s ago and not consumed: lost or waiting in the queue"},
    "firstSeen": "2026-11-27T10:00:00.000000Z", "updated": "2026-11-27T10:00:00.104000Z",
    "lastStep": "published",
    "steps": [
      {"name": "placed", "reached": true, "service": "shop-api", "operation": "POST /orders",
       "start": "2026-11-27T10:00:00.000000Z", "durationMs": 8.0, "status": "ok", "gapMs": null,
       "traceID": "4bf92f3577b34da6a3ce929d0e0e4736"},
      {"name": "published", "reached": true, "service": "crm-api", "operation": "orders publish",
       "start": "2026-11-27T10:00:00.004000Z", "durationMs": 1.5, "status": "error",
       "error": "broker down", "gapMs": 36.25, "traceID": "4bf92f3577b34da6a3ce929d0e0e4736"},
      {"name": "checked", "reached": true, "hidden": true},
      {"name": "consumed", "reached": false}
    ],
    "traces": [{"traceID": "4bf92f3577b34da6a3ce929d0e0e4736", "kept": true, "pending": false}]
  })");
}

TEST(PrintJourneyTest, VerdictLineThenOneRowPerStepThenTheTraces) {
  std::ostringstream out;
  PrintJourney(out, StuckJourney());
  std::vector<std::string> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 10u) << out.str();
  EXPECT_EQ(lines[0],
            "o-1001: stuck at consumed: published to orders 5m12s ago and not consumed: lost or "
            "waiting in the queue");
  EXPECT_THAT(lines[2], HasSubstr("STEP"));
  EXPECT_THAT(lines[3], HasSubstr("placed"));
  EXPECT_THAT(lines[3], HasSubstr("8ms"));
  EXPECT_THAT(lines[4], HasSubstr("36.25ms"));  // the gap
  EXPECT_THAT(lines[4], HasSubstr("1.5ms"));
  EXPECT_THAT(lines[4], HasSubstr("error (broker down)"));
  EXPECT_THAT(lines[5], HasSubstr("hidden"));
  EXPECT_THAT(lines[5], Not(HasSubstr("shop-api")));
  EXPECT_THAT(lines[6], HasSubstr("consumed"));
  EXPECT_THAT(lines[6], HasSubstr(" no "));
  EXPECT_THAT(lines[8], HasSubstr("KEPT"));
  EXPECT_THAT(lines[9], HasSubstr("4bf92f3577b34da6a3ce929d0e0e4736  yes   no"));
}

TEST(PrintJourneyTest, FirstStepHasNoGapAndColumnsAlign) {
  std::ostringstream out;
  PrintJourney(out, StuckJourney());
  std::vector<std::string> lines = Lines(out.str());
  ASSERT_GE(lines.size(), 5u);
  const size_t gap_column = lines[2].find("GAP");
  ASSERT_NE(gap_column, std::string::npos);
  EXPECT_EQ(lines[3].substr(gap_column, 2), "- ");
  EXPECT_EQ(lines[4].substr(gap_column, 7), "36.25ms");
}

TEST(PrintJourneyTest, CompletedWithoutMessage) {
  json journey = {{"key", "o-2"},
                  {"verdict", {{"status", "completed"}, {"step", "confirmed"}}},
                  {"steps", json::array()},
                  {"traces", json::array()}};
  std::ostringstream out;
  PrintJourney(out, journey);
  EXPECT_EQ(Lines(out.str())[0], "o-2: completed at confirmed");
}

TEST(PrintJourneyListTest, OneRowPerJourneyInTheGivenOrder) {
  json list = json::parse(R"([
    {"flow": "order", "key": "o-lost", "updated": "2026-11-27T10:00:01.000000Z",
     "lastStep": "published",
     "verdict": {"status": "stuck", "step": "consumed", "message": "lost or waiting in the queue"}},
    {"flow": "order", "key": "o-new", "updated": "2026-11-27T10:00:00.000000Z", "lastStep": null,
     "verdict": {"status": "in_progress", "step": null}}
  ])");
  std::ostringstream out;
  PrintJourneyList(out, list);
  std::vector<std::string> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 3u) << out.str();
  EXPECT_THAT(lines[0], HasSubstr("KEY"));
  EXPECT_THAT(lines[0], HasSubstr("LAST STEP"));
  EXPECT_THAT(lines[1], HasSubstr("o-lost"));
  EXPECT_THAT(lines[1], HasSubstr("lost or waiting in the queue"));
  EXPECT_THAT(lines[2], HasSubstr("o-new"));
  EXPECT_THAT(lines[2], HasSubstr("in_progress  -"));
}

}  // namespace
}  // namespace spanvault::cli
