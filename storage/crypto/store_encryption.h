#pragma once

// Opening a RocksDB directory encrypted, or (for tests only) in plaintext, and never the wrong
// way round.
//
// Each RocksDB directory holds a plaintext marker file, ENCRYPTION, saying how its files are
// encrypted and under which key ids (never a key):
//
//   # spanvault: how the files in this directory are encrypted. Holds no key material.
//   format aes-256-ctr-v1        (or "format none": written with encryption switched off)
//   key_ids 1 2
//
// Include only from storage/ (it brings RocksDB headers).

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "rocksdb/env.h"
#include "storage/crypto/key_ring.h"

namespace spanvault {

inline constexpr char kEncryptionMarkerFile[] = "ENCRYPTION";

class AesCtrEncryptionProvider;

// The Env to open a checked directory with.
struct StoreEnv {
  // The encrypted Env; null in plaintext mode (then use rocksdb::Env::Default()). Must
  // outlive the DB.
  std::unique_ptr<rocksdb::Env> env;
  // The provider inside `env` (null in plaintext mode), for key rotation.
  std::shared_ptr<AesCtrEncryptionProvider> provider;
  // What the marker file must say once the DB is open (WriteEncryptionMarker).
  std::string marker;
};

// Checks the RocksDB directory `dir` before RocksDB touches it, and builds its Env. `keys`
// null means plaintext (testing only). Reads only: a failed check changes nothing on disk.
// kFailedPrecondition, with a message saying what to do, when
//   - the directory is encrypted and `keys` is null, or holds plaintext and `keys` is not;
//   - a file is encrypted with a key id `keys` does not hold, or fails the key check (the
//     wrong key for that id);
//   - a file is in a newer encryption format, or the marker names an unknown format.
// kDataLoss when a file is shorter than its encryption header; kUnavailable on I/O errors.
absl::StatusOr<StoreEnv> PrepareStoreEnv(const std::string& dir,
                                         const std::shared_ptr<const KeyRing>& keys);

// Checks only whether the database in `dir` (if any) was written encrypted, or in plaintext
// when `encrypted` is false, with the messages of PrepareStoreEnv. Reads only.
absl::Status CheckStoreEncryptionMode(const std::string& dir, bool encrypted);

// The marker text of an encrypted directory whose files use `key_ids`.
std::string EncryptedMarkerText(const std::set<uint32_t>& key_ids);

// Writes `marker` to the directory's marker file (atomically: temporary file, fsync, rename)
// unless it already says exactly that. kUnavailable when it cannot be written.
absl::Status WriteEncryptionMarker(const std::string& dir, const std::string& marker);

}  // namespace spanvault
