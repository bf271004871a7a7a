#include "storage/rocksdb/key_rotation.h"

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"
#include "storage/crypto/aes_ctr_provider.h"
#include "storage/crypto/key_file.h"
#include "storage/crypto/key_inventory.h"
#include "storage/crypto/key_ring.h"
#include "storage/crypto/store_encryption.h"
#include "storage/rocksdb/rocks_status.h"

namespace spanvault {
namespace {

// Rewrite passes before giving up on files that stay under an older key (a file an open
// iterator still pins, or one a concurrent compaction moved while the pass ran).
constexpr int kMaxRewritePasses = 3;

// In the default column family (beside the format version): the key id of the last rewrite.
constexpr char kRewriteKey[] = "spanvault.key_rewrite";

std::vector<rocksdb::ColumnFamilyHandle*> Handles(RocksDb& db) {
  std::vector<rocksdb::ColumnFamilyHandle*> out;
  for (const auto& handle : db.handles) out.push_back(handle.get());
  return out;
}

std::string EnvRotationHelp(uint32_t next_id) {
  return absl::StrCat(
      "the keys come from ", kKeyEnvVariable,
      ", which spanvault cannot change. To rotate: create a key (spanvault keygen --out new.key), "
      "add its line with id ",
      next_id,
      " to the variable's value in key-file form (one \"<id> <base64>\" line per key, keeping "
      "the current ones), restart spanvault, then run `spanvaultctl keys rotate --rewrite-only`");
}

}  // namespace

RocksDbKeyRotation::RocksDbKeyRotation(RocksDb& db, KeyRotationOptions options)
    : db_(db), provider_(*db.encryption), options_(std::move(options)) {}

RocksDbKeyRotation::~RocksDbKeyRotation() { Shutdown(); }

void RocksDbKeyRotation::Start() {
  absl::MutexLock lock(&mu_);
  if (!rewriter_.joinable() && !stopping_) rewriter_ = std::thread([this] { RewriterLoop(); });
}

void RocksDbKeyRotation::Shutdown() {
  std::thread rewriter;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    rewriter = std::move(rewriter_);
  }
  // Aborts a running CompactRange (it returns Incomplete) so shutdown does not wait for it.
  db_.db->DisableManualCompaction();
  if (rewriter.joinable()) rewriter.join();
}

absl::Status RocksDbKeyRotation::CheckKeyFile(const KeyRing& in_file) const {
  for (uint32_t id : provider_.ids()) {
    const std::string* bytes = in_file.Find(id);
    if (bytes == nullptr || !provider_.HoldsKey(id, *bytes)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "key file ", options_.key_file, " no longer holds key ", id,
          " as spanvault loaded it (the file was changed since spanvault started); restore it, "
          "or restart spanvault with the file as it is now, before changing keys"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> RocksDbKeyRotation::AddKey() {
  auto added = AddKeyToFile(options_.key_file,
                            [this](const KeyRing& in_file) { return CheckKeyFile(in_file); });
  if (!added.ok()) return added.status();
  // The key is durable in the key file before any file is written under it.
  absl::Status s = provider_.AddKey(*added);
  uint32_t id = added->id;
  Wipe(added->bytes);
  if (!s.ok()) {
    return absl::InternalError(absl::StrCat("key ", id, " was added to ", options_.key_file,
                                            " but cannot be used: ", s.message()));
  }
  spdlog::info("encryption key {} added to {}; new files are encrypted with it", id,
               options_.key_file);
  absl::Status marker = UpdateMarker();
  if (!marker.ok())
    spdlog::warn("key rotation: {}", std::string(marker.message()));  // redone at every open
  return id;
}

absl::StatusOr<RotateResult> RocksDbKeyRotation::Rotate(bool rewrite_only) {
  RotateResult result;
  if (!rewrite_only) {
    if (options_.key_file.empty()) {
      return absl::FailedPreconditionError(EnvRotationHelp(provider_.newest_id() + 1));
    }
    absl::MutexLock admin(&admin_mu_);
    auto id = AddKey();
    if (!id.ok()) return id.status();
    result.key_added = true;
  }
  result.newest_key_id = provider_.newest_id();
  RequestRewrite();
  return result;
}

absl::StatusOr<KeyStatusReport> RocksDbKeyRotation::Status() {
  auto counts = CountFilesByKey(options_.store_path);
  if (!counts.ok()) return counts.status();
  KeyStatusReport report;
  report.newest_key_id = provider_.newest_id();
  report.key_source = options_.key_source;
  report.can_add_keys = !options_.key_file.empty();
  std::set<uint32_t> ids;
  for (uint32_t id : provider_.ids()) ids.insert(id);
  for (const auto& [id, files] : *counts) ids.insert(id);
  for (uint32_t id : ids) {
    const KeyFiles& files = (*counts)[id];
    report.keys.push_back(
        {id, id == report.newest_key_id, files.files, files.bytes, files.files_rewritten_at_open});
  }
  absl::MutexLock lock(&mu_);
  report.rewrite_running = rewrite_running_ || rewrite_requested_;
  report.last_rewrite_error = last_rewrite_error_;
  return report;
}

absl::Status RocksDbKeyRotation::CheckRetirable(uint32_t id) const {
  std::vector<uint32_t> held = provider_.ids();
  if (std::find(held.begin(), held.end(), id) == held.end()) {
    return absl::NotFoundError(
        absl::StrCat("there is no key ", id, " (keys in use: ", absl::StrJoin(held, ", "), ")"));
  }
  if (id == provider_.newest_id()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "key ", id, " is the newest key: it encrypts every new file. Run `spanvaultctl keys ",
        "rotate` first, and retire key ", id, " once `spanvaultctl keys status` shows it ",
        "protects no file"));
  }
  auto counts = CountFilesByKey(options_.store_path);
  if (!counts.ok()) return counts.status();
  const KeyFiles& files = (*counts)[id];
  if (files.files == 0) return absl::OkStatus();
  if (files.files == files.files_rewritten_at_open) {
    return absl::FailedPreconditionError(absl::StrCat(
        "key ", id, " still protects ", files.files, " files (MANIFEST, CURRENT), which ",
        "the database writes anew under the newest key only when it opens: restart spanvault, ",
        "then retire key ", id));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "key ", id, " still protects ", files.files, " files (", files.bytes, " bytes); wait for ",
      "the rewrite (`spanvaultctl keys status`), or start one with `spanvaultctl keys rotate ",
      "--rewrite-only`"));
}

absl::Status RocksDbKeyRotation::Retire(uint32_t id) {
  absl::MutexLock admin(&admin_mu_);
  absl::Status s = CheckRetirable(id);
  if (!s.ok()) return s;
  if (options_.key_file.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("key ", id, " protects no file any more, but the keys come from ",
                     kKeyEnvVariable, ", which spanvault cannot change: remove key ", id,
                     "'s line from the variable and restart spanvault"));
  }
  s = RemoveKeyFromFile(options_.key_file, id,
                        [this](const KeyRing& in_file) { return CheckKeyFile(in_file); });
  if (!s.ok()) return s;
  s = provider_.RemoveKey(id);
  if (!s.ok()) return s;
  spdlog::info("encryption key {} retired: removed from {}", id, options_.key_file);
  return UpdateMarker();
}

absl::Status RocksDbKeyRotation::UpdateMarker() const {
  auto counts = CountFilesByKey(options_.store_path);
  if (!counts.ok()) return counts.status();
  std::set<uint32_t> ids = {provider_.newest_id()};
  for (const auto& [id, files] : *counts) ids.insert(id);
  return WriteEncryptionMarker(options_.store_path, EncryptedMarkerText(ids));
}

void RocksDbKeyRotation::RequestRewrite() {
  absl::MutexLock lock(&mu_);
  rewrite_requested_ = true;
}

void RocksDbKeyRotation::RewriterLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](RocksDbKeyRotation* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->rewrite_requested_ || self->stopping_;
          },
          this));
      if (stopping_) return;
      rewrite_requested_ = false;
      rewrite_running_ = true;
    }
    absl::Status s = Rewrite();
    absl::MutexLock lock(&mu_);
    rewrite_running_ = false;
    last_rewrite_error_ = s.ok() ? std::string() : std::string(s.message());
    if (s.ok()) {
      spdlog::info("key rotation: every data file is now under key {}", provider_.newest_id());
    } else if (stopping_) {
      spdlog::info(
          "key rotation: the rewrite stopped with spanvault; after the next start, "
          "`spanvaultctl keys rotate --rewrite-only` finishes it");
    } else {
      spdlog::warn("key rotation: rewriting the files under older keys failed: {}",
                   last_rewrite_error_);
    }
  }
}

absl::Status RocksDbKeyRotation::Rewrite() {
  for (int pass = 0;; ++pass) {
    auto remaining = OldKeyDataFiles();
    if (!remaining.ok()) return remaining.status();
    if (*remaining == 0) {
      absl::MutexLock admin(&admin_mu_);
      return UpdateMarker();
    }
    if (pass == kMaxRewritePasses) {
      return absl::UnavailableError(absl::StrCat(
          "after ", kMaxRewritePasses, " passes ", *remaining, " files are still under an older ",
          "key (an open query may pin them); run `spanvaultctl keys rotate --rewrite-only` ",
          "again later"));
    }
    absl::Status s = RewritePass();
    if (!s.ok()) return s;
  }
}

absl::Status RocksDbKeyRotation::RewritePass() {
  // Its flush and compactions would make a full disk's error one RocksDB cannot resume from.
  if (db_.disk != nullptr && !db_.disk->writable()) return db_.disk->State();
  std::vector<rocksdb::ColumnFamilyHandle*> handles = Handles(db_);
  // A write makes sure the flush below switches to a new write-ahead log (under the newest
  // key) even when every memtable is empty: only a switch releases the older logs.
  rocksdb::Status s =
      db_.db->Put(rocksdb::WriteOptions(), kRewriteKey, std::to_string(provider_.newest_id()));
  if (!s.ok()) return FromRocks(s, "starting the key rewrite");
  rocksdb::FlushOptions flush;
  flush.allow_write_stall = true;
  s = db_.db->Flush(flush, handles);
  if (!s.ok()) return FromRocks(s, "flushing before the key rewrite");
  // Re-enabling file deletions scans the directory for obsolete files, which also finds the
  // write-ahead logs left from an earlier run (RocksDB's own full scan runs every 6 hours).
  s = db_.db->DisableFileDeletions();
  if (s.ok()) s = db_.db->EnableFileDeletions(/*force=*/false);
  if (!s.ok()) return FromRocks(s, "deleting obsolete files before the key rewrite");
  // Each options change writes a new OPTIONS file and RocksDB keeps the newest two, so two
  // changes (there and back; an unchanged value writes nothing) replace both old ones.
  unsigned int period = db_.db->GetDBOptions().stats_dump_period_sec;
  for (unsigned int value : {period + 1, period}) {
    if (s.ok()) s = db_.db->SetDBOptions({{"stats_dump_period_sec", std::to_string(value)}});
  }
  if (!s.ok()) return FromRocks(s, "rewriting the OPTIONS file");
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  compact.exclusive_manual_compaction = false;  // ingest's own compactions go on meanwhile
  for (rocksdb::ColumnFamilyHandle* handle : handles) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return absl::CancelledError("spanvault is shutting down");
    }
    s = db_.db->CompactRange(compact, handle, nullptr, nullptr);
    if (!s.ok()) return FromRocks(s, absl::StrCat("rewriting column family ", handle->GetName()));
  }
  return RewriteIdentityFile();
}

absl::Status RocksDbKeyRotation::RewriteIdentityFile() {
  // RocksDB reads IDENTITY only when it opens the database and never writes it again, so it is
  // copied here, through the encrypted Env, under the newest key (temporary file, rename).
  rocksdb::Env* env = db_.env.get();
  std::string path = options_.store_path + "/IDENTITY";
  std::string tmp = path + ".rekey";
  std::string identity;
  rocksdb::Status s = rocksdb::ReadFileToString(env, path, &identity);
  if (s.IsNotFound()) return absl::OkStatus();
  if (s.ok()) s = rocksdb::WriteStringToFile(env, identity, tmp, /*should_sync=*/true);
  if (s.ok()) s = env->RenameFile(tmp, path);
  std::unique_ptr<rocksdb::Directory> dir;
  if (s.ok()) s = env->NewDirectory(options_.store_path, &dir);
  if (s.ok()) s = dir->Fsync();
  if (!s.ok()) {
    static_cast<void>(env->DeleteFile(tmp));  // best effort; the old IDENTITY is intact
    return FromRocks(s, "rewriting IDENTITY");
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> RocksDbKeyRotation::OldKeyDataFiles() const {
  auto counts = CountFilesByKey(options_.store_path);
  if (!counts.ok()) return counts.status();
  uint32_t newest = provider_.newest_id();
  int64_t files = 0;
  for (const auto& [id, usage] : *counts) {
    if (id != newest) files += usage.files - usage.files_rewritten_at_open;
  }
  return files;
}

}  // namespace spanvault
