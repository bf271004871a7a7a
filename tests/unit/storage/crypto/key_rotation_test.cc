// Key rotation: key file changes, the per-key file inventory, a provider that takes a new key
// at run time, and the RocksDB store's rotate / status / retire cycle.

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "absl/time/clock.h"
#include "common/ids.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/crypto/aes_ctr_provider.h"
#include "storage/crypto/key_file.h"
#include "storage/crypto/key_inventory.h"
#include "storage/crypto/key_ring.h"
#include "storage/encryption_key_admin.h"
#include "storage/rocksdb/db.h"
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
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

mode_t Mode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

// The key id in the header of every encrypted file of `dir`, by file name.
std::map<std::string, uint32_t> HeaderKeyIds(const std::string& dir) {
  std::map<std::string, uint32_t> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    uint32_t id = 0;
    std::string head = ReadFile(entry.path().string()).substr(0, kEncryptionHeaderBytes);
    if (ReadHeaderKeyId(head, &id)) out[entry.path().filename().string()] = id;
  }
  return out;
}

class KeyFileRotationTest : public ::testing::Test {
 protected:
  void SetUp() override { SV_ASSERT_OK(WriteNewKeyFile(path_)); }

  testing::TempDir dir_;
  const std::string path_ = dir_.path() + "/keys";
};

TEST_F(KeyFileRotationTest, AddKeyToFileAppendsTheNextIdAndKeepsTheOthers) {
  auto before = LoadKeyFile(path_);
  ASSERT_TRUE(before.ok()) << before.status();
  auto added = AddKeyToFile(path_, nullptr);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(added->id, 2u);
  EXPECT_EQ(added->bytes.size(), KeyRing::kKeyBytes);
  auto after = LoadKeyFile(path_);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_THAT((*after)->ids(), ElementsAre(1, 2));
  EXPECT_EQ(*(*after)->Find(1), *(*before)->Find(1));
  EXPECT_EQ(*(*after)->Find(2), added->bytes);
  EXPECT_EQ(Mode(path_), 0600u);
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_.path()), fs::directory_iterator()), 1);
}

TEST_F(KeyFileRotationTest, AFailedCheckChangesNothing) {
  std::string text = ReadFile(path_);
  auto added = AddKeyToFile(
      path_, [](const KeyRing&) { return absl::FailedPreconditionError("the file changed"); });
  EXPECT_THAT(added, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("changed")));
  EXPECT_EQ(ReadFile(path_), text);
}

TEST_F(KeyFileRotationTest, AFileOthersCanReadIsRefusedAndLeftAlone) {
  ASSERT_EQ(chmod(path_.c_str(), 0644), 0);
  std::string text = ReadFile(path_);
  EXPECT_THAT(AddKeyToFile(path_, nullptr), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(ReadFile(path_), text);
}

TEST_F(KeyFileRotationTest, ASymbolicLinkKeepsPointingAtTheReplacedFile) {
  std::string link = dir_.path() + "/link";
  fs::create_symlink(path_, link);
  ASSERT_TRUE(AddKeyToFile(link, nullptr).ok());
  EXPECT_TRUE(fs::is_symlink(link));
  auto keys = LoadKeyFile(path_);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_THAT((*keys)->ids(), ElementsAre(1, 2));
}

TEST_F(KeyFileRotationTest, RemoveKeyFromFileRemovesAnOldKeyOnly) {
  auto added = AddKeyToFile(path_, nullptr);
  ASSERT_TRUE(added.ok()) << added.status();
  std::string text = ReadFile(path_);
  EXPECT_THAT(RemoveKeyFromFile(path_, 2, nullptr),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("newest")));
  EXPECT_THAT(RemoveKeyFromFile(path_, 7, nullptr), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(ReadFile(path_), text);
  SV_ASSERT_OK(RemoveKeyFromFile(path_, 1, nullptr));
  auto keys = LoadKeyFile(path_);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_THAT((*keys)->ids(), ElementsAre(2));
  EXPECT_EQ(*(*keys)->Find(2), added->bytes);
  EXPECT_EQ(Mode(path_), 0600u);
}

TEST(KeyInventory, CountsFilesAndBytesPerKeyAndSkipsTheRest) {
  testing::TempDir dir;
  auto ring = KeyRing::Generate("test");
  ASSERT_TRUE(ring.ok());
  AesCtrEncryptionProvider provider(**ring);
  auto write = [&](const std::string& name, size_t payload) {
    std::string prefix(kEncryptionPrefixBytes, '\0');
    ASSERT_TRUE(provider.CreateNewPrefix(name, prefix.data(), prefix.size()).ok());
    std::ofstream(dir.path() + "/" + name, std::ios::binary) << prefix << std::string(payload, 'x');
  };
  write("000007.sst", 100);
  write("000009.log", 0);
  write("MANIFEST-000005", 10);
  ASSERT_TRUE(provider.AddKey({2, std::string(32, 'k')}).ok());
  write("000011.sst", 50);
  write("CURRENT", 16);
  std::ofstream(dir.path() + "/LOCK");
  std::ofstream(dir.path() + "/ENCRYPTION") << "format aes-256-ctr-v1\n";
  std::ofstream(dir.path() + "/short.sst") << "SPANVENC";

  auto counts = CountFilesByKey(dir.path());
  ASSERT_TRUE(counts.ok()) << counts.status();
  ASSERT_EQ(counts->size(), 2u);
  const KeyFiles& one = counts->at(1);
  EXPECT_EQ(one.files, 3);
  EXPECT_EQ(one.bytes, static_cast<int64_t>(3 * kEncryptionPrefixBytes + 110));
  EXPECT_EQ(one.files_rewritten_at_open, 1);  // the MANIFEST
  const KeyFiles& two = counts->at(2);
  EXPECT_EQ(two.files, 2);
  EXPECT_EQ(two.files_rewritten_at_open, 1);  // CURRENT
  EXPECT_THAT(CountFilesByKey(dir.path() + "/missing"), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(ProviderKeySwap, AddKeyOnlyAcceptsANewerKeyAndRemoveKeyNeverTheNewest) {
  auto ring = KeyRing::Generate("test");
  ASSERT_TRUE(ring.ok());
  AesCtrEncryptionProvider provider(**ring);
  EXPECT_THAT(provider.AddKey({1, std::string(32, 'a')}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(provider.AddKey({3, "short"}), StatusIs(absl::StatusCode::kInvalidArgument));
  SV_ASSERT_OK(provider.AddKey({3, std::string(32, 'c')}));
  EXPECT_EQ(provider.newest_id(), 3u);
  EXPECT_TRUE(provider.HoldsKey(3, std::string(32, 'c')));
  EXPECT_FALSE(provider.HoldsKey(3, std::string(32, 'd')));
  EXPECT_FALSE(provider.HoldsKey(2, std::string(32, 'c')));
  EXPECT_THAT(provider.RemoveKey(3), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(provider.RemoveKey(2), StatusIs(absl::StatusCode::kNotFound));
  SV_ASSERT_OK(provider.RemoveKey(1));
  EXPECT_THAT(provider.ids(), ElementsAre(3));
}

TEST(ProviderKeySwap, NewFilesSwitchToTheNewKeyWhileOtherThreadsCreateFiles) {
  auto ring = KeyRing::Generate("test");
  ASSERT_TRUE(ring.ok());
  AesCtrEncryptionProvider provider(**ring);
  std::atomic<bool> added{false};
  std::vector<std::thread> threads;
  std::atomic<int> bad{0}, after_add_on_key1{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        bool was_added = added.load();
        std::string prefix(kEncryptionPrefixBytes, '\0');
        uint32_t id = 0;
        if (!provider.CreateNewPrefix("f", prefix.data(), prefix.size()).ok() ||
            provider.CheckPrefix(prefix, &id) != PrefixCheck::kOk) {
          ++bad;
        } else if (was_added && id != 2) {
          ++after_add_on_key1;
        }
      }
    });
  }
  SV_ASSERT_OK(provider.AddKey({2, std::string(32, 'b')}));
  added = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(after_add_on_key1, 0);
}

// Files written before and after a key is added at run time both read back, in the same
// process and after a reopen with both keys.
TEST(ProviderKeySwap, FilesBeforeAndAfterTheSwapBothReadBack) {
  testing::TempDir dir;
  std::string path = dir.path() + "/db";
  auto ring = KeyRing::Generate("test");
  ASSERT_TRUE(ring.ok());
  RocksDbOptions options;
  options.encryption_keys = *ring;
  auto db = OpenRocksDb(path, options);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->db->Put(rocksdb::WriteOptions(), "before", "one").ok());
  ASSERT_TRUE((*db)->db->Flush(rocksdb::FlushOptions()).ok());
  auto new_key = RandomBytes(KeyRing::kKeyBytes);
  ASSERT_TRUE(new_key.ok());
  SV_ASSERT_OK((*db)->encryption->AddKey({2, *new_key}));
  ASSERT_TRUE((*db)->db->Put(rocksdb::WriteOptions(), "after", "two").ok());
  ASSERT_TRUE((*db)->db->Flush(rocksdb::FlushOptions()).ok());
  std::set<uint32_t> sst_keys;
  for (const auto& [name, id] : HeaderKeyIds(path)) {
    if (name.find(".sst") != std::string::npos) sst_keys.insert(id);
  }
  EXPECT_THAT(sst_keys, ElementsAre(1, 2));
  std::string value;
  ASSERT_TRUE((*db)->db->Get(rocksdb::ReadOptions(), "before", &value).ok());
  EXPECT_EQ(value, "one");
  db->reset();

  std::vector<KeyRing::Key> both = {{1, *(*ring)->Find(1)}, {2, *new_key}};
  auto both_ring = KeyRing::Create(both, "both");
  ASSERT_TRUE(both_ring.ok());
  options.encryption_keys = *both_ring;
  auto reopened = OpenRocksDb(path, options);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  ASSERT_TRUE((*reopened)->db->Get(rocksdb::ReadOptions(), "before", &value).ok());
  EXPECT_EQ(value, "one");
  ASSERT_TRUE((*reopened)->db->Get(rocksdb::ReadOptions(), "after", &value).ok());
  EXPECT_EQ(value, "two");
}

// The store's rotate / status / retire cycle with a key file, as the admin API drives it.
class StoreRotationTest : public ::testing::Test {
 protected:
  void SetUp() override { SV_ASSERT_OK(WriteNewKeyFile(key_file_)); }

  absl::StatusOr<std::unique_ptr<TraceStore>> Open() {
    auto keys = LoadKeyFile(key_file_);
    if (!keys.ok()) return keys.status();
    TraceStoreOptions options;
    options.path = path_;
    options.encryption_keys = *keys;
    options.encryption_key_file = key_file_;
    return OpenRocksDbTraceStore(options);
  }

  void Store(TraceStore& store, int trace) {
    TestSpan span;
    span.trace_id = TraceHex(trace);
    span.span_id = SpanHex(trace);
    SV_ASSERT_OK(ConsumeAndWait(store, MakeBatch({span})));
  }

  // Polls until key `id` protects only files rewritten at open and no rewrite runs.
  KeyUsage WaitForDataRewritten(EncryptionKeyAdmin& keys, uint32_t id) {
    absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (true) {
      auto status = keys.Status();
      EXPECT_TRUE(status.ok()) << status.status();
      if (!status.ok()) return {};
      EXPECT_EQ(status->last_rewrite_error, "") << FilesAndKeys();
      if (!status->last_rewrite_error.empty()) return {};
      for (const KeyUsage& usage : status->keys) {
        if (usage.key_id == id && !status->rewrite_running &&
            usage.files == usage.files_rewritten_at_restart) {
          return usage;
        }
      }
      if (absl::Now() > deadline) {
        ADD_FAILURE() << "key " << id << " still protects data files";
        return {};
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  std::string FilesAndKeys() {
    std::string out;
    for (const auto& [name, id] : HeaderKeyIds(path_)) {
      out += name + ":" + std::to_string(id) + ":" + std::to_string(fs::file_size(path_ + "/" + name)) + " ";
    }
    return out;
  }

  testing::TempDir dir_;
  const std::string key_file_ = dir_.path() + "/keys";
  const std::string path_ = dir_.path() + "/traces";
};

TEST_F(StoreRotationTest, RotateRewritesEverythingAndTheOldKeyCanBeRetiredAfterARestart) {
  {
    auto store = Open();
    ASSERT_TRUE(store.ok()) << store.status();
    Store(**store, 1);
  }
  auto store = Open();  // the reopen flushed trace 1 into an SST under key 1
  ASSERT_TRUE(store.ok()) << store.status();
  Store(**store, 2);  // in the write-ahead log under key 1
  EncryptionKeyAdmin* keys = (*store)->key_admin();
  ASSERT_NE(keys, nullptr);
  EXPECT_THAT(keys->Retire(1),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("newest")));

  auto rotated = keys->Rotate(/*rewrite_only=*/false);
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  EXPECT_EQ(rotated->newest_key_id, 2u);
  EXPECT_TRUE(rotated->key_added);
  Store(**store, 3);
  KeyUsage old = WaitForDataRewritten(*keys, 1);
  EXPECT_GT(old.files, 0);  // MANIFEST, CURRENT
  EXPECT_THAT(keys->Retire(1),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("restart spanvault")));
  EXPECT_THAT(keys->Retire(2),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("newest")));
  EXPECT_THAT(keys->Retire(9), StatusIs(absl::StatusCode::kNotFound));
  store->reset();

  store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  keys = (*store)->key_admin();
  auto status = keys->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_EQ(status->keys.size(), 2u);
  EXPECT_EQ(status->keys[0].files, 0) << "after the restart: " << FilesAndKeys();
  SV_ASSERT_OK(keys->Retire(1));
  EXPECT_THAT(ReadFile(path_ + "/ENCRYPTION"), HasSubstr("key_ids 2\n"));
  store->reset();

  auto remaining = LoadKeyFile(key_file_);
  ASSERT_TRUE(remaining.ok()) << remaining.status();
  EXPECT_THAT((*remaining)->ids(), ElementsAre(2));
  store = Open();  // key 2 alone opens the store and reads every trace
  ASSERT_TRUE(store.ok()) << store.status();
  for (int t = 1; t <= 3; ++t) SV_EXPECT_OK((*store)->GetTrace(*TraceId::FromHex(TraceHex(t))));
  for (const auto& [name, id] : HeaderKeyIds(path_)) EXPECT_EQ(id, 2u) << name;
}

// Closing the store right after a rotation stops (or waits out) the rewrite without losing
// anything; after the reopen, a rewrite-only rotation finishes the job.
TEST_F(StoreRotationTest, AStopDuringTheRewriteLosesNothingAndRewriteOnlyFinishesIt) {
  constexpr int kTraces = 200;
  {
    auto store = Open();
    ASSERT_TRUE(store.ok()) << store.status();
    for (int t = 1; t <= kTraces; ++t) Store(**store, t);
  }
  {
    auto store = Open();
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->key_admin()->Rotate(false).ok());
  }  // shut down at once
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  for (int t = 1; t <= kTraces; ++t)
    SV_EXPECT_OK((*store)->GetTrace(*TraceId::FromHex(TraceHex(t))));
  EncryptionKeyAdmin* keys = (*store)->key_admin();
  auto rewrite = keys->Rotate(/*rewrite_only=*/true);
  ASSERT_TRUE(rewrite.ok()) << rewrite.status();
  EXPECT_EQ(rewrite->newest_key_id, 2u);
  KeyUsage old = WaitForDataRewritten(*keys, 1);
  EXPECT_EQ(old.files, 0) << FilesAndKeys();  // the reopen already wrote MANIFEST and CURRENT
}

TEST_F(StoreRotationTest, KeysFromElsewhereCanOnlyBeRewrittenNotAdded) {
  auto keys = LoadKeyFile(key_file_);
  ASSERT_TRUE(keys.ok());
  TraceStoreOptions options;
  options.path = path_;
  options.encryption_keys = *keys;  // no key file: as with SPANVAULT_ENCRYPTION_KEY
  auto store = OpenRocksDbTraceStore(options);
  ASSERT_TRUE(store.ok()) << store.status();
  EncryptionKeyAdmin* admin = (*store)->key_admin();
  EXPECT_THAT(admin->Rotate(false), StatusIs(absl::StatusCode::kFailedPrecondition,
                                             HasSubstr("SPANVAULT_ENCRYPTION_KEY")));
  auto rewrite = admin->Rotate(true);
  ASSERT_TRUE(rewrite.ok()) << rewrite.status();
  EXPECT_FALSE(rewrite->key_added);
  EXPECT_EQ(rewrite->newest_key_id, 1u);
}

TEST_F(StoreRotationTest, AKeyFileChangedBehindTheServersBackIsNotRotated) {
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  fs::remove(key_file_);
  SV_ASSERT_OK(WriteNewKeyFile(key_file_));  // another key 1
  std::string text = ReadFile(key_file_);
  EXPECT_THAT((*store)->key_admin()->Rotate(false),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no longer holds key 1")));
  EXPECT_EQ(ReadFile(key_file_), text);
}

TEST(PlaintextStore, HasNoKeyAdmin) {
  testing::TempDir dir;
  TraceStoreOptions options;
  options.path = dir.path() + "/traces";
  options.testing_no_encryption = true;
  auto store = OpenRocksDbTraceStore(options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->key_admin(), nullptr);
}

}  // namespace
}  // namespace spanvault
