#include "query/query_params.h"

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
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

using Attrs = std::vector<std::pair<std::string, std::string>>;

constexpr uint64_t kNowMicros = 1'700'000'000'000'000;
constexpr uint64_t kTwoDaysMicros = uint64_t{48} * 3600 * 1'000'000;
constexpr uint64_t kSecond = 1'000'000'000;

absl::Time Now() { return absl::FromUnixMicros(kNowMicros); }

absl::StatusOr<ClassicSearch> Classic(const QueryParams& params) {
  return ParseClassicSearch(params, Now());
}

// Asserts ParseClassicSearch fails with kInvalidArgument and a message containing `message`.
void ExpectClassicError(const QueryParams& params, const std::string& message) {
  EXPECT_THAT(Classic(params), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)));
}

// ---------------------------------------------------------------------------------------------
// ParseRfc3339Nanos

constexpr uint64_t k20260102T030405 = 1767323045;

TEST(ParseRfc3339NanosTest, AcceptsRfc3339) {
  const std::vector<std::pair<std::string, uint64_t>> cases = {
      {"1970-01-01T00:00:00Z", 0},
      {"2026-01-02T03:04:05Z", k20260102T030405 * kSecond},
      {"2026-01-02T03:04:05.123Z", k20260102T030405 * kSecond + 123'000'000},
      {"2026-01-02t03:04:05.5z", k20260102T030405 * kSecond + 500'000'000},
      {"2026-01-02T03:04:05.123456789Z", k20260102T030405 * kSecond + 123'456'789},
      {"2026-01-02T05:04:05+02:00", k20260102T030405 * kSecond},
      {"2026-01-01T21:34:05.000000001-05:30", k20260102T030405 * kSecond + 1},
      {"2024-02-29T00:00:00Z", 1709164800 * kSecond},
      {"1970-01-01T01:00:00+01:00", 0},
      {"2554-07-21T23:34:32Z", 18446744072 * kSecond},
  };
  for (const auto& [text, nanos] : cases) {
    absl::StatusOr<uint64_t> parsed = ParseRfc3339Nanos(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    EXPECT_EQ(*parsed, nanos) << text;
  }
}

TEST(ParseRfc3339NanosTest, RejectsInvalid) {
  for (const char* text : {
           "",
           "2026-01-02",
           "2026-01-02T03:04:05",              // no zone
           "2026-01-02 03:04:05Z",             // space separator
           " 2026-01-02T03:04:05Z",            // whitespace
           "2026-01-02T03:04:05Z ",            //
           "2026-1-02T03:04:05Z",              // one-digit month
           "2026-01-02T03:04:05+0200",         // offset without colon
           "2026-01-02T03:04:05.Z",            // empty fraction
           "2026-01-02T03:04:05.1234567891Z",  // 10 fraction digits
           "2026-02-29T00:00:00Z",             // not a leap year
           "2026-13-01T00:00:00Z",             //
           "2026-01-02T24:00:00Z",             //
           "2026-01-02T03:60:00Z",             //
           "2026-01-02T03:04:60Z",             // leap second
           "2026-01-02T03:04:05+24:00",        //
           "1969-12-31T23:59:59Z",             // before 1970
           "1970-01-01T00:30:00+01:00",        // before 1970 once the offset is applied
           "2554-07-21T23:34:33Z",             // past uint64 nanoseconds
       }) {
    EXPECT_THAT(ParseRfc3339Nanos(text), StatusIs(absl::StatusCode::kInvalidArgument)) << text;
  }
}

// ---------------------------------------------------------------------------------------------
// ParseClassicSearch

TEST(ParseClassicSearchTest, Defaults) {
  absl::StatusOr<ClassicSearch> search = Classic({{"service", "frontend"}});
  SV_ASSERT_OK(search);
  const TraceQuery& q = search->query;
  EXPECT_EQ(q.service_name, "frontend");
  EXPECT_EQ(q.operation_name, "");
  EXPECT_TRUE(q.attributes.empty());
  EXPECT_EQ(q.start_time_max_unix_nano, kNowMicros * 1000);
  EXPECT_EQ(q.start_time_min_unix_nano, (kNowMicros - kTwoDaysMicros) * 1000);
  EXPECT_FALSE(q.duration_min_nanos.has_value());
  EXPECT_FALSE(q.duration_max_nanos.has_value());
  EXPECT_EQ(q.search_depth, 100);
  EXPECT_TRUE(search->trace_ids.empty());
  EXPECT_FALSE(search->raw);
}

TEST(ParseClassicSearchTest, EveryParameter) {
  absl::StatusOr<ClassicSearch> search = Classic({
      {"service", "frontend"},
      {"operation", "GET /"},
      {"tags", R"({"http.status_code":"500"})"},
      {"tag", "error:true"},
      {"minDuration", "100ms"},
      {"maxDuration", "1.5s"},
      {"start", "1600000000000000"},
      {"end", "1600000001000000"},
      {"lookback", "custom"},
      {"limit", "20"},
      {"raw", "true"},
      {"prettyPrint", "true"},
      {"spanKind", "server"},
  });
  SV_ASSERT_OK(search);
  const TraceQuery& q = search->query;
  EXPECT_EQ(q.service_name, "frontend");
  EXPECT_EQ(q.operation_name, "GET /");
  EXPECT_THAT(q.attributes, ElementsAre(Pair("error", "true"), Pair("http.status_code", "500")));
  EXPECT_EQ(q.duration_min_nanos, 100'000'000u);
  EXPECT_EQ(q.duration_max_nanos, 1'500'000'000u);
  EXPECT_EQ(q.start_time_min_unix_nano, 1'600'000'000'000'000'000u);
  EXPECT_EQ(q.start_time_max_unix_nano, 1'600'000'001'000'000'000u);
  EXPECT_EQ(q.search_depth, 20);
  EXPECT_TRUE(search->raw);
}

TEST(ParseClassicSearchTest, TagsMergedSortedLaterWins) {
  absl::StatusOr<ClassicSearch> search = Classic({
      {"service", "s"},
      {"tags", R"({"b":"1","a":"2"})"},
      {"tag", "c:x:y"},
      {"tags", R"({"b":"3"})"},
      {"tag", "a:4"},
      {"tag", ":empty-key"},
  });
  SV_ASSERT_OK(search);
  EXPECT_THAT(search->query.attributes,
              ElementsAre(Pair("", "empty-key"), Pair("a", "4"), Pair("b", "3"), Pair("c", "x:y")));
}

TEST(ParseClassicSearchTest, MalformedTags) {
  for (const char* tags : {R"({"a":1})", R"(["a"])", "null", "not json", "", R"({"a":"1")"}) {
    ExpectClassicError({{"service", "s"}, {"tags", tags}},
                       "malformed 'tags' parameter, cannot unmarshal JSON");
  }
}

TEST(ParseClassicSearchTest, MalformedTag) {
  ExpectClassicError({{"service", "s"}, {"tag", "novalue"}},
                     "malformed 'tag' parameter, expecting key:value");
}

TEST(ParseClassicSearchTest, DurationErrors) {
  ExpectClassicError({{"service", "s"}, {"minDuration", "100"}},
                     "unable to parse param 'minDuration': time: missing unit");
  ExpectClassicError({{"service", "s"}, {"maxDuration", "abc"}},
                     "unable to parse param 'maxDuration': time: invalid duration");
  ExpectClassicError({{"service", "s"}, {"minDuration", "-1s"}},
                     "unable to parse param 'minDuration': negative duration");
  ExpectClassicError({{"service", "s"}, {"minDuration", "2s"}, {"maxDuration", "1s"}},
                     "'maxDuration' should be greater than 'minDuration'");
}

TEST(ParseClassicSearchTest, EqualDurationsAndEmptyDurations) {
  absl::StatusOr<ClassicSearch> search =
      Classic({{"service", "s"}, {"minDuration", "1s"}, {"maxDuration", "1000ms"}});
  SV_ASSERT_OK(search);
  EXPECT_EQ(search->query.duration_min_nanos, kSecond);
  EXPECT_EQ(search->query.duration_max_nanos, kSecond);

  search = Classic({{"service", "s"}, {"minDuration", ""}, {"maxDuration", ""}});
  SV_ASSERT_OK(search);
  EXPECT_FALSE(search->query.duration_min_nanos.has_value());
  EXPECT_FALSE(search->query.duration_max_nanos.has_value());
}

TEST(ParseClassicSearchTest, TimeErrors) {
  ExpectClassicError({{"service", "s"}, {"start", "abc"}}, "unable to parse param 'start': ");
  ExpectClassicError({{"service", "s"}, {"end", "1.5"}}, "unable to parse param 'end': ");
  ExpectClassicError({{"service", "s"}, {"start", "-1"}}, "unable to parse param 'start': ");
  ExpectClassicError({{"service", "s"}, {"end", "9223372036854775807"}},
                     "unable to parse param 'end': ");
  ExpectClassicError({{"service", "s"}, {"start", "20"}, {"end", "10"}},
                     "'start' should not be after 'end'");
  // Default end is now.
  ExpectClassicError({{"service", "s"}, {"start", std::to_string(kNowMicros + 1)}},
                     "'start' should not be after 'end'");
}

TEST(ParseClassicSearchTest, OnlyEndGivenStartsTwoDaysEarlier) {
  absl::StatusOr<ClassicSearch> search =
      Classic({{"service", "s"}, {"end", std::to_string(kTwoDaysMicros + 7)}});
  SV_ASSERT_OK(search);
  EXPECT_EQ(search->query.start_time_min_unix_nano, 7'000u);
  EXPECT_EQ(search->query.start_time_max_unix_nano, (kTwoDaysMicros + 7) * 1000);

  search = Classic({{"service", "s"}, {"end", "5"}});
  SV_ASSERT_OK(search);
  EXPECT_EQ(search->query.start_time_min_unix_nano, 0u);
  EXPECT_EQ(search->query.start_time_max_unix_nano, 5'000u);
}

TEST(ParseClassicSearchTest, OnlyStartGivenEndsNow) {
  absl::StatusOr<ClassicSearch> search = Classic({{"service", "s"}, {"start", "0"}});
  SV_ASSERT_OK(search);
  EXPECT_EQ(search->query.start_time_min_unix_nano, 0u);
  EXPECT_EQ(search->query.start_time_max_unix_nano, kNowMicros * 1000);
}

TEST(ParseClassicSearchTest, LimitErrors) {
  for (const char* limit : {"0", "-1", "abc", "1.5", "99999999999"}) {
    ExpectClassicError({{"service", "s"}, {"limit", limit}}, "unable to parse param 'limit': ");
  }
}

TEST(ParseClassicSearchTest, RawValues) {
  for (const auto& [text, raw] : std::vector<std::pair<std::string, bool>>{
           {"true", true}, {"1", true}, {"false", false}, {"0", false}, {"", false}}) {
    absl::StatusOr<ClassicSearch> search = Classic({{"service", "s"}, {"raw", text}});
    SV_ASSERT_OK(search);
    EXPECT_EQ(search->raw, raw) << text;
  }
  ExpectClassicError({{"service", "s"}, {"raw", "yes"}}, "unable to parse param 'raw': ");
}

TEST(ParseClassicSearchTest, TraceIdsWithoutService) {
  absl::StatusOr<ClassicSearch> search =
      Classic({{"traceID", "abc"}, {"traceID", "0102030405060708090a0b0c0d0e0f10"}});
  SV_ASSERT_OK(search);
  ASSERT_EQ(search->trace_ids.size(), 2u);
  EXPECT_EQ(search->trace_ids[0].ToHex(), "00000000000000000000000000000abc");
  EXPECT_EQ(search->trace_ids[1].ToHex(), "0102030405060708090a0b0c0d0e0f10");
}

TEST(ParseClassicSearchTest, MalformedTraceId) {
  for (const char* id : {"xyz", "", "0", "0102030405060708090a0b0c0d0e0f1011"}) {
    ExpectClassicError({{"traceID", id}}, "malformed 'traceID' parameter: ");
  }
}

TEST(ParseClassicSearchTest, ServiceRequiredWithoutTraceId) {
  ExpectClassicError({}, "parameter 'service' is required");
  ExpectClassicError({{"service", ""}, {"operation", "op"}}, "parameter 'service' is required");
}

TEST(ParseClassicSearchTest, EmptyOperationMeansAny) {
  absl::StatusOr<ClassicSearch> search = Classic({{"service", "s"}, {"operation", ""}});
  SV_ASSERT_OK(search);
  EXPECT_EQ(search->query.operation_name, "");
}

TEST(ParseClassicSearchTest, FirstValueOfSingleParameterWins) {
  absl::StatusOr<ClassicSearch> search =
      Classic({{"service", "a"}, {"service", "b"}, {"limit", "5"}, {"limit", "bad"}});
  SV_ASSERT_OK(search);
  EXPECT_EQ(search->query.service_name, "a");
  EXPECT_EQ(search->query.search_depth, 5);
}

TEST(ParseClassicSearchTest, UnknownParameter) {
  ExpectClassicError({{"service", "s"}, {"services", "x"}}, "unknown parameter 'services'");
  ExpectClassicError({{"service", "s"}, {"query.serviceName", "x"}},
                     "unknown parameter 'query.serviceName'");
}

// ---------------------------------------------------------------------------------------------
// ParseV3Search

constexpr char kMin[] = "2026-01-02T03:04:05.000Z";
constexpr char kMax[] = "2026-01-02T04:04:05.000Z";

void ExpectV3Error(const QueryParams& params, const std::string& message) {
  EXPECT_THAT(ParseV3Search(params),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)));
}

TEST(ParseV3SearchTest, MinimalDefaults) {
  absl::StatusOr<TraceQuery> q =
      ParseV3Search({{"query.startTimeMin", kMin}, {"query.startTimeMax", kMax}});
  SV_ASSERT_OK(q);
  EXPECT_EQ(q->service_name, "");
  EXPECT_EQ(q->operation_name, "");
  EXPECT_TRUE(q->attributes.empty());
  EXPECT_EQ(q->start_time_min_unix_nano, k20260102T030405 * kSecond);
  EXPECT_EQ(q->start_time_max_unix_nano, (k20260102T030405 + 3600) * kSecond);
  EXPECT_FALSE(q->duration_min_nanos.has_value());
  EXPECT_FALSE(q->duration_max_nanos.has_value());
  EXPECT_EQ(q->search_depth, 100);
}

TEST(ParseV3SearchTest, CanonicalNames) {
  absl::StatusOr<TraceQuery> q = ParseV3Search({
      {"query.serviceName", "frontend"},
      {"query.operationName", "GET /"},
      {"query.startTimeMin", kMin},
      {"query.startTimeMax", kMax},
      {"query.durationMin", "100ms"},
      {"query.durationMax", "2s"},
      {"query.searchDepth", "20"},
      {"query.attributes", R"({"http.status_code":"500","error":"true"})"},
      {"query.rawTraces", "true"},
  });
  SV_ASSERT_OK(q);
  EXPECT_EQ(q->service_name, "frontend");
  EXPECT_EQ(q->operation_name, "GET /");
  EXPECT_EQ(q->duration_min_nanos, 100'000'000u);
  EXPECT_EQ(q->duration_max_nanos, 2 * kSecond);
  EXPECT_EQ(q->search_depth, 20);
  EXPECT_THAT(q->attributes, ElementsAre(Pair("error", "true"), Pair("http.status_code", "500")));
}

TEST(ParseV3SearchTest, SnakeCaseAliases) {
  absl::StatusOr<TraceQuery> q = ParseV3Search({
      {"query.service_name", "frontend"},
      {"query.operation_name", "GET /"},
      {"query.start_time_min", kMin},
      {"query.start_time_max", kMax},
      {"query.duration_min", "1ms"},
      {"query.duration_max", "2ms"},
      {"query.search_depth", "7"},
      {"query.raw_traces", "false"},
  });
  SV_ASSERT_OK(q);
  EXPECT_EQ(q->service_name, "frontend");
  EXPECT_EQ(q->operation_name, "GET /");
  EXPECT_EQ(q->start_time_min_unix_nano, k20260102T030405 * kSecond);
  EXPECT_EQ(q->duration_min_nanos, 1'000'000u);
  EXPECT_EQ(q->duration_max_nanos, 2'000'000u);
  EXPECT_EQ(q->search_depth, 7);

  q = ParseV3Search(
      {{"query.start_time_min", kMin}, {"query.start_time_max", kMax}, {"query.num_traces", "9"}});
  SV_ASSERT_OK(q);
  EXPECT_EQ(q->search_depth, 9);
}

TEST(ParseV3SearchTest, CanonicalNameWinsOverAlias) {
  absl::StatusOr<TraceQuery> q = ParseV3Search({
      {"query.service_name", "alias"},
      {"query.serviceName", "canonical"},
      {"query.startTimeMin", kMin},
      {"query.startTimeMax", kMax},
      {"query.num_traces", "3"},
      {"query.searchDepth", "4"},
  });
  SV_ASSERT_OK(q);
  EXPECT_EQ(q->service_name, "canonical");
  EXPECT_EQ(q->search_depth, 4);
}

TEST(ParseV3SearchTest, StartTimesRequired) {
  const std::string kRequired = "query.startTimeMin and query.startTimeMax are required";
  ExpectV3Error({}, kRequired);
  ExpectV3Error({{"query.startTimeMin", kMin}}, kRequired);
  ExpectV3Error({{"query.startTimeMax", kMax}}, kRequired);
  ExpectV3Error({{"query.startTimeMin", ""}, {"query.startTimeMax", kMax}}, kRequired);
}

TEST(ParseV3SearchTest, MalformedStartTimes) {
  ExpectV3Error({{"query.startTimeMin", "yesterday"}, {"query.startTimeMax", kMax}},
                "malformed parameter query.startTimeMin: ");
  ExpectV3Error({{"query.startTimeMin", kMin}, {"query.start_time_max", "1700000000"}},
                "malformed parameter query.start_time_max: ");
  ExpectV3Error({{"query.startTimeMin", kMax}, {"query.startTimeMax", kMin}},
                "query.startTimeMin should not be after query.startTimeMax");
  SV_EXPECT_OK(ParseV3Search({{"query.startTimeMin", kMin}, {"query.startTimeMax", kMin}}));
}

TEST(ParseV3SearchTest, DurationErrors) {
  const QueryParams times = {{"query.startTimeMin", kMin}, {"query.startTimeMax", kMax}};
  auto with = [&times](QueryParams extra) {
    extra.insert(extra.end(), times.begin(), times.end());
    return extra;
  };
  ExpectV3Error(with({{"query.durationMin", "100"}}),
                "malformed parameter query.durationMin: time: missing unit");
  ExpectV3Error(with({{"query.duration_max", "x"}}), "malformed parameter query.duration_max: ");
  ExpectV3Error(with({{"query.durationMin", "2s"}, {"query.durationMax", "1s"}}),
                "query.durationMin should not be greater than query.durationMax");
  ExpectV3Error(with({{"query.searchDepth", "0"}}), "malformed parameter query.searchDepth: ");
  ExpectV3Error(with({{"query.num_traces", "many"}}), "malformed parameter query.num_traces: ");
  ExpectV3Error(with({{"query.attributes", R"({"a":1})"}}),
                "malformed parameter query.attributes: ");
  ExpectV3Error(with({{"query.attributes", "[]"}}), "malformed parameter query.attributes: ");
  ExpectV3Error(with({{"query.rawTraces", "maybe"}}), "malformed parameter query.rawTraces: ");
}

TEST(ParseV3SearchTest, UnknownParameter) {
  ExpectV3Error({{"query.startTimeMin", kMin}, {"query.startTimeMax", kMax}, {"service", "s"}},
                "unknown parameter 'service'");
  ExpectV3Error({{"query.filter", "{}"}}, "unknown parameter 'query.filter'");
}

}  // namespace
}  // namespace spanvault
