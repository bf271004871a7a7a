// ClientMetricsTap and ClientWindow: requests and errors per client of a service over a sliding
// window, the top N plus "other", errors by status and by HTTP status code, only acknowledged
// SERVER spans of the configured services, and memory bounded under a flood of client ids.

#include "spanmetrics/client_metrics.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spanmetrics/client_window.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/recording_sink.h"
#include "tests/testing/span_builder.h"
#include "tests/testing/status_matchers.h"

namespace spanvault::spanmetrics {
namespace {

using ::spanvault::testing::ConsumeAndWait;
using ::spanvault::testing::FakeClock;
using ::spanvault::testing::MakeBatch;
using ::spanvault::testing::MakeRequest;
using ::spanvault::testing::RecordingSink;
using ::spanvault::testing::SpanHex;
using ::spanvault::testing::TestSpan;
using ::spanvault::testing::TraceHex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::Duration kWindow = absl::Minutes(5);

// A SERVER span of `service` from `client` ("" leaves the attribute out).
TestSpan Request(const std::string& client, bool error = false,
                 const std::string& service = "mes-api") {
  static uint64_t next_id = 1;
  TestSpan s;
  s.service = service;
  s.trace_id = TraceHex(next_id);
  s.span_id = SpanHex(next_id++);
  s.name = "POST /api/orders";
  if (!client.empty()) s.attributes.push_back({"client_id", client});
  s.error = error;
  return s;
}

std::vector<TestSpan> Times(int n, const TestSpan& span) {
  std::vector<TestSpan> out;
  for (int i = 0; i < n; ++i) {
    TestSpan s = Request("");
    s.attributes = span.attributes;
    s.resource_attributes = span.resource_attributes;
    s.service = span.service;
    s.kind = span.kind;
    s.error = span.error;
    out.push_back(s);
  }
  return out;
}

// A client's series as (client, requests in the window, error ratio).
struct Row {
  std::string client;
  double requests;
  double error_ratio;
  bool operator==(const Row&) const = default;
};
void PrintTo(const Row& r, std::ostream* os) {
  *os << "{" << r.client << ", " << r.requests << ", " << r.error_ratio << "}";
}

class ClientMetricsTapTest : public ::testing::Test {
 protected:
  void Make(int top = 3, int max_clients = 1000) {
    ClientMetricsSpec spec;
    spec.service = "mes-api";
    spec.attribute = "client_id";
    spec.top = top;
    spec.window = kWindow;
    spec.max_clients = max_clients;
    tap_ = std::make_unique<ClientMetricsTap>(std::vector<ClientMetricsSpec>{spec}, next_, clock_,
                                              registry_);
  }
  void Send(const std::vector<TestSpan>& spans) {
    SV_ASSERT_OK(ConsumeAndWait(*tap_, MakeBatch(spans)));
  }
  // Requests per second back to requests in the window, for readable expectations.
  std::vector<Row> Rows() {
    std::vector<Row> rows;
    for (const auto& r : tap_->Rates()) {
      EXPECT_EQ(r.service, "mes-api");
      EXPECT_EQ(r.attribute, "client_id");
      rows.push_back(
          {r.client, r.requests_per_second * absl::ToDoubleSeconds(kWindow), r.error_ratio});
    }
    return rows;
  }

  FakeClock clock_;
  RecordingSink next_;
  MetricsRegistry registry_;
  std::unique_ptr<ClientMetricsTap> tap_;
};

TEST_F(ClientMetricsTapTest, CountsRequestsAndErrorsPerClientAndForwardsEverything) {
  Make();
  std::vector<TestSpan> spans = Times(3, Request("acme"));
  spans.push_back(Request("acme", /*error=*/true));
  spans.push_back(Request("zeta"));
  spans.push_back(Request(""));  // no client_id: counted as "unknown"
  Send(spans);

  EXPECT_EQ(next_.SpanCount(), 6u);
  EXPECT_THAT(Rows(), ElementsAre(Row{"acme", 4, 0.25}, Row{"unknown", 1, 0}, Row{"zeta", 1, 0},
                                  Row{"other", 0, 0}));
  std::string text = registry_.Render();
  EXPECT_THAT(text, HasSubstr("spanvault_client_requests_per_second{service=\"mes-api\","
                              "attribute=\"client_id\",client=\"acme\"} 0.013333333333333334\n"));
  EXPECT_THAT(text, HasSubstr("spanvault_client_error_ratio{service=\"mes-api\","
                              "attribute=\"client_id\",client=\"acme\"} 0.25\n"));
  EXPECT_THAT(text, HasSubstr("spanvault_client_error_ratio{service=\"mes-api\","
                              "attribute=\"client_id\",client=\"other\"} 0\n"));
}

TEST_F(ClientMetricsTapTest, HttpStatusCodesOfFiveHundredAndMoreAreErrors) {
  Make();
  TestSpan new_convention = Request("a");
  new_convention.attributes.push_back({"http.response.status_code", "503"});
  TestSpan old_convention = Request("a");
  old_convention.attributes.push_back({"http.status_code", "502"});
  TestSpan not_found = Request("a");
  not_found.attributes.push_back({"http.response.status_code", "404"});
  ExportRequest request = MakeRequest({new_convention, old_convention, not_found, Request("b")});
  // Instrumentations send the code as an int.
  auto* code = spanvault::testing::AddValue(request.mutable_resource_spans(3)
                                                ->mutable_scope_spans(0)
                                                ->mutable_spans(0)
                                                ->mutable_attributes(),
                                            "http.response.status_code");
  code->set_int_value(500);
  SV_ASSERT_OK(ConsumeAndWait(*tap_, SpanBatch(std::make_unique<ExportRequest>(request))));

  EXPECT_THAT(Rows(), ElementsAre(Row{"a", 3, 2.0 / 3}, Row{"b", 1, 1}, Row{"other", 0, 0}));
}

TEST_F(ClientMetricsTapTest, CountsOnlyAcknowledgedServerSpansOfTheService) {
  Make();
  TestSpan client_kind = Request("a");
  client_kind.kind = 3;  // SPAN_KIND_CLIENT: the caller's side
  TestSpan from_resource = Request("");
  from_resource.resource_attributes.push_back({"client_id", "res"});
  Send({client_kind, Request("a", false, "shop-api"), from_resource});
  next_.AnswerWith(absl::UnavailableError("full"));
  EXPECT_FALSE(ConsumeAndWait(*tap_, MakeBatch({Request("a")})).ok());

  EXPECT_THAT(Rows(), ElementsAre(Row{"res", 1, 0}, Row{"other", 0, 0}));
}

TEST_F(ClientMetricsTapTest, KeepsTheTopClientsAndSumsTheRestAsOther) {
  Make(/*top=*/3);
  std::vector<TestSpan> spans;
  for (int i = 1; i <= 25; ++i) {
    std::string client = absl::StrCat("seller-", i);
    for (TestSpan& s : Times(i, Request(client))) spans.push_back(s);
    spans.push_back(Request(client, /*error=*/true));  // one error each
  }
  Send(spans);

  // seller-25 has 26 requests, 1 error; the other 22 sellers 2+..+23 = 275, 22 errors.
  EXPECT_THAT(Rows(), ElementsAre(Row{"seller-25", 26, 1.0 / 26}, Row{"seller-24", 25, 1.0 / 25},
                                  Row{"seller-23", 24, 1.0 / 24}, Row{"other", 275, 22.0 / 275}));
}

TEST_F(ClientMetricsTapTest, TheWindowSlidesAndForgetsOldRequests) {
  Make();
  Send(Times(4, Request("old")));
  clock_.Advance(kWindow / 2);
  Send(Times(2, Request("new", true)));
  EXPECT_THAT(Rows(), ElementsAre(Row{"old", 4, 0}, Row{"new", 2, 1}, Row{"other", 0, 0}));

  clock_.Advance(kWindow / 2 + absl::Seconds(30));  // "old" is more than a window ago
  EXPECT_THAT(Rows(), ElementsAre(Row{"new", 2, 1}, Row{"other", 0, 0}));

  clock_.Advance(kWindow);
  EXPECT_THAT(Rows(), ElementsAre(Row{"other", 0, 0}));
}

TEST_F(ClientMetricsTapTest, MemoryStaysBoundedUnderAFloodOfClientIds) {
  Make(/*top=*/2, /*max_clients=*/10);
  for (int batch = 0; batch < 20; ++batch) {
    if (batch > 0) clock_.Advance(absl::Seconds(10));  // 8 of the window's 10 slices
    std::vector<TestSpan> spans = Times(5, Request("big"));
    for (int i = 0; i < 500; ++i) spans.push_back(Request(absl::StrCat("bot-", batch, "-", i)));
    Send(spans);
    EXPECT_LE(tap_->TrackedClients(0), 10u * ClientWindow::kSlices);
  }
  // Nothing is lost: the flood counts as "other" (bar the one bot that ties for second).
  std::vector<Row> rows = Rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (Row{"big", 100, 0}));
  EXPECT_EQ(rows[2].client, "other");
  EXPECT_EQ(rows[1].requests + rows[2].requests, 20 * 500);
}

TEST_F(ClientMetricsTapTest, LongClientIdsAreCutAtACharacterBoundary) {
  Make();
  std::string id = std::string(127, 'x') + "\xC3\xA9" + std::string(50, 'y');  // é at 127..128
  Send({Request(id)});
  EXPECT_THAT(Rows(), ElementsAre(Row{std::string(127, 'x'), 1, 0}, Row{"other", 0, 0}));
}

TEST(ClientWindowTest, TiesAreOrderedByClientAndOtherIsAlwaysLast) {
  ClientWindow window(absl::Seconds(10), 100);
  absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  window.Add("b", false, now);
  window.Add("a", true, now);
  std::vector<ClientStat> top = window.Top(5, now);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].client, "a");
  EXPECT_EQ(top[0].counts.errors, 1u);
  EXPECT_EQ(top[1].client, "b");
  EXPECT_EQ(top[2].client, "other");
  EXPECT_EQ(window.Top(0, now).back().counts.requests, 2u);
}

TEST(ClientMetricsSpecTest, ValidationNamesTheField) {
  ClientMetricsSpec spec{"mes-api", "client_id"};
  SV_EXPECT_OK(ValidateClientMetricsSpec(spec, "x"));
  spec.top = 0;
  EXPECT_THAT(ValidateClientMetricsSpec(spec, "client_metrics[2]"),
              spanvault::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("client_metrics[2].top")));
}

}  // namespace
}  // namespace spanvault::spanmetrics
