// The RocksDB store writes and answers on two threads: a `done` callback that takes its time
// (the span metrics, ending an RPC) does not hold back the writes queued after it, and answers
// still come in the order the writes were queued. Other threads write to the same RocksDB beside
// them (the sampler, the identity and audit stores) and nothing is lost.

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config.h"
#include "storage/trace_store.h"
#include "tests/testing/span_builder.h"
#include "tests/testing/temp_dir.h"

namespace spanvault {
namespace {

using ::spanvault::testing::MakeBatch;
using ::spanvault::testing::SpanHex;
using ::spanvault::testing::TestSpan;
using ::spanvault::testing::TraceHex;

std::unique_ptr<TraceStore> OpenStore(const std::string& path) {
  TraceStoreOptions options;
  options.path = path;
  options.indexed_attributes = DefaultIndexedAttributes();
  options.testing_no_encryption = true;
  auto store = OpenRocksDbTraceStore(options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

SpanBatch OneSpan(uint64_t trace, std::string name = "GET /") {
  TestSpan span;
  span.trace_id = TraceHex(trace);
  span.span_id = SpanHex(trace);
  span.name = std::move(name);
  span.start_unix_nano = absl::ToUnixNanos(absl::Now());
  return MakeBatch({span});
}

// Polls the catalogue until it lists `operation` (the writer adds it once the write is
// committed), or the deadline passes. Polling the catalogue, not the trace: its lock orders the
// writer's commit before the reads that follow, where RocksDB's own ordering is invisible to
// ThreadSanitizer (Debian's RocksDB is not instrumented).
bool BecomesCataloged(TraceStore& store, const std::string& operation) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    auto operations = store.GetOperations("shop-api", "");
    if (operations.ok()) {
      for (const auto& o : *operations) {
        if (o.name == operation) return true;
      }
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  return false;
}

TEST(RocksDbAnswererTest, ASlowCallbackDoesNotHoldBackLaterWrites) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path() + "/db");
  ASSERT_NE(store, nullptr);
  absl::Notification first_called, release_first, second_called;
  store->Consume(OneSpan(1), [&](absl::Status s) {
    EXPECT_TRUE(s.ok()) << s;
    first_called.Notify();
    release_first.WaitForNotification();
  });
  ASSERT_TRUE(first_called.WaitForNotificationWithTimeout(absl::Seconds(20)));
  store->Consume(OneSpan(2, "second write"), [&](absl::Status s) {
    EXPECT_TRUE(s.ok()) << s;
    second_called.Notify();
  });
  // Written while the first answer is still running...
  // (EXPECT, not ASSERT: returning early would leave the first callback blocked for good.)
  const bool cataloged = BecomesCataloged(*store, "second write");
  EXPECT_TRUE(cataloged);
  if (cataloged) {
    auto second = store->GetTrace(*TraceId::FromHex(TraceHex(2)));
    EXPECT_TRUE(second.ok() && second->resource_spans_size() == 1) << second.status();
  }
  // ...and answered only after it: answers keep the order of the writes.
  EXPECT_FALSE(second_called.HasBeenNotified());
  release_first.Notify();
  EXPECT_TRUE(second_called.WaitForNotificationWithTimeout(absl::Seconds(20)));
}

TEST(RocksDbAnswererTest, AnswersComeInQueueOrder) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path() + "/db");
  ASSERT_NE(store, nullptr);
  std::mutex mu;
  std::vector<int> order;
  absl::Notification all;
  constexpr int kWrites = 50;
  for (int i = 0; i < kWrites; ++i) {
    store->Consume(OneSpan(static_cast<uint64_t>(i + 1)), [&, i](absl::Status s) {
      EXPECT_TRUE(s.ok()) << s;
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(i);
      if (order.size() == kWrites) all.Notify();
    });
  }
  ASSERT_TRUE(all.WaitForNotificationWithTimeout(absl::Seconds(20)));
  std::vector<int> expected(kWrites);
  for (int i = 0; i < kWrites; ++i) expected[static_cast<size_t>(i)] = i;
  EXPECT_EQ(order, expected);
}

// RocksDB groups the writes of threads that write at once, the leader copying the others'
// batches: all of them land. Under ThreadSanitizer this also checks that the grouping, which TSan
// cannot see in Debian's RocksDB, reports nothing (tests/sanitizers/tsan_rocksdb_write.cc).
TEST(RocksDbAnswererTest, WritesFromSeveralThreadsAtOnceAllLand) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path() + "/db");
  ASSERT_NE(store, nullptr);
  constexpr int kWrites = 200;
  // Long enough that each batch's buffer grows while it is built.
  const std::string value(2000, 'v');
  absl::BlockingCounter spans_answered(kWrites);
  std::vector<std::thread> writers;
  writers.emplace_back([&] {
    for (int i = 0; i < kWrites; ++i) {
      store->Consume(OneSpan(static_cast<uint64_t>(i + 1), value), [&](absl::Status s) {
        EXPECT_TRUE(s.ok()) << s;
        spans_answered.DecrementCount();
      });
    }
  });
  for (KvStore* kv : {&store->Identities(), &store->Audit()}) {
    writers.emplace_back([&, kv] {
      for (int i = 0; i < kWrites; ++i) {
        absl::Status s = kv->Write({{{absl::StrCat("key/", i), value}}, {}});
        EXPECT_TRUE(s.ok()) << s;
      }
    });
  }
  writers.emplace_back([&] {
    for (int i = 0; i < kWrites; ++i) {
      absl::Status s = store->ForgetDecisions(absl::Now());
      EXPECT_TRUE(s.ok()) << s;
    }
  });
  for (auto& writer : writers) writer.join();
  spans_answered.Wait();
  for (int i = 0; i < kWrites; ++i) {
    auto trace = store->GetTrace(*TraceId::FromHex(TraceHex(static_cast<uint64_t>(i + 1))));
    ASSERT_TRUE(trace.ok()) << trace.status();
    EXPECT_EQ(trace->resource_spans_size(), 1) << i;
    for (KvStore* kv : {&store->Identities(), &store->Audit()}) {
      auto got = kv->Get(absl::StrCat("key/", i));
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(got->value_or(""), value) << i;
    }
  }
}

}  // namespace
}  // namespace spanvault
