#include "collector/memory_limiter.h"

#include <atomic>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace spanvault {
namespace {

using ::spanvault::testing::StatusIs;
using ::testing::HasSubstr;

constexpr uint64_t kMiB = uint64_t{1} << 20;

// A limiter of 1000 MiB (soft line 850 MiB, in-flight budget 250 MiB) whose resident memory
// is whatever the test says; `trim` hands back `freed` bytes.
class MemoryLimiterTest : public ::testing::Test {
 protected:
  MemoryLimiterTest() {
    MemoryLimiterOptions options;
    options.limit_bytes = 1000 * kMiB;
    options.read_rss = [this] { return rss_.load(); };
    options.trim = [this] {
      ++trims_;
      rss_ -= freed_.exchange(0);
    };
    limiter_ = std::make_unique<MemoryLimiter>(options, metrics_);
  }

  std::string Metrics() { return metrics_.Render(); }

  std::atomic<uint64_t> rss_{100 * kMiB};
  std::atomic<uint64_t> freed_{0};
  std::atomic<int> trims_{0};
  MetricsRegistry metrics_;
  std::unique_ptr<MemoryLimiter> limiter_;
};

TEST_F(MemoryLimiterTest, RefusesOverTheSoftLineUntilMemoryComesBack) {
  limiter_->Sample();
  SV_EXPECT_OK(limiter_->Admit("r", kMiB).status());
  rss_ = 900 * kMiB;
  limiter_->Sample();
  EXPECT_THAT(limiter_->Admit("r", kMiB).status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("memory limit: spanvault uses 900 MiB of its 1000 MiB "
                                 "(--memory-limit); retry later")));
  EXPECT_EQ(trims_, 1) << "freed heap is handed back before refusing";
  rss_ = 800 * kMiB;
  limiter_->Sample();
  SV_EXPECT_OK(limiter_->Admit("r", kMiB).status());
  EXPECT_THAT(Metrics(),
              HasSubstr("spanvault_memory_refusals_total{receiver=\"r\",rule=\"rss\"} 1"));
  EXPECT_THAT(Metrics(), HasSubstr("spanvault_memory_rss_bytes 838860800"));
  EXPECT_THAT(Metrics(), HasSubstr("spanvault_memory_limit_bytes 1048576000"));
}

TEST_F(MemoryLimiterTest, AFreedHeapDoesNotCountAsUse) {
  rss_ = 900 * kMiB;
  freed_ = 200 * kMiB;  // glibc kept it; malloc_trim gives it back
  limiter_->Sample();
  EXPECT_EQ(limiter_->rss_bytes(), 700 * kMiB);
  SV_EXPECT_OK(limiter_->Admit("r", kMiB).status());
}

TEST_F(MemoryLimiterTest, BoundsTheRequestsInFlightAndReleasesThemWhenAnswered) {
  limiter_->Sample();
  // 250 MiB budget, each 20 MiB request weighs 80 MiB: three fit, the fourth does not.
  std::vector<MemoryLimiter::Ticket> held;
  for (int i = 0; i < 3; ++i) {
    auto ticket = limiter_->Admit("r", 20 * kMiB);
    SV_ASSERT_OK(ticket.status());
    held.push_back(*std::move(ticket));
  }
  EXPECT_EQ(limiter_->in_flight_weight(), 240 * kMiB);
  EXPECT_THAT(limiter_->Admit("r", 20 * kMiB).status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("memory limit: 60 MiB of export requests are being processed")));
  EXPECT_THAT(Metrics(),
              HasSubstr("spanvault_memory_refusals_total{receiver=\"r\",rule=\"in_flight\"} 1"));
  held.pop_back();  // answered
  SV_EXPECT_OK(limiter_->Admit("r", 20 * kMiB).status());
  held.clear();
  EXPECT_EQ(limiter_->in_flight_weight(), 0u);
}

TEST_F(MemoryLimiterTest, OneRequestAloneIsAdmittedWhateverItsSize) {
  limiter_->Sample();
  auto ticket = limiter_->Admit("r", 100 * kMiB);  // weighs 400 MiB, over the budget alone
  SV_EXPECT_OK(ticket.status());
  EXPECT_FALSE(limiter_->Admit("r", 1).ok());
}

TEST_F(MemoryLimiterTest, MovedTicketsReleaseOnce) {
  limiter_->Sample();
  {
    auto ticket = limiter_->Admit("r", kMiB);
    SV_ASSERT_OK(ticket.status());
    MemoryLimiter::Ticket moved = *std::move(ticket);
    MemoryLimiter::Ticket again;
    again = std::move(moved);
    EXPECT_EQ(limiter_->in_flight_weight(), 4 * kMiB);
  }
  EXPECT_EQ(limiter_->in_flight_weight(), 0u);
}

TEST(MemoryLimiterProcTest, ReadsThisProcessesResidentMemory) {
  MetricsRegistry metrics;
  MemoryLimiterOptions options;
  MemoryLimiter limiter(options, metrics);
  limiter.Start();
  EXPECT_GT(limiter.rss_bytes(), kMiB);
  limiter.Shutdown();
}

}  // namespace
}  // namespace spanvault
