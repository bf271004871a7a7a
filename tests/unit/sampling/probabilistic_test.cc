// The probabilistic policy: the Collector's FNV-1a hash and threshold, determinism by trace id,
// and the kept share.

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "sampling/policies.h"
#include "tests/unit/sampling/test_trace.h"

namespace spanvault::sampling {
namespace {

using testing::TestTrace;

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

// splitmix64: a deterministic spread of trace ids.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

TraceId SpreadId(uint64_t i) {
  std::string bytes(16, '\0');
  const uint64_t hi = Mix(2 * i);
  const uint64_t lo = Mix(2 * i + 1);
  for (int b = 0; b < 8; ++b) {
    bytes[b] = static_cast<char>(hi >> (56 - 8 * b));
    bytes[8 + b] = static_cast<char>(lo >> (56 - 8 * b));
  }
  return *TraceId::FromBytes(bytes);
}

Decision Decide(const ProbabilisticPolicy& policy, const TraceId& id) {
  otlp::TracesData empty;
  return policy.Evaluate(TraceView(id, empty));
}

int CountSampled(const ProbabilisticPolicy& policy, int n) {
  int sampled = 0;
  for (int i = 0; i < n; ++i) sampled += Decide(policy, SpreadId(i)) == Decision::kSampled;
  return sampled;
}

TEST(ProbabilisticPolicyTest, HashIsFnv1a64OfSaltThenTraceId) {
  // Published FNV-1a 64 test vectors.
  EXPECT_EQ(ProbabilisticPolicy::HashTraceId("", ""), 0xcbf29ce484222325ull);
  EXPECT_EQ(ProbabilisticPolicy::HashTraceId("a", ""), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(ProbabilisticPolicy::HashTraceId("foobar", ""), 0x85944171f73967e8ull);
  // Salt and id are hashed as one byte string.
  EXPECT_EQ(ProbabilisticPolicy::HashTraceId("foo", "bar"), 0x85944171f73967e8ull);
  EXPECT_EQ(ProbabilisticPolicy::HashTraceId("", std::string("\0\xff", 2)),
            ProbabilisticPolicy::HashTraceId(std::string("\0", 1), "\xff"));
}

TEST(ProbabilisticPolicyTest, ThresholdFollowsGoBigFloat) {
  EXPECT_EQ(ProbabilisticPolicy::ThresholdForRatio(0), 0u);
  EXPECT_EQ(ProbabilisticPolicy::ThresholdForRatio(-1), 0u);
  EXPECT_EQ(ProbabilisticPolicy::ThresholdForRatio(std::nan("")), 0u);
  EXPECT_EQ(ProbabilisticPolicy::ThresholdForRatio(1), kMax);
  EXPECT_EQ(ProbabilisticPolicy::ThresholdForRatio(1.5), kMax);
  // (2^64-1) * 0.5 = 2^63 - 0.5 fits 64 significant bits exactly; Uint64() truncates.
  EXPECT_EQ(ProbabilisticPolicy::ThresholdForRatio(0.5), (uint64_t{1} << 63) - 1);
  EXPECT_EQ(ProbabilisticPolicy::ThresholdForRatio(0.25), (uint64_t{1} << 62) - 1);
  const double tenth = static_cast<double>(ProbabilisticPolicy::ThresholdForRatio(0.1)) / 0x1p64;
  EXPECT_NEAR(tenth, 0.1, 1e-15);
}

TEST(ProbabilisticPolicyTest, ThresholdMatchesExtendedPrecisionReference) {
  // x86-64's long double has Go big.Float's 64-bit mantissa and rounds to nearest even, so it
  // computes the Collector's threshold independently of the integer arithmetic under test.
  if (std::numeric_limits<long double>::digits != 64) GTEST_SKIP() << "no 64-bit long double";
  for (uint64_t i = 0; i < 20000; ++i) {
    const double ratio = static_cast<double>(Mix(i) >> 11) / 0x1p53;  // [0, 1)
    if (ratio == 0) continue;
    const long double product = static_cast<long double>(kMax) * static_cast<long double>(ratio);
    const auto expected = static_cast<uint64_t>(product);
    ASSERT_EQ(ProbabilisticPolicy::ThresholdForRatio(ratio), expected) << ratio;
  }
  for (double ratio : {1e-300, 1e-20, 0.001, 0.1, 0.33, 0.999999, 1 - 0x1p-53}) {
    const long double product = static_cast<long double>(kMax) * static_cast<long double>(ratio);
    EXPECT_EQ(ProbabilisticPolicy::ThresholdForRatio(ratio), static_cast<uint64_t>(product))
        << ratio;
  }
}

TEST(ProbabilisticPolicyTest, SameTraceIdSameDecisionAcrossInstances) {
  ProbabilisticPolicy a("a", 10, "");
  ProbabilisticPolicy b("b", 10, "");
  for (int i = 0; i < 1000; ++i) {
    const TraceId id = SpreadId(i);
    const Decision first = Decide(a, id);
    EXPECT_EQ(Decide(a, id), first);
    EXPECT_EQ(Decide(b, id), first);
  }
}

TEST(ProbabilisticPolicyTest, DecidesByTraceIdNotByContent) {
  ProbabilisticPolicy policy("p", 50, "");
  TestTrace small(7);
  small.Span();
  TestTrace big(7);
  for (int i = 0; i < 20; ++i) big.Span(i, 100);
  EXPECT_EQ(policy.Evaluate(small.View()), policy.Evaluate(big.View()));
}

TEST(ProbabilisticPolicyTest, KeptShareWithinBinomialTolerance) {
  constexpr int kIds = 10'000;
  for (double percent : {1.0, 10.0, 50.0}) {
    ProbabilisticPolicy policy("p", percent, "");
    const double p = percent / 100;
    const double mean = kIds * p;
    const double tolerance = 4.5 * std::sqrt(kIds * p * (1 - p));  // ~1 in 150,000 to fail
    EXPECT_NEAR(CountSampled(policy, kIds), mean, tolerance) << percent;
  }
  EXPECT_EQ(CountSampled(ProbabilisticPolicy("p", 100, ""), kIds), kIds);
  EXPECT_EQ(CountSampled(ProbabilisticPolicy("p", 250, ""), kIds), kIds);
  EXPECT_EQ(CountSampled(ProbabilisticPolicy("p", 0, ""), kIds), 0);
}

TEST(ProbabilisticPolicyTest, SaltChangesWhichTracesAreKept) {
  ProbabilisticPolicy layer1("p", 10, "layer-1");
  ProbabilisticPolicy layer2("p", 10, "layer-2");
  int differ = 0;
  int both = 0;
  for (int i = 0; i < 10'000; ++i) {
    const Decision d1 = Decide(layer1, SpreadId(i));
    const Decision d2 = Decide(layer2, SpreadId(i));
    differ += d1 != d2;
    both += d1 == Decision::kSampled && d2 == Decision::kSampled;
  }
  // Independent 10 % samples: ~1,800 ids differ and ~100 are kept by both.
  EXPECT_GT(differ, 1500);
  EXPECT_LT(both, 200);
}

TEST(ProbabilisticPolicyTest, EmptySaltIsTheCollectorsDefault) {
  ProbabilisticPolicy empty("p", 30, "");
  ProbabilisticPolicy named("p", 30, std::string(ProbabilisticPolicy::kDefaultHashSalt));
  ProbabilisticPolicy other("p", 30, "x");
  int differ_from_other = 0;
  for (int i = 0; i < 2000; ++i) {
    EXPECT_EQ(Decide(empty, SpreadId(i)), Decide(named, SpreadId(i)));
    differ_from_other += Decide(empty, SpreadId(i)) != Decide(other, SpreadId(i));
  }
  EXPECT_GT(differ_from_other, 0);
}

}  // namespace
}  // namespace spanvault::sampling
