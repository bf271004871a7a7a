#include "storage/rocksdb/disk_space_watch.h"

#include <sys/statvfs.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace spanvault {
namespace {

uint64_t StatvfsFreeBytes(const std::string& path) {
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0) return 0;
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

constexpr char kGuardKey[] = "spanvault.wal_guard";

std::string Mib(uint64_t bytes) {
  return absl::StrCat(bytes / (1 << 20), ".", (bytes % (1 << 20)) * 10 / (1 << 20), " MiB");
}

}  // namespace

DiskSpaceWatch::DiskSpaceWatch(DiskSpaceWatchOptions options) : options_(std::move(options)) {}

void DiskSpaceWatch::Start(rocksdb::DB& db) {
  {
    absl::MutexLock lock(&mu_);
    if (thread_.joinable() || stopping_) return;
  }
  thread_ = std::thread([this, &db] { Loop(&db); });
}

void DiskSpaceWatch::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

uint64_t DiskSpaceWatch::FreeBytes() const {
  return options_.free_bytes ? options_.free_bytes() : StatvfsFreeBytes(options_.path);
}

absl::Status DiskSpaceWatch::State() {
  bool full = false;
  bool restart = false;
  std::string other;
  {
    absl::MutexLock lock(&mu_);
    full = full_;
    restart = restart_needed_;
    other = other_error_;
  }
  if (full && restart) {
    return absl::UnavailableError(absl::StrCat(
        "disk full earlier: the filesystem of ", options_.path, " has ", FreeBytes(),
        " bytes free again, but this database cannot resume writing without a restart (the "
        "write that failed was the first since the last flush); restart spanvault"));
  }
  if (full) {
    return absl::UnavailableError(
        absl::StrCat("disk full: the filesystem of ", options_.path, " has ", FreeBytes(),
                     " bytes free; nothing is written until ", Mib(options_.resume_free_bytes),
                     " are free, then writing resumes by itself; retry later"));
  }
  if (!other.empty()) {
    return absl::UnavailableError(absl::StrCat("storage write error: ", other));
  }
  return absl::OkStatus();
}

bool DiskSpaceWatch::writable() {
  absl::MutexLock lock(&mu_);
  return !full_ && other_error_.empty();
}

bool DiskSpaceWatch::disk_full() {
  absl::MutexLock lock(&mu_);
  return full_;
}

void DiskSpaceWatch::OnBackgroundError(rocksdb::BackgroundErrorReason reason,
                                       rocksdb::Status* error) {
  if (error == nullptr || error->ok()) return;
  absl::MutexLock lock(&mu_);
  if (reason == rocksdb::BackgroundErrorReason::kWriteCallback) wal_failed_ = true;
  if (error->IsNoSpace()) {
    if (full_) return;  // logged once per episode
    full_ = true;
    full_since_ = absl::Now();
    tried_ = false;
    restart_needed_ = false;
    failed_at_ = absl::InfinitePast();
    spdlog::error(
        "disk full: the filesystem of {} has no space left ({} bytes free); every write is "
        "refused (exports get a retryable 503 / UNAVAILABLE, /readyz is 503) until {} are free, "
        "then writing resumes by itself",
        options_.path, FreeBytes(), Mib(options_.resume_free_bytes));
    return;
  }
  if (error->severity() < rocksdb::Status::Severity::kHardError || !other_error_.empty()) return;
  other_error_ = error->ToString();
  spdlog::error("storage write error: {}; writes are refused until RocksDB recovers", other_error_);
}

void DiskSpaceWatch::OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status error,
                                          bool* auto_recovery) {
  // RocksDB's own recovery would wait for a whole write buffer of free space (see the header).
  if (error.IsNoSpace() && auto_recovery != nullptr) *auto_recovery = false;
}

void DiskSpaceWatch::OnMemTableSealed(const rocksdb::MemTableInfo& info) {
  absl::MutexLock lock(&mu_);
  wal_failed_ = false;
  if (info.cf_name == rocksdb::kDefaultColumnFamilyName) guard_needed_ = true;
}

rocksdb::Status DiskSpaceWatch::WriteGuard(rocksdb::DB& db) {
  {
    absl::MutexLock lock(&mu_);
    guard_needed_ = false;  // a seal from now on asks again
  }
  return db.Put(rocksdb::WriteOptions(), kGuardKey, "");
}

void DiskSpaceWatch::OnErrorRecoveryEnd(const rocksdb::BackgroundErrorRecoveryInfo& info) {
  if (!info.new_bg_error.ok()) return;
  absl::MutexLock lock(&mu_);
  ClearLocked();
}

void DiskSpaceWatch::ClearLocked() {
  if (full_) {
    spdlog::warn("disk space is back ({} bytes free in {}): writes resumed after {}", FreeBytes(),
                 options_.path, absl::FormatDuration(absl::Now() - full_since_));
  } else if (!other_error_.empty()) {
    spdlog::warn("storage recovered from a write error; writes resumed");
  }
  full_ = false;
  restart_needed_ = false;
  other_error_.clear();
}

bool DiskSpaceWatch::ResumeIfSpaceFreed(rocksdb::DB& db) {
  uint64_t free = FreeBytes();
  bool wal_failed = false;
  {
    absl::MutexLock lock(&mu_);
    if (!full_) return true;
    if (free < options_.resume_free_bytes) return false;
    // After a failed attempt: only once the free space grew, or after a while.
    bool grew = free >= free_at_failure_ + options_.resume_free_bytes;
    if (tried_ && !grew && absl::Now() - failed_at_ < options_.retry_after) return false;
    if (restart_needed_) return false;
    tried_ = true;
    wal_failed = wal_failed_;
  }
  // After a failed write-ahead-log write, with every active memtable empty, Resume() would keep
  // the failed log writer and the next write would abort (see the header).
  uint64_t entries = 0;
  if (wal_failed &&
      (!db.GetAggregatedIntProperty(rocksdb::DB::Properties::kNumEntriesActiveMemTable, &entries) ||
       entries == 0)) {
    absl::MutexLock lock(&mu_);
    restart_needed_ = true;
    spdlog::error(
        "disk space is back ({} bytes free in {}), but writes cannot resume without a restart: "
        "the write that failed was the first since the last flush, and RocksDB 7.8 would reuse "
        "its failed write-ahead log; restart spanvault",
        free, options_.path);
    return false;
  }
  rocksdb::Status resumed = db.Resume();
  if (resumed.ok()) {
    // Resume() flushed the guard with everything else: back before the disk can fill again.
    static_cast<void>(WriteGuard(db));  // a failure is a new episode, handled as any
    absl::MutexLock lock(&mu_);
    ClearLocked();
    return true;
  }
  absl::MutexLock lock(&mu_);
  free_at_failure_ = free;
  failed_at_ = absl::Now();
  spdlog::warn(
      "disk full: resuming writes with {} bytes free failed ({}); trying again when "
      "more space is free",
      free, resumed.ToString());
  return false;
}

void DiskSpaceWatch::Loop(rocksdb::DB* db) {
  while (true) {
    bool full = false;
    {
      absl::MutexLock lock(&mu_);
      // Waits for a full disk, a sealed guard (or the stop); while full, looks again every poll
      // interval.
      mu_.Await(absl::Condition(
          +[](DiskSpaceWatch* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->full_ || self->guard_needed_ || self->stopping_;
          },
          this));
      if (stopping_) return;
      full = full_;
      if (full && mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.poll)) return;
    }
    if (full) {
      ResumeIfSpaceFreed(*db);
    } else {
      static_cast<void>(WriteGuard(*db));  // a failure fills the disk state: retried once resumed
    }
  }
}

}  // namespace spanvault
