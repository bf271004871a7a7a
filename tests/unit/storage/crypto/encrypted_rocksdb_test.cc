// The RocksDB store's files through the encrypted Env: nothing in plaintext, wrong keys and
// wrong modes refused without touching the disk, corruption reported.

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/crypto/aes_ctr_provider.h"
#include "storage/crypto/key_ring.h"
#include "storage/crypto/store_encryption.h"
#include "storage/rocksdb/db.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace spanvault {
namespace {

namespace fs = std::filesystem;
using ::spanvault::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kMarker[] = "PLAINTEXT-HUNT-7f3a9c";

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every file under `dir` with its bytes.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) out[entry.path().string()] = ReadAll(entry.path());
  }
  return out;
}

std::vector<std::string> FilesContaining(const std::string& dir, std::string_view needle) {
  std::vector<std::string> out;
  for (const auto& [path, bytes] : Snapshot(dir)) {
    if (bytes.find(needle) != std::string::npos) out.push_back(path);
  }
  return out;
}

std::vector<std::string> FilesEndingIn(const std::string& dir, std::string_view suffix) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.size() > suffix.size() && name.ends_with(suffix)) out.push_back(entry.path());
  }
  return out;
}

std::shared_ptr<const KeyRing> Ring(std::vector<uint32_t> ids, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<KeyRing::Key> keys;
  for (uint32_t id : ids) {
    std::string bytes(32, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    keys.push_back({id, bytes});
  }
  auto ring = KeyRing::Create(std::move(keys), "test keys");
  EXPECT_TRUE(ring.ok()) << ring.status();
  return *ring;
}

RocksDbOptions Encrypted(std::shared_ptr<const KeyRing> keys) {
  RocksDbOptions options;
  options.encryption_keys = std::move(keys);
  return options;
}

RocksDbOptions Plaintext() {
  RocksDbOptions options;
  options.testing_no_encryption = true;
  return options;
}

std::string Value(int i) { return std::string(kMarker) + "-value-" + std::to_string(i); }

class EncryptedRocksDbTest : public ::testing::Test {
 protected:
  std::unique_ptr<RocksDb> Open(const RocksDbOptions& options) {
    auto db = OpenRocksDb(path_, options);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? std::move(*db) : nullptr;
  }

  // Writes values [from, to) into the spans column family (and the marker as a key into the
  // index), then flushes them into SSTs when `flush`.
  void Write(RocksDb& db, int from, int to, bool flush) {
    rocksdb::WriteOptions sync;
    sync.sync = true;
    rocksdb::WriteBatch batch;
    for (int i = from; i < to; ++i) {
      std::string key = "trace-" + std::to_string(100000 + i);
      ASSERT_TRUE(batch.Put(db.spans, key, Value(i)).ok());
      ASSERT_TRUE(batch.Put(db.index, std::string(kMarker) + key, "").ok());
    }
    ASSERT_TRUE(db.db->Write(sync, &batch).ok());
    if (flush) {
      ASSERT_TRUE(db.db->Flush(rocksdb::FlushOptions(), {db.spans, db.index}).ok());
    }
  }

  void ExpectValues(RocksDb& db, int from, int to) {
    for (int i = from; i < to; ++i) {
      std::string value;
      rocksdb::Status s = db.db->Get(rocksdb::ReadOptions(), db.spans,
                                     "trace-" + std::to_string(100000 + i), &value);
      ASSERT_TRUE(s.ok()) << i << ": " << s.ToString();
      ASSERT_EQ(value, Value(i));
    }
  }

  // Writes under `options`: flushed SSTs, a forced compaction, then more in the WAL only.
  void Populate(const RocksDbOptions& options) {
    auto db = Open(options);
    ASSERT_NE(db, nullptr);
    Write(*db, 0, 100, /*flush=*/true);
    Write(*db, 100, 200, /*flush=*/true);
    rocksdb::CompactRangeOptions force;
    force.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    ASSERT_TRUE(db->db->CompactRange(force, db->spans, nullptr, nullptr).ok());
    Write(*db, 200, 300, /*flush=*/false);
  }

  testing::TempDir dir_;
  const std::string path_ = dir_.path() + "/traces";
};

TEST_F(EncryptedRocksDbTest, EveryFileIsEncryptedAndReadsBackAfterReopen) {
  auto keys = Ring({1}, 1);
  Populate(Encrypted(keys));
  EXPECT_THAT(FilesContaining(path_, kMarker), ::testing::IsEmpty());
  EXPECT_THAT(FilesContaining(path_, "trace-1000"), ::testing::IsEmpty());
  EXPECT_THAT(FilesContaining(path_, *keys->Find(1)), ::testing::IsEmpty());
  EXPECT_FALSE(FilesEndingIn(path_, ".sst").empty());
  EXPECT_FALSE(FilesEndingIn(path_, ".log").empty());
  EXPECT_FALSE(fs::exists(path_ + "/LOG")) << "RocksDB's info log bypasses the encryption";
  for (const auto& [path, bytes] : Snapshot(path_)) {
    std::string name = fs::path(path).filename();
    if (name == "LOCK" || name == "ENCRYPTION") continue;
    EXPECT_EQ(bytes.substr(0, 8), "SPANVENC") << path;
  }
  EXPECT_EQ(ReadAll(path_ + "/ENCRYPTION"),
            "# spanvault: how the files in this directory are encrypted. Holds no key "
            "material.\nformat aes-256-ctr-v1\nkey_ids 1\n");
  auto db = Open(Encrypted(keys));
  ASSERT_NE(db, nullptr);
  ExpectValues(*db, 0, 300);
}

TEST_F(EncryptedRocksDbTest, WithEncryptionOffTheSameDataIsFoundInPlaintext) {
  Populate(Plaintext());
  EXPECT_THAT(FilesContaining(path_, kMarker), ::testing::Not(::testing::IsEmpty()));
  EXPECT_THAT(ReadAll(path_ + "/ENCRYPTION"), HasSubstr("format none\n"));
  EXPECT_FALSE(fs::exists(path_ + "/LOG"));
}

TEST_F(EncryptedRocksDbTest, EveryFileHasItsOwnRandomIv) {
  Populate(Encrypted(Ring({1}, 1)));
  std::set<std::string> ivs;
  int files = 0;
  for (const auto& [path, bytes] : Snapshot(path_)) {
    if (bytes.substr(0, 8) != "SPANVENC") continue;
    ++files;
    ivs.insert(bytes.substr(16, 16));
  }
  EXPECT_GE(files, 8);
  EXPECT_EQ(ivs.size(), static_cast<size_t>(files));
}

TEST_F(EncryptedRocksDbTest, AWrongKeyFailsAtOnceAndChangesNothingOnDisk) {
  Populate(Encrypted(Ring({1}, 1)));
  auto before = Snapshot(dir_.path());
  EXPECT_THAT(OpenRocksDb(path_, Encrypted(Ring({1}, 2))),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("wrong encryption key"), HasSubstr("key id 1"),
                             HasSubstr("test keys"), HasSubstr(path_))));
  EXPECT_EQ(Snapshot(dir_.path()), before);
  auto db = Open(Encrypted(Ring({1}, 1)));
  ASSERT_NE(db, nullptr);
  ExpectValues(*db, 0, 300);
}

TEST_F(EncryptedRocksDbTest, AMissingKeyIdIsNamedAndChangesNothing) {
  Populate(Encrypted(Ring({1}, 1)));
  auto before = Snapshot(dir_.path());
  EXPECT_THAT(OpenRocksDb(path_, Encrypted(Ring({2}, 1))),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("encrypted with key id 1"),
                             HasSubstr("does not hold (it holds key id 2)"))));
  EXPECT_EQ(Snapshot(dir_.path()), before);
}

TEST_F(EncryptedRocksDbTest, TheNewestKeyEncryptsNewFilesAndOlderKeysStillRead) {
  std::shared_ptr<const KeyRing> old_ring = Ring({1}, 1);
  Populate(Encrypted(old_ring));
  std::vector<KeyRing::Key> both = {{1, *old_ring->Find(1)}, {2, std::string(32, 'k')}};
  auto ring = *KeyRing::Create(both, "two keys");
  std::set<std::string> old_ssts;
  for (const auto& p : FilesEndingIn(path_, ".sst")) old_ssts.insert(p);
  {
    auto db = Open(Encrypted(ring));
    ASSERT_NE(db, nullptr);
    ExpectValues(*db, 0, 300);
    Write(*db, 300, 400, /*flush=*/true);
  }
  int new_ssts = 0;
  for (const auto& p : FilesEndingIn(path_, ".sst")) {
    if (old_ssts.count(p)) continue;
    ++new_ssts;
    EXPECT_EQ(ReadAll(p).substr(12, 4), std::string("\0\0\0\2", 4)) << p;
  }
  EXPECT_GT(new_ssts, 0);
  EXPECT_THAT(ReadAll(path_ + "/ENCRYPTION"), HasSubstr("key_ids 1 2\n"));
  auto db = Open(Encrypted(ring));
  ASSERT_NE(db, nullptr);
  ExpectValues(*db, 0, 400);
}

TEST_F(EncryptedRocksDbTest, AnEncryptedDirectoryIsNeverOpenedInPlaintextNorTheReverse) {
  Populate(Encrypted(Ring({1}, 1)));
  auto before = Snapshot(dir_.path());
  EXPECT_THAT(OpenRocksDb(path_, Plaintext()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cannot be opened with encryption switched off")));
  EXPECT_EQ(Snapshot(dir_.path()), before);

  testing::TempDir plain_dir;
  std::string plain_path = plain_dir.path() + "/traces";
  ASSERT_NE(OpenRocksDb(plain_path, Plaintext()).value_or(nullptr), nullptr);
  auto plain_before = Snapshot(plain_dir.path());
  EXPECT_THAT(
      OpenRocksDb(plain_path, Encrypted(Ring({1}, 1))),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("written without encryption")));
  EXPECT_EQ(Snapshot(plain_dir.path()), plain_before);
}

TEST_F(EncryptedRocksDbTest, WithoutTheMarkerTheFilesThemselvesTell) {
  auto keys = Ring({1}, 1);
  Populate(Encrypted(keys));
  fs::remove(path_ + "/ENCRYPTION");
  EXPECT_THAT(OpenRocksDb(path_, Plaintext()), StatusIs(absl::StatusCode::kFailedPrecondition));
  auto db = Open(Encrypted(keys));
  ASSERT_NE(db, nullptr);
  ExpectValues(*db, 0, 300);
  EXPECT_THAT(ReadAll(path_ + "/ENCRYPTION"), HasSubstr("format aes-256-ctr-v1\n"));
}

TEST_F(EncryptedRocksDbTest, KeysAreRequiredUnlessTestingWithoutEncryption) {
  EXPECT_THAT(OpenRocksDb(path_, RocksDbOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("encryption keys")));
  EXPECT_FALSE(fs::exists(path_));
}

// The crash torture's tiny memtables (--testing-write-buffer-bytes) reach every column family;
// without the option each keeps its production size.
TEST_F(EncryptedRocksDbTest, TheTestingWriteBufferSizeReachesEveryColumnFamily) {
  auto keys = Ring({1}, 1);
  {
    auto db = Open(Encrypted(keys));
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(db->db->GetOptions(db->spans).write_buffer_size, size_t{64} << 20);
    EXPECT_EQ(db->db->GetOptions(db->pending).write_buffer_size, size_t{8} << 20);
  }
  RocksDbOptions small = Encrypted(keys);
  small.testing_write_buffer_bytes = 65536;
  auto db = Open(small);
  ASSERT_NE(db, nullptr);
  ASSERT_EQ(db->handles.size(), 13u);
  for (const auto& handle : db->handles) {
    EXPECT_EQ(db->db->GetOptions(handle.get()).write_buffer_size, 65536u) << handle->GetName();
  }
}

class CorruptionTest : public EncryptedRocksDbTest {
 protected:
  // One SST of random values (several blocks), closed again; returns its path.
  std::string OneSst() {
    auto db = Open(Encrypted(keys_));
    EXPECT_NE(db, nullptr);
    std::mt19937 rng(7);
    for (int i = 0; i < 3000; ++i) {
      std::string value(200, '\0');
      for (char& c : value) c = static_cast<char>(rng());
      values_["trace-" + std::to_string(100000 + i)] = value;
      EXPECT_TRUE(db->db
                      ->Put(rocksdb::WriteOptions(), db->spans,
                            "trace-" + std::to_string(100000 + i), value)
                      .ok());
    }
    EXPECT_TRUE(db->db->Flush(rocksdb::FlushOptions(), db->spans).ok());
    db.reset();
    auto ssts = FilesEndingIn(path_, ".sst");
    EXPECT_EQ(ssts.size(), 1u);
    return ssts.empty() ? "" : ssts[0];
  }

  static void FlipBytes(const std::string& path, size_t offset, size_t count) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    for (size_t i = 0; i < count; ++i) {
      file.seekg(static_cast<std::streamoff>(offset + i));
      char c = 0;
      file.get(c);
      file.seekp(static_cast<std::streamoff>(offset + i));
      file.put(static_cast<char>(c ^ 0x5a));
    }
  }

  // Opens and reads every value by key and by a scan: nothing read may differ from what was
  // written; a read that needs the damaged block fails with Corruption; and a full check
  // finds the damage even where no read needs the block (a damaged bloom filter is skipped,
  // reads then go to the data blocks).
  // Returns whether the open or a read reported the damage.
  bool ExpectDetectedAndNeverServed() {
    auto db = OpenRocksDb(path_, Encrypted(keys_));
    if (!db.ok()) {
      EXPECT_THAT(db, StatusIs(absl::StatusCode::kDataLoss));
      return true;
    }
    bool reported = false;
    rocksdb::ReadOptions read;
    for (const auto& [key, want] : values_) {
      std::string got;
      rocksdb::Status s = (*db)->db->Get(read, (*db)->spans, key, &got);
      if (s.ok()) {
        EXPECT_EQ(got, want) << "garbage served for " << key;
      } else {
        EXPECT_TRUE(s.IsCorruption()) << key << ": " << s.ToString();
        reported = true;
      }
    }
    std::unique_ptr<rocksdb::Iterator> it((*db)->db->NewIterator(read, (*db)->spans));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto want = values_.find(it->key().ToString());
      if (want == values_.end()) {
        ADD_FAILURE() << "a key that was never written";
        break;
      }
      EXPECT_EQ(it->value().ToString(), want->second) << "garbage served for " << want->first;
    }
    EXPECT_TRUE(it->status().ok() || it->status().IsCorruption()) << it->status().ToString();
    reported = reported || !it->status().ok();
    rocksdb::Status verify = (*db)->db->VerifyChecksum();
    EXPECT_TRUE(verify.IsCorruption()) << verify.ToString();
    return reported;
  }

  std::shared_ptr<const KeyRing> keys_ = Ring({1}, 1);
  std::map<std::string, std::string> values_;
};

// Bytes flipped at a fraction of the way through the SST's blocks (not the footer's padding,
// which nothing reads); `in_data`: the fraction lands in a data block, which reads need.
struct Damage {
  double fraction;
  bool in_data;
};

class CorruptionAtTest : public CorruptionTest, public ::testing::WithParamInterface<Damage> {};

TEST_P(CorruptionAtTest, FlippedBytesAreDetectedNeverServed) {
  std::string sst = OneSst();
  constexpr size_t kFooterBytes = 53;
  size_t blocks = fs::file_size(sst) - kEncryptionPrefixBytes - kFooterBytes;
  FlipBytes(sst, kEncryptionPrefixBytes + static_cast<size_t>(GetParam().fraction * blocks), 2);
  bool reported = ExpectDetectedAndNeverServed();
  if (GetParam().in_data) {
    EXPECT_TRUE(reported) << "a read of the damaged block succeeded";
  }
}

// The last one hits the bloom filter, which reads skip when it is damaged.
INSTANTIATE_TEST_SUITE_P(Positions, CorruptionAtTest,
                         ::testing::Values(Damage{0.0, true}, Damage{0.3, true}, Damage{0.6, true},
                                           Damage{0.995, false}));

TEST_F(CorruptionTest, AnAlteredHeaderIsReportedAsDamageNotAsAWrongKey) {
  std::string sst = OneSst();
  FlipBytes(sst, 20, 1);  // in the IV
  EXPECT_THAT(
      OpenRocksDb(path_, Encrypted(keys_)),
      StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr("fail the key check although others"),
                                                  HasSubstr(fs::path(sst).filename().string()))));
}

}  // namespace
}  // namespace spanvault
