#pragma once

// EncryptionKeyAdmin: rotating the keys a store encrypts its files with (the admin API's
// `keys rotate`, `keys status` and `keys retire`; procedure in docs/encryption.md).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace spanvault {

// What one key still protects.
struct KeyUsage {
  uint32_t key_id = 0;
  bool newest = false;  // encrypts every new file
  int64_t files = 0;
  int64_t bytes = 0;
  // Of `files`: MANIFEST and CURRENT, which the database writes anew (under the
  // newest key) only when it opens, i.e. at the next start.
  int64_t files_rewritten_at_restart = 0;
};

struct KeyStatusReport {
  std::vector<KeyUsage> keys;  // every key held, ascending id
  uint32_t newest_key_id = 0;
  // Where the keys come from ("key file /etc/spanvault/keys", "SPANVAULT_ENCRYPTION_KEY").
  std::string key_source;
  // Whether `keys rotate` can add a key (only to a key file).
  bool can_add_keys = false;
  // A background rewrite of the files under older keys is running.
  bool rewrite_running = false;
  // Why the last rewrite failed; empty when it succeeded or none ran.
  std::string last_rewrite_error;
};

struct RotateResult {
  uint32_t newest_key_id = 0;
  bool key_added = false;  // false for a rewrite only
};

// Thread-safe.
class EncryptionKeyAdmin {
 public:
  virtual ~EncryptionKeyAdmin() = default;

  // Adds a new random key (id one above the highest) to the key file and makes it the key of
  // every new file, then starts rewriting, in the background, every file still under an older
  // key; returns once the key is in use. With `rewrite_only`, adds no key and only starts the
  // rewrite. kFailedPrecondition, saying what to do instead, when the keys do not come from a
  // key file (unless `rewrite_only`) or the key file no longer holds the keys in use; the
  // errors of the key file change (storage/crypto/key_file.h), which leave everything as it was.
  virtual absl::StatusOr<RotateResult> Rotate(bool rewrite_only) = 0;

  // What every key protects now. kUnavailable when the store directory cannot be read.
  virtual absl::StatusOr<KeyStatusReport> Status() = 0;

  // Removes key `id` from the key file and from memory. kNotFound for an unknown id;
  // kFailedPrecondition, changing nothing, when it is the newest key, when it still protects
  // a file (the message says how many and whether a restart will rewrite them), or when the
  // keys do not come from a key file (the message says how to retire it).
  virtual absl::Status Retire(uint32_t id) = 0;
};

}  // namespace spanvault
