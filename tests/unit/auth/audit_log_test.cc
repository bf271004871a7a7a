#include "auth/audit_log.h"

#include <openssl/sha.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"

namespace spanvault {
namespace {

using ::testing::HasSubstr;

AuditRecord Query(const std::string& who, bool allowed = true) {
  AuditRecord r;
  r.principal = who;
  r.roles = {"support"};
  r.remote_address = "10.0.0.7";
  r.api = "http GET /api/traces";
  r.action = "traces:read";
  r.params = R"({"service":"crm-api"})";
  r.allowed = allowed;
  r.result_count = allowed ? 3 : 0;
  return r;
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override { SV_ASSERT_OK(log_.Load()); }
  void Append(int n) {
    for (int i = 0; i < n; ++i) {
      SV_ASSERT_OK(log_.Append(Query(i % 2 ? "ann" : "bob", i % 3 != 0)));
      clock_.Advance(absl::Minutes(1));
    }
  }
  // Rewrites stored record `seq` through `edit` (the test-only path to tamper).
  void Tamper(uint64_t seq, const std::function<void(nlohmann::json&)>& edit) {
    std::string key = absl::StrFormat("r/%016x", seq);
    auto value = kv_.Get(key);
    ASSERT_TRUE(value.ok() && value->has_value());
    auto j = nlohmann::json::parse(**value);
    edit(j);
    SV_ASSERT_OK(kv_.Write(KvWrite{{{key, j.dump()}}, {}}));
  }

  MemoryKvStore kv_;
  testing::FakeClock clock_{absl::FromUnixSeconds(1800000000)};
  AuditLog log_{kv_, clock_};
};

TEST_F(AuditLogTest, AnIntactChainVerifies) {
  Append(10);
  auto v = log_.Verify();
  SV_ASSERT_OK(v);
  EXPECT_EQ(v->records, 10u);
  EXPECT_FALSE(v->first_bad_seq.has_value()) << v->problem;
}

TEST_F(AuditLogTest, TheChainContinuesAfterARestart) {
  Append(3);
  AuditLog reopened(kv_, clock_);
  SV_ASSERT_OK(reopened.Load());
  SV_ASSERT_OK(reopened.Append(Query("cy")));
  auto v = reopened.Verify();
  SV_ASSERT_OK(v);
  EXPECT_EQ(v->records, 4u);
  EXPECT_FALSE(v->first_bad_seq.has_value()) << v->problem;
}

TEST_F(AuditLogTest, NamesAModifiedRecord) {
  Append(6);
  Tamper(4, [](nlohmann::json& j) { j["principal"] = "mallory"; });
  auto v = log_.Verify();
  SV_ASSERT_OK(v);
  ASSERT_TRUE(v->first_bad_seq.has_value());
  EXPECT_EQ(*v->first_bad_seq, 4u);
  EXPECT_THAT(v->problem, HasSubstr("record 4 was modified"));
}

TEST_F(AuditLogTest, NamesARecordRehashedToHideAChange) {
  Append(6);
  // A forger who recomputes the record's own hash still breaks the link to the next record.
  Tamper(4, [](nlohmann::json& j) {
    j["principal"] = "mallory";
    j.erase("hash");
    std::string body = j.dump();
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest);
    j["hash"] = absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
  });
  auto v = log_.Verify();
  SV_ASSERT_OK(v);
  ASSERT_TRUE(v->first_bad_seq.has_value());
  EXPECT_EQ(*v->first_bad_seq, 5u);
  EXPECT_THAT(v->problem, HasSubstr("does not chain to record 4"));
}

TEST_F(AuditLogTest, NamesADeletedRecordAndACutOffTail) {
  Append(6);
  SV_ASSERT_OK(kv_.Write(KvWrite{{}, {absl::StrFormat("r/%016x", 3)}}));
  auto v = log_.Verify();
  SV_ASSERT_OK(v);
  ASSERT_TRUE(v->first_bad_seq.has_value());
  EXPECT_EQ(*v->first_bad_seq, 3u);
  EXPECT_THAT(v->problem, HasSubstr("missing"));

  MemoryKvStore kv2;
  AuditLog log2(kv2, clock_);
  SV_ASSERT_OK(log2.Load());
  for (int i = 0; i < 5; ++i) SV_ASSERT_OK(log2.Append(Query("ann")));
  SV_ASSERT_OK(kv2.Write(KvWrite{{}, {absl::StrFormat("r/%016x", 5)}}));
  auto tail = log2.Verify();
  SV_ASSERT_OK(tail);
  ASSERT_TRUE(tail->first_bad_seq.has_value());
  EXPECT_EQ(*tail->first_bad_seq, 5u);
}

TEST_F(AuditLogTest, ListsByPrincipalTimeAndDenial) {
  Append(12);  // bob at even minutes, ann at odd; every third denied
  AuditFilter ann;
  ann.principal = "ann";
  auto anns = log_.List(ann);
  SV_ASSERT_OK(anns);
  EXPECT_EQ(anns->size(), 6u);
  for (const auto& r : *anns) EXPECT_EQ(r.principal, "ann");

  AuditFilter denied;
  denied.denied_only = true;
  auto d = log_.List(denied);
  SV_ASSERT_OK(d);
  EXPECT_EQ(d->size(), 4u);

  AuditFilter recent;
  recent.since = absl::FromUnixSeconds(1800000000) + absl::Minutes(10);
  recent.limit = 1;
  auto last = log_.List(recent);
  SV_ASSERT_OK(last);
  ASSERT_EQ(last->size(), 1u);
  EXPECT_EQ((*last)[0].seq, 12u);
  auto parsed = nlohmann::json::parse(AuditLog::ToJson((*last)[0]));
  EXPECT_EQ(parsed["seq"], 12);
  EXPECT_EQ(parsed["hash"], (*last)[0].hash);
}

TEST_F(AuditLogTest, AnAnchorKeptElsewhereCatchesACutLog) {
  Append(5);
  auto v = log_.Verify();
  SV_ASSERT_OK(v);
  ASSERT_EQ(v->head_hash.size(), 64u);
  const AuditAnchor anchor{5, v->head_hash};
  auto anchored = log_.Verify(anchor);
  SV_ASSERT_OK(anchored);
  EXPECT_FALSE(anchored->first_bad_seq.has_value()) << anchored->problem;

  // Someone with the key cuts records 4 and 5 and moves the head back: the chain alone looks
  // intact after a restart, the anchor does not.
  auto third = kv_.Get(absl::StrFormat("r/%016x", 3));
  ASSERT_TRUE(third.ok() && third->has_value());
  SV_ASSERT_OK(kv_.Write(KvWrite{{{"head", **third}},
                                 {absl::StrFormat("r/%016x", 4), absl::StrFormat("r/%016x", 5)}}));
  AuditLog reopened(kv_, clock_);
  SV_ASSERT_OK(reopened.Load());
  auto alone = reopened.Verify();
  SV_ASSERT_OK(alone);
  EXPECT_FALSE(alone->first_bad_seq.has_value());
  auto cut = reopened.Verify(anchor);
  SV_ASSERT_OK(cut);
  EXPECT_EQ(cut->first_bad_seq, 4u);
  EXPECT_THAT(cut->problem, HasSubstr("anchored record 5 is gone"));

  auto other = reopened.Verify(AuditAnchor{2, std::string(64, 'f')});
  SV_ASSERT_OK(other);
  EXPECT_EQ(other->first_bad_seq, 2u);
  EXPECT_THAT(other->problem, HasSubstr("differs from its anchor"));
}

TEST_F(AuditLogTest, RefusalsFromOneAddressAreLimitedPerMinute) {
  AuditRecord refused;
  refused.remote_address = "ipv4:10.0.0.9:5123";
  refused.action = "login";
  refused.allowed = false;
  refused.detail = "invalid credentials";
  for (int i = 0; i < AuditLog::kRefusalsPerMinute + 5; ++i) {
    refused.remote_address = absl::StrCat("10.0.0.9:", 5000 + i);  // any port: one address
    SV_ASSERT_OK(log_.AppendRefusal(refused));
  }
  AuditRecord other = refused;
  other.remote_address = "10.0.0.10:1";
  SV_ASSERT_OK(log_.AppendRefusal(other));  // another address has its own allowance
  auto all = log_.List({});
  SV_ASSERT_OK(all);
  EXPECT_EQ(all->size(), AuditLog::kRefusalsPerMinute + 1u);

  clock_.Advance(absl::Minutes(1));
  SV_ASSERT_OK(log_.AppendRefusal(refused));
  all = log_.List({});
  SV_ASSERT_OK(all);
  EXPECT_THAT(all->back().detail,
              HasSubstr("invalid credentials (5 earlier refusals from 10.0.0.9 left out"));
  auto v = log_.Verify();
  SV_ASSERT_OK(v);
  EXPECT_FALSE(v->first_bad_seq.has_value());
}

TEST_F(AuditLogTest, AFailedWriteIsReportedAndRefusesTheCall) {
  MemoryKvStore kv;
  AuditLog unloaded(kv, clock_);  // never loaded: every append fails
  std::vector<std::string> errors;
  unloaded.set_on_write_error([&](const absl::Status& s) { errors.emplace_back(s.message()); });
  EXPECT_THAT(unloaded.Append(Query("ann")),
              testing::StatusIs(absl::StatusCode::kUnavailable,
                                HasSubstr("the audit log cannot be written")));
  EXPECT_THAT(errors, ::testing::ElementsAre(HasSubstr("not loaded")));
}

// A MemoryKvStore whose writes are counted, whose first one waits until `release` and whose
// write number `fail_write` (from 0) fails; its first scan runs `during_scan` after reading
// the page.
class GatedKvStore final : public KvStore {
 public:
  absl::StatusOr<std::optional<std::string>> Get(const std::string& key) override {
    return kv_.Get(key);
  }
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ScanPage(
      const std::string& prefix, const std::string& from, size_t limit) override {
    auto page = kv_.ScanPage(prefix, from, limit);
    if (during_scan) std::exchange(during_scan, nullptr)();
    return page;
  }
  absl::Status Write(const KvWrite& write) override {
    const int n = writes.fetch_add(1);
    if (n == 0) {
      first_write_started.Notify();
      release.WaitForNotification();
    }
    if (n == fail_write) return absl::UnavailableError("disk full");
    return kv_.Write(write);
  }

  MemoryKvStore kv_;
  std::atomic<int> writes{0};
  int fail_write = -1;
  absl::Notification first_write_started;
  absl::Notification release;
  std::function<void()> during_scan;
};

// Polls `done` until it holds or 20 s pass.
bool Eventually(const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

// Appends "first" (its write held at the gate), then runs `append(i)` on `later` threads of their
// own and releases the gate once they all wait behind that write. False when they did not all
// queue within 20 s.
bool AppendBehindAHeldWrite(AuditLog& log, GatedKvStore& kv, int later,
                            const std::function<void(int)>& append) {
  std::thread first([&] { SV_EXPECT_OK(log.Append(Query("first"))); });
  const bool started = kv.first_write_started.WaitForNotificationWithTimeout(absl::Seconds(20));
  std::vector<std::thread> threads;
  for (int i = 0; i < later; ++i) threads.emplace_back([&, i] { append(i); });
  const bool queued =
      started && Eventually([&] { return log.waiting() == static_cast<size_t>(later); });
  kv.release.Notify();
  first.join();
  for (auto& t : threads) t.join();
  return queued;
}

TEST(AuditLogGroupCommitTest, AppendsThatComeDuringAWriteShareTheNextOne) {
  GatedKvStore kv;
  testing::FakeClock clock{absl::FromUnixSeconds(1800000000)};
  AuditLog log(kv, clock);
  SV_ASSERT_OK(log.Load());
  constexpr int kLater = 6;
  ASSERT_TRUE(AppendBehindAHeldWrite(
      log, kv, kLater, [&](int i) { SV_EXPECT_OK(log.Append(Query(absl::StrCat("later-", i)))); }));
  EXPECT_EQ(kv.writes.load(), 2);  // the first record, then the six that waited, together
  auto records = log.List(AuditFilter{});
  SV_ASSERT_OK(records);
  ASSERT_EQ(records->size(), 1u + kLater);
  EXPECT_EQ((*records)[0].principal, "first");
  auto v = log.Verify();
  SV_ASSERT_OK(v);
  EXPECT_FALSE(v->first_bad_seq.has_value()) << v->problem;
  EXPECT_EQ(v->records, 1u + kLater);
}

TEST(AuditLogGroupCommitTest, ManyThreadsAppendingMakeOneIntactChain) {
  MemoryKvStore kv;
  testing::FakeClock clock{absl::FromUnixSeconds(1800000000)};
  AuditLog log(kv, clock);
  SV_ASSERT_OK(log.Load());
  constexpr int kThreads = 8, kEach = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) SV_EXPECT_OK(log.Append(Query(absl::StrCat("t", t))));
    });
  }
  for (auto& t : threads) t.join();
  auto v = log.Verify();
  SV_ASSERT_OK(v);
  EXPECT_FALSE(v->first_bad_seq.has_value()) << v->problem;
  EXPECT_EQ(v->records, uint64_t{kThreads * kEach});
}

TEST(AuditLogGroupCommitTest, AFailedGroupWriteRefusesEveryCallInItAndTheChainGoesOn) {
  GatedKvStore kv;
  kv.fail_write = 1;  // the group written after the first record
  testing::FakeClock clock{absl::FromUnixSeconds(1800000000)};
  AuditLog log(kv, clock);
  SV_ASSERT_OK(log.Load());
  ASSERT_TRUE(AppendBehindAHeldWrite(log, kv, 3, [&](int) {
    EXPECT_THAT(log.Append(Query("refused")),
                testing::StatusIs(absl::StatusCode::kUnavailable, HasSubstr("disk full")));
  }));
  EXPECT_EQ(kv.writes.load(), 2);
  SV_ASSERT_OK(log.Append(Query("after")));
  auto records = log.List(AuditFilter{});
  SV_ASSERT_OK(records);
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[1].principal, "after");
  EXPECT_EQ((*records)[1].seq, 2u);
  auto v = log.Verify();
  SV_ASSERT_OK(v);
  EXPECT_FALSE(v->first_bad_seq.has_value()) << v->problem;
}

// A record appended while Verify walks the chain is not reported missing.
TEST(AuditLogGroupCommitTest, AnAppendDuringVerifyIsNotAMissingRecord) {
  GatedKvStore kv;
  kv.release.Notify();
  testing::FakeClock clock{absl::FromUnixSeconds(1800000000)};
  AuditLog log(kv, clock);
  SV_ASSERT_OK(log.Load());
  for (int i = 0; i < 3; ++i) SV_ASSERT_OK(log.Append(Query("ann")));
  kv.during_scan = [&] { SV_EXPECT_OK(log.Append(Query("during the walk"))); };
  auto v = log.Verify();
  SV_ASSERT_OK(v);
  EXPECT_FALSE(v->first_bad_seq.has_value()) << v->problem;
  EXPECT_EQ(v->records, 3u);
  auto again = log.Verify();
  SV_ASSERT_OK(again);
  EXPECT_EQ(again->records, 4u);
}

}  // namespace
}  // namespace spanvault
