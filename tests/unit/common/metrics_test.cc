#include "common/metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spanvault {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, RendersCountersHistogramsAndGauges) {
  MetricsRegistry registry;
  auto& spans =
      registry.AddCounter("spanvault_spans_received_total", "Spans received.", {"receiver"});
  spans.With({"otlp_grpc"}).Increment(5);
  spans.With({"otlp_http"}).Increment();
  auto& latency =
      registry.AddHistogram("spanvault_request_seconds", "Latency.", {"receiver"}, {0.01, 0.1});
  latency.With({"otlp_http"}).Observe(0.05);
  latency.With({"otlp_http"}).Observe(5);
  registry.AddGauge("spanvault_disk_bytes", "Bytes on disk.", [] { return 1234.0; });

  std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE spanvault_spans_received_total counter\n"));
  EXPECT_THAT(text, HasSubstr("spanvault_spans_received_total{receiver=\"otlp_grpc\"} 5\n"));
  EXPECT_THAT(text, HasSubstr("spanvault_spans_received_total{receiver=\"otlp_http\"} 1\n"));
  EXPECT_THAT(
      text, HasSubstr("spanvault_request_seconds_bucket{receiver=\"otlp_http\",le=\"0.01\"} 0\n"));
  EXPECT_THAT(text,
              HasSubstr("spanvault_request_seconds_bucket{receiver=\"otlp_http\",le=\"0.1\"} 1\n"));
  EXPECT_THAT(
      text, HasSubstr("spanvault_request_seconds_bucket{receiver=\"otlp_http\",le=\"+Inf\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("spanvault_request_seconds_count{receiver=\"otlp_http\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("spanvault_disk_bytes 1234\n"));
}

TEST(MetricsTest, RendersLabeledGaugeFamilies) {
  MetricsRegistry registry;
  registry.AddGaugeFamily("spanvault_share", "A share.", {"flow"}, [] {
    return GaugeSamples{{{"order"}, 0.25}, {{"in\"voice"}, 0}};
  });
  registry.AddGaugeFamily("spanvault_none", "No series now.", {"flow"},
                          [] { return GaugeSamples{}; });
  std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE spanvault_share gauge\nspanvault_share{flow=\"order\"} "
                              "0.25\nspanvault_share{flow=\"in\\\"voice\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE spanvault_none gauge\n"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("spanvault_none{")));
}

TEST(MetricsTest, RendersGaugeFamiliesComputedAtScrapeTime) {
  MetricsRegistry registry;
  int scrapes = 0;
  registry.AddGaugeFamily("spanvault_client_error_ratio", "Errors per request.",
                          {"service", "client"}, [&scrapes] {
                            ++scrapes;
                            return GaugeSamples{{{"mes", "a\"1"}, 0.25},
                                                {{"mes", "other"}, static_cast<double>(scrapes)}};
                          });

  std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE spanvault_client_error_ratio gauge\n"));
  EXPECT_THAT(text,
              HasSubstr("spanvault_client_error_ratio{service=\"mes\",client=\"a\\\"1\"} 0.25\n"));
  EXPECT_THAT(text,
              HasSubstr("spanvault_client_error_ratio{service=\"mes\",client=\"other\"} 1\n"));
  EXPECT_THAT(registry.Render(),
              HasSubstr("spanvault_client_error_ratio{service=\"mes\",client=\"other\"} 2\n"));
}

TEST(MetricsTest, EscapesLabelValues) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

}  // namespace
}  // namespace spanvault
