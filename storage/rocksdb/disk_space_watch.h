#pragma once

// DiskSpaceWatch: notices when RocksDB stops writing because the disk is full, and makes it
// write again by itself once space is freed.
//
// A write-ahead-log or flush write that fails with ENOSPC puts RocksDB in a background-error
// state that refuses every write (reads go on) until DB::Resume(). RocksDB 7.8's own recovery
// from NoSpace waits, polling every 5 s, until the free space reaches the largest write buffer
// (64 MiB for the spans), which a small volume never has, and logs an error at each poll. So
// the watch turns that recovery off (OnErrorRecoveryBegin) and calls DB::Resume() itself once
// the filesystem has `resume_free_bytes` free, and again whenever the free space grew by that
// much since a failed attempt (or after `retry_after`), so a full disk is retried without
// filling the log.
//
// While the DB is in that state nothing else may touch the failed write-ahead log: a manual
// flush or compaction turns the NoSpace error into one Resume() cannot clear ("Seen error"),
// and a WAL sync aborts in an assertion of Debian's RocksDB build. Callers check writable()
// first (the store's retention and shutdown, key rotation).
//
// RocksDB 7.8's Resume() gives the write-ahead log a fresh writer only by switching a memtable
// that holds something: when every active memtable is empty (the failed write was the first
// since the last flush: after a start, after a resume) it keeps the failed log writer and the
// next write aborts in that same assertion. So the watch keeps a guard entry in the default
// column family's memtable: written at open (WriteGuard), and again whenever that memtable is
// sealed (a flush, the write-ahead-log cap, a resume). The one window left, a write failing
// between a seal and the guard's rewrite with every memtable empty, is detected: the state
// then says a restart is needed, and writes stay refused until it.

#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rocksdb/db.h"
#include "rocksdb/listener.h"

namespace spanvault {

struct DiskSpaceWatchOptions {
  // The directory whose filesystem fills up (the store's path). Required.
  std::string path;
  // Free bytes on that filesystem before Resume() is tried. Default: 8 MiB.
  uint64_t resume_free_bytes = 8 << 20;
  // Time between looks at the free space while the disk is full. Default: 250 ms.
  absl::Duration poll = absl::Milliseconds(250);
  // A failed Resume() is tried again after this long even if the free space did not grow.
  // Default: 1 minute.
  absl::Duration retry_after = absl::Minutes(1);
  // Tests: the free bytes of `path`'s filesystem. Null: statvfs.
  std::function<uint64_t()> free_bytes;
};

// Thread-safe. Register it in DBOptions::listeners before DB::Open.
class DiskSpaceWatch final : public rocksdb::EventListener {
 public:
  explicit DiskSpaceWatch(DiskSpaceWatchOptions options);
  ~DiskSpaceWatch() override { Shutdown(); }

  // Starts the thread that resumes `db` after a full disk and rewrites the guard. `db` must
  // stay open until Shutdown() returns.
  void Start(rocksdb::DB& db) ABSL_LOCKS_EXCLUDED(mu_);
  // Stops that thread (a Resume() in progress finishes first). Idempotent.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

  // OK while RocksDB accepts writes. kUnavailable while it refuses them: "disk full: ..."
  // with the free bytes, or "storage write error: ..." for another background error.
  absl::Status State() ABSL_LOCKS_EXCLUDED(mu_);
  bool writable() ABSL_LOCKS_EXCLUDED(mu_);
  bool disk_full() ABSL_LOCKS_EXCLUDED(mu_);
  // Puts the guard entry in the default column family's memtable (see the file comment). The
  // resuming thread rewrites it after every seal of that memtable; OpenRocksDb writes the first.
  rocksdb::Status WriteGuard(rocksdb::DB& db) ABSL_LOCKS_EXCLUDED(mu_);
  // The free bytes of the filesystem now.
  uint64_t FreeBytes() const;
  // The resuming thread's step: while the disk is full, one look at the free space and, when
  // worth trying (see the file comment), DB::Resume(). True once `db` writes again.
  bool ResumeIfSpaceFreed(rocksdb::DB& db) ABSL_LOCKS_EXCLUDED(mu_);

  // rocksdb::EventListener; called with RocksDB's mutex held, so they only record.
  const char* Name() const override { return "DiskSpaceWatch"; }
  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override
      ABSL_LOCKS_EXCLUDED(mu_);
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason reason, rocksdb::Status error,
                            bool* auto_recovery) override;
  void OnErrorRecoveryEnd(const rocksdb::BackgroundErrorRecoveryInfo& info) override
      ABSL_LOCKS_EXCLUDED(mu_);
  void OnMemTableSealed(const rocksdb::MemTableInfo& info) override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Loop(rocksdb::DB* db) ABSL_LOCKS_EXCLUDED(mu_);
  void ClearLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const DiskSpaceWatchOptions options_;
  std::thread thread_;

  absl::Mutex mu_;
  bool full_ ABSL_GUARDED_BY(mu_) = false;
  // Another background error (not NoSpace); RocksDB recovers from it or a restart does.
  std::string other_error_ ABSL_GUARDED_BY(mu_);
  absl::Time full_since_ ABSL_GUARDED_BY(mu_);
  uint64_t free_at_failure_ ABSL_GUARDED_BY(mu_) = 0;  // of the last failed Resume()
  absl::Time failed_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool tried_ ABSL_GUARDED_BY(mu_) = false;
  // A write-ahead-log write failed and no memtable was switched since (a switch in Resume()
  // gives the log writer a fresh start).
  bool wal_failed_ ABSL_GUARDED_BY(mu_) = false;
  // The default column family's memtable was sealed since the guard was last written.
  bool guard_needed_ ABSL_GUARDED_BY(mu_) = false;
  // Space is free again but Resume() is unsafe (see the file comment): only a restart helps.
  bool restart_needed_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace spanvault
