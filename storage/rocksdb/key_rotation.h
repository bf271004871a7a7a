#pragma once

// RocksDbKeyRotation: key rotation for the encrypted RocksDB store (EncryptionKeyAdmin).
//
// Rotating adds a key to the key file and to the running encryption provider, so every new
// file is written under it, then a background thread rewrites what is still under older keys:
// it flushes every column family after a one-key write to the default column family (so the
// flush always starts a new write-ahead log, and the logs under the old key, even those left
// from an earlier run, become obsolete and are deleted), rewrites the OPTIONS files, compacts
// every column family with BottommostLevelCompaction::kForce (a plain CompactRange moves files
// without rewriting them) and copies IDENTITY. RocksDB writes the MANIFEST and CURRENT anew only when it opens the
// database, so those two need a restart; `keys status` counts them separately and `keys
// retire` says so.

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "storage/encryption_key_admin.h"
#include "storage/rocksdb/db.h"

namespace spanvault {

class AesCtrEncryptionProvider;
class KeyRing;

struct KeyRotationOptions {
  // The RocksDB directory.
  std::string store_path;
  // The key file the keys were loaded from; empty when they came from elsewhere
  // (SPANVAULT_ENCRYPTION_KEY), which makes rotation refuse to add keys.
  std::string key_file;
  // Where the keys came from, for messages (KeyRing::source()).
  std::string key_source;
};

// Thread-safe. Start() starts the rewriter thread; Shutdown() stops it (cancelling a running
// compaction) and must be called before the database closes.
class RocksDbKeyRotation final : public EncryptionKeyAdmin {
 public:
  // `db` (opened encrypted, db.encryption set) must outlive this object.
  RocksDbKeyRotation(RocksDb& db, KeyRotationOptions options);
  ~RocksDbKeyRotation() override;

  void Start();
  // Idempotent.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

  absl::StatusOr<RotateResult> Rotate(bool rewrite_only) override ABSL_LOCKS_EXCLUDED(admin_mu_);
  absl::StatusOr<KeyStatusReport> Status() override ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status Retire(uint32_t id) override ABSL_LOCKS_EXCLUDED(admin_mu_);

 private:
  absl::StatusOr<uint32_t> AddKey() ABSL_EXCLUSIVE_LOCKS_REQUIRED(admin_mu_);
  // Fails unless the key file holds every key in use, with the same bytes.
  absl::Status CheckKeyFile(const KeyRing& in_file) const;
  absl::Status CheckRetirable(uint32_t id) const;
  // Rewrites the ENCRYPTION marker's key ids: those protecting a file, and the newest.
  absl::Status UpdateMarker() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(admin_mu_);
  void RequestRewrite() ABSL_LOCKS_EXCLUDED(mu_);
  void RewriterLoop() ABSL_LOCKS_EXCLUDED(mu_);
  // Rewrite passes until no file but MANIFEST and CURRENT is under an older key (none when
  // nothing is; at most kMaxRewritePasses).
  absl::Status Rewrite() ABSL_LOCKS_EXCLUDED(admin_mu_);
  absl::Status RewritePass();
  absl::Status RewriteIdentityFile();
  // Data files (not rewritten only at open) under a key other than the newest.
  absl::StatusOr<int64_t> OldKeyDataFiles() const;

  // Constant after construction.
  RocksDb& db_;
  AesCtrEncryptionProvider& provider_;
  const KeyRotationOptions options_;

  // Serialises Rotate and Retire: the key file, the provider's keys and the marker change
  // together. Held across file I/O, never across a RocksDB call.
  absl::Mutex admin_mu_;

  absl::Mutex mu_;
  std::thread rewriter_ ABSL_GUARDED_BY(mu_);
  bool rewrite_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool rewrite_running_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::string last_rewrite_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace spanvault
