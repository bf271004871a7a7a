// DiskSpaceWatch against a real RocksDB whose filesystem fails every write with NoSpace on
// demand: writes are refused with the state saying so, reads go on, writing resumes once the
// (fake) free space is back, and nothing acknowledged is lost across a reopen.

#include "storage/rocksdb/disk_space_watch.h"

#include <atomic>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace spanvault {
namespace {

using ::spanvault::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// A filesystem that fails appends with NoSpace (retryable, as ENOSPC from the POSIX one) while
// `full` is set.
class FullDiskFs : public rocksdb::FileSystemWrapper {
 public:
  explicit FullDiskFs(std::shared_ptr<std::atomic<bool>> full)
      : FileSystemWrapper(rocksdb::FileSystem::Default()), full_(std::move(full)) {}
  const char* Name() const override { return "FullDiskFs"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* file,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, file, dbg);
    if (s.ok()) *file = std::make_unique<File>(std::move(*file), full_);
    return s;
  }

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> file, std::shared_ptr<std::atomic<bool>> full)
        : FSWritableFileOwnerWrapper(std::move(file)), full_(std::move(full)) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (*full_) return NoSpace();
      return FSWritableFileOwnerWrapper::Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (*full_) return NoSpace();
      return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
    }

   private:
    static rocksdb::IOStatus NoSpace() {
      rocksdb::IOStatus s = rocksdb::IOStatus::NoSpace("test", "No space left on device");
      s.SetRetryable(true);
      return s;
    }
    std::shared_ptr<std::atomic<bool>> full_;
  };

  std::shared_ptr<std::atomic<bool>> full_;
};

class DiskSpaceWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = rocksdb::NewCompositeEnv(std::make_shared<FullDiskFs>(fs_full_));
    DiskSpaceWatchOptions options;
    options.path = dir_.path();
    options.resume_free_bytes = 1 << 20;
    options.poll = absl::Milliseconds(1);
    options.free_bytes = [free = free_] { return free->load(); };
    watch_ = std::make_shared<DiskSpaceWatch>(options);
    Open();
  }
  void TearDown() override {
    watch_->Shutdown();
    Close();
  }

  void Open() {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.paranoid_checks = true;
    options.env = env_.get();
    options.listeners.push_back(watch_);
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_.path() + "/db", &raw).ok());
    db_.reset(raw);
  }
  void Close() {
    if (db_) static_cast<void>(db_->Close());
    db_.reset();
  }
  rocksdb::Status Put(const std::string& key) {
    rocksdb::WriteOptions options;
    return db_->Put(options, key, "value of " + key);
  }
  bool Has(const std::string& key) {
    std::string value;
    return db_->Get(rocksdb::ReadOptions(), key, &value).ok() && value == "value of " + key;
  }
  // Space is freed.
  void Free() {
    *fs_full_ = false;
    *free_ = 64 << 20;
  }
  // Entries in the default column family's active memtable: the guard.
  uint64_t DefaultMemtableEntries() {
    uint64_t entries = 0;
    EXPECT_TRUE(db_->GetIntProperty(db_->DefaultColumnFamily(),
                                    rocksdb::DB::Properties::kNumEntriesActiveMemTable, &entries));
    return entries;
  }
  // The disk fills: the next write fails and RocksDB stops writing.
  void Fill() {
    *fs_full_ = true;
    *free_ = 0;
    rocksdb::Status s = Put("refused");
    ASSERT_TRUE(s.IsNoSpace()) << s.ToString();
  }

  spanvault::testing::TempDir dir_;
  std::shared_ptr<std::atomic<bool>> fs_full_ = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<std::atomic<uint64_t>> free_ = std::make_shared<std::atomic<uint64_t>>(1 << 30);
  std::unique_ptr<rocksdb::Env> env_;
  std::shared_ptr<DiskSpaceWatch> watch_;
  std::unique_ptr<rocksdb::DB> db_;
};

TEST_F(DiskSpaceWatchTest, FullDiskRefusesWritesSaysWhyAndKeepsReads) {
  ASSERT_TRUE(Put("before").ok());
  EXPECT_TRUE(watch_->State().ok());
  EXPECT_TRUE(watch_->writable());

  Fill();
  EXPECT_FALSE(watch_->writable());
  EXPECT_TRUE(watch_->disk_full());
  EXPECT_THAT(watch_->State(),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("disk full: the filesystem of " + dir_.path()),
                             HasSubstr("has 0 bytes free"), HasSubstr("until 1.0 MiB are free"),
                             HasSubstr("retry later"))));
  // Refused even once the filesystem would take it: RocksDB waits for Resume().
  *fs_full_ = false;
  EXPECT_TRUE(Put("still refused").IsNoSpace());
  EXPECT_TRUE(Has("before"));
}

TEST_F(DiskSpaceWatchTest, ResumesOnlyOnceEnoughSpaceIsFree) {
  ASSERT_TRUE(Put("before").ok());
  Fill();
  // Not enough free: no attempt.
  *free_ = 1000;
  EXPECT_FALSE(watch_->ResumeIfSpaceFreed(*db_));
  EXPECT_TRUE(watch_->disk_full());
  // Enough free, but the disk still fails: the attempt fails and the state stays.
  *free_ = 4 << 20;
  EXPECT_FALSE(watch_->ResumeIfSpaceFreed(*db_));
  EXPECT_TRUE(watch_->disk_full());
  EXPECT_TRUE(Put("refused after a failed resume").IsNoSpace());
  // Space really freed.
  *fs_full_ = false;
  *free_ = 64 << 20;
  EXPECT_TRUE(watch_->ResumeIfSpaceFreed(*db_));
  EXPECT_TRUE(watch_->State().ok());
  EXPECT_TRUE(watch_->writable());
  ASSERT_TRUE(Put("after").ok());

  Close();
  Open();
  EXPECT_TRUE(Has("before"));
  EXPECT_TRUE(Has("after"));
  EXPECT_FALSE(Has("refused"));
  EXPECT_FALSE(Has("refused after a failed resume"));
}

TEST_F(DiskSpaceWatchTest, TheThreadResumesByItselfWhenSpaceIsFreed) {
  watch_->Start(*db_);
  ASSERT_TRUE(Put("before").ok());
  Fill();
  *fs_full_ = false;
  *free_ = 64 << 20;
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!watch_->writable()) {
    ASSERT_LT(absl::Now(), deadline) << "not resumed: " << watch_->State();
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_TRUE(Put("after").ok());
  watch_->Shutdown();
  Close();
  Open();
  EXPECT_TRUE(Has("before"));
  EXPECT_TRUE(Has("after"));
}

// Without the guard (a write failing between a seal and the guard's rewrite), the failed write
// was the first since the last flush: RocksDB 7.8's Resume() would keep the failed write-ahead
// log and the next write would abort, so the watch does not resume and says a restart is
// needed; a restart writes again.
TEST_F(DiskSpaceWatchTest, AFailedFirstWriteNeedsARestart) {
  Fill();
  *fs_full_ = false;
  *free_ = 64 << 20;
  EXPECT_FALSE(watch_->ResumeIfSpaceFreed(*db_));
  EXPECT_THAT(watch_->State(),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("67108864 bytes free again"), HasSubstr("restart"))));
  EXPECT_TRUE(Put("still refused").IsNoSpace());
  Close();
  Open();
  ASSERT_TRUE(Put("after a restart").ok());
  EXPECT_TRUE(Has("after a restart"));
}

// With the guard in a memtable, a failed first write since the start resumes in-process, and so
// does the first write since that resume (which flushed every memtable, the guard included).
TEST_F(DiskSpaceWatchTest, WithTheGuardAFailedFirstWriteResumes) {
  ASSERT_TRUE(watch_->WriteGuard(*db_).ok());
  Fill();
  Free();
  ASSERT_TRUE(watch_->ResumeIfSpaceFreed(*db_)) << watch_->State();
  EXPECT_EQ(DefaultMemtableEntries(), 1u);
  Fill();
  Free();
  ASSERT_TRUE(watch_->ResumeIfSpaceFreed(*db_)) << watch_->State();
  EXPECT_TRUE(watch_->State().ok());
  ASSERT_TRUE(Put("after").ok());
  Close();
  Open();
  EXPECT_TRUE(Has("after"));
  EXPECT_FALSE(Has("refused"));
}

// A flush seals the guard's memtable; the watch's thread writes it again, so a failed write
// after that flush still resumes. (The thread is stopped before the disk fills: its join orders
// its guard write before the test's writes for ThreadSanitizer, which cannot see RocksDB's own
// ordering of two writers.)
TEST_F(DiskSpaceWatchTest, TheThreadRewritesTheGuardAfterAFlush) {
  watch_->Start(*db_);
  ASSERT_TRUE(watch_->WriteGuard(*db_).ok());
  ASSERT_TRUE(db_->Flush(rocksdb::FlushOptions()).ok());
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (DefaultMemtableEntries() == 0) {
    ASSERT_LT(absl::Now(), deadline) << "the guard was not written again";
    absl::SleepFor(absl::Milliseconds(5));
  }
  watch_->Shutdown();
  Fill();
  Free();
  ASSERT_TRUE(watch_->ResumeIfSpaceFreed(*db_)) << watch_->State();
  ASSERT_TRUE(Put("after").ok());
  Close();
  Open();
  EXPECT_TRUE(Has("after"));
}

}  // namespace
}  // namespace spanvault
