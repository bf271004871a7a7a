// The encrypted RocksDB TraceStore end to end: stored traces survive a reopen only with the
// right keys, and a damaged SST surfaces as kDataLoss, never as a wrong trace.

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "absl/strings/escaping.h"
#include "common/ids.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/crypto/key_ring.h"
#include "storage/trace_store.h"
#include "tests/testing/span_builder.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace spanvault {
namespace {

namespace fs = std::filesystem;
using ::spanvault::testing::ConsumeAndWait;
using ::spanvault::testing::MakeBatch;
using ::spanvault::testing::SpanHex;
using ::spanvault::testing::StatusIs;
using ::spanvault::testing::TestSpan;
using ::spanvault::testing::TraceHex;
using ::testing::HasSubstr;

constexpr int kTraces = 300;

class EncryptedTraceStoreTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::unique_ptr<TraceStore>> Open(std::shared_ptr<const KeyRing> keys) {
    TraceStoreOptions options;
    options.path = dir_.path() + "/traces";
    options.indexed_attributes = {"order_id"};
    options.encryption_keys = std::move(keys);
    return OpenRocksDbTraceStore(options);
  }

  // Stores kTraces traces of 4 spans with random attribute values (so the spans' SST has many
  // blocks), and reopens once so that the WAL is flushed into SSTs.
  void Populate() {
    auto store = Open(keys_);
    ASSERT_TRUE(store.ok()) << store.status();
    std::mt19937 rng(3);
    for (int t = 1; t <= kTraces; ++t) {
      std::vector<TestSpan> spans;
      for (int s = 1; s <= 4; ++s) {
        TestSpan span;
        span.trace_id = TraceHex(t);
        span.span_id = SpanHex(t * 10 + s);
        std::string noise(60, '\0');
        for (char& c : noise) c = static_cast<char>(rng());
        span.attributes = {{"order_id", "A-" + std::to_string(t)},
                           {"noise", absl::BytesToHexString(noise)}};
        spans.push_back(span);
      }
      SV_ASSERT_OK(ConsumeAndWait(**store, MakeBatch(spans)));
    }
    (*store)->Shutdown();
    store->reset();
    auto reopened = Open(keys_);
    ASSERT_TRUE(reopened.ok()) << reopened.status();
    for (int t = 1; t <= kTraces; ++t) {
      auto trace = (*reopened)->GetTrace(*TraceId::FromHex(TraceHex(t)));
      ASSERT_TRUE(trace.ok()) << trace.status();
      stored_[t] = trace->SerializeAsString();
    }
    (*reopened)->Shutdown();
  }

  std::string LargestSst() {
    std::string largest;
    uintmax_t size = 0;
    for (const auto& entry : fs::directory_iterator(dir_.path() + "/traces")) {
      if (entry.path().extension() == ".sst" && entry.file_size() > size) {
        size = entry.file_size();
        largest = entry.path();
      }
    }
    return largest;
  }

  testing::TempDir dir_;
  const std::shared_ptr<const KeyRing> keys_ = KeyRing::Generate("test key").value();
  std::map<int, std::string> stored_;
};

TEST_F(EncryptedTraceStoreTest, TracesComeBackOnlyWithTheRightKey) {
  Populate();
  EXPECT_THAT(Open(KeyRing::Generate("another key").value()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("wrong encryption key")));
  TraceStoreOptions plaintext;
  plaintext.path = dir_.path() + "/traces";
  plaintext.testing_no_encryption = true;
  EXPECT_THAT(OpenRocksDbTraceStore(plaintext),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cannot be opened with encryption switched off")));
  auto store = Open(keys_);
  ASSERT_TRUE(store.ok()) << store.status();
  for (const auto& [t, bytes] : stored_) {
    auto trace = (*store)->GetTrace(*TraceId::FromHex(TraceHex(t)));
    ASSERT_TRUE(trace.ok()) << trace.status();
    EXPECT_EQ(trace->SerializeAsString(), bytes);
  }
}

TEST_F(EncryptedTraceStoreTest, ADamagedSstIsDataLossNeverAWrongTrace) {
  Populate();
  std::string sst = LargestSst();
  ASSERT_FALSE(sst.empty());
  {
    std::fstream file(sst, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(fs::file_size(sst) / 2));
    file.write("\xde\xad\xbe\xef", 4);
  }
  auto store = Open(keys_);
  if (!store.ok()) {
    EXPECT_THAT(store, StatusIs(absl::StatusCode::kDataLoss));
    return;
  }
  int data_loss = 0;
  for (const auto& [t, bytes] : stored_) {
    auto trace = (*store)->GetTrace(*TraceId::FromHex(TraceHex(t)));
    if (trace.ok()) {
      EXPECT_EQ(trace->SerializeAsString(), bytes) << "trace " << t << " served changed";
    } else {
      EXPECT_THAT(trace, StatusIs(absl::StatusCode::kDataLoss)) << "trace " << t;
      ++data_loss;
    }
  }
  EXPECT_GT(data_loss, 0);
  (*store)->Shutdown();
}

}  // namespace
}  // namespace spanvault
