// LatencySketch: every quantile within the stated relative error on known distributions, for
// single sketches, merges and encoded round trips.

#include "spanmetrics/latency_sketch.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace spanvault::spanmetrics {
namespace {

constexpr double kQuantiles[] = {0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1};

// The exact q-quantile as the sketch defines it: rank floor(q (n - 1)) of the sorted values.
double Exact(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  return values[static_cast<size_t>(std::floor(q * static_cast<double>(values.size() - 1)))];
}

void ExpectWithinError(const LatencySketch& sketch, const std::vector<double>& values) {
  ASSERT_EQ(sketch.count(), values.size());
  for (double q : kQuantiles) {
    double exact = Exact(values, q);
    EXPECT_NEAR(sketch.Quantile(q), exact, exact * LatencySketch::kRelativeAccuracy + 1e-12)
        << "q=" << q;
  }
}

std::vector<double> Draw(const char* name, size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> out;
  std::lognormal_distribution<double> lognormal(3, 1.5);
  std::exponential_distribution<double> exponential(0.05);
  std::uniform_real_distribution<double> uniform(0.001, 60'000);
  for (size_t i = 0; i < n; ++i) {
    std::string_view kind = name;
    out.push_back(kind == "lognormal"     ? lognormal(rng)
                  : kind == "exponential" ? exponential(rng)
                                          : uniform(rng));
  }
  return out;
}

TEST(LatencySketch, QuantilesWithinRelativeErrorOnKnownDistributions) {
  for (const char* name : {"lognormal", "exponential", "uniform"}) {
    SCOPED_TRACE(name);
    std::vector<double> values = Draw(name, 20'000, 7);
    LatencySketch sketch;
    for (double v : values) sketch.Add(v);
    ExpectWithinError(sketch, values);
  }
}

TEST(LatencySketch, MergeIsAsAccurateAsOneSketch) {
  std::vector<double> a = Draw("lognormal", 5'000, 1);
  std::vector<double> b = Draw("uniform", 3'000, 2);
  LatencySketch sa, sb, whole;
  for (double v : a) sa.Add(v), whole.Add(v);
  for (double v : b) sb.Add(v), whole.Add(v);
  sa.Merge(sb);
  EXPECT_EQ(sa, whole);
  std::vector<double> all = a;
  all.insert(all.end(), b.begin(), b.end());
  ExpectWithinError(sa, all);
}

TEST(LatencySketch, SmallExactCases) {
  LatencySketch sketch;
  EXPECT_EQ(sketch.Quantile(0.5), 0);  // empty
  for (double v : {10.0, 20.0, 30.0, 40.0, 1000.0}) sketch.Add(v);
  EXPECT_NEAR(sketch.Quantile(0.5), 30, 0.3);
  EXPECT_NEAR(sketch.Quantile(0.75), 40, 0.4);
  EXPECT_NEAR(sketch.Quantile(1), 1000, 10);
  LatencySketch zeros;
  zeros.Add(0, 3);
  zeros.Add(5);
  EXPECT_EQ(zeros.count(), 4u);
  EXPECT_EQ(zeros.Quantile(0.5), 0);
  EXPECT_NEAR(zeros.Quantile(1), 5, 0.05);
}

TEST(LatencySketch, EncodeDecodeRoundTrip) {
  LatencySketch sketch;
  for (double v : Draw("exponential", 1'000, 3)) sketch.Add(v);
  sketch.Add(0);
  auto decoded = LatencySketch::Decode(sketch.Encode());
  SV_ASSERT_OK(decoded.status());
  EXPECT_EQ(*decoded, sketch);
  EXPECT_EQ(decoded->count(), sketch.count());
  EXPECT_EQ(decoded->Quantile(0.95), sketch.Quantile(0.95));
  std::string bytes = sketch.Encode();
  EXPECT_FALSE(LatencySketch::Decode(bytes.substr(0, bytes.size() - 1)).ok());
  EXPECT_FALSE(LatencySketch::Decode(bytes + "x").ok());
}

}  // namespace
}  // namespace spanvault::spanmetrics
