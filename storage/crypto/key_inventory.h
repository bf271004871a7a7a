#pragma once

// Which encryption key protects which files of a RocksDB directory, read from the files'
// plaintext headers (storage/crypto/aes_ctr_provider.h) without decrypting anything. Key
// rotation uses it to tell when an old key protects nothing any more and can be retired.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace spanvault {

// What one key protects.
struct KeyFiles {
  int64_t files = 0;
  int64_t bytes = 0;  // on disk, headers included
  // Of `files`, those RocksDB rewrites only when it opens the database (RewrittenOnlyAtOpen).
  int64_t files_rewritten_at_open = 0;
};

// Whether RocksDB writes the file called `name` anew only when it opens the database: the
// MANIFEST (appended to while open) and CURRENT (which names it). A rewrite under a new key
// needs a restart for these; SSTs, write-ahead logs, OPTIONS files and IDENTITY are replaced
// while the database runs (storage/rocksdb/key_rotation.h).
bool RewrittenOnlyAtOpen(std::string_view name);

// Counts, per key id, the files of `dir` (not its subdirectories) whose header names that key.
// Reads the first bytes of every regular file through the plain file system; files without a
// spanvault header (LOCK, the ENCRYPTION marker, a file still being created) are skipped, as
// are files deleted while the directory is read. kUnavailable when `dir` cannot be listed.
absl::StatusOr<std::map<uint32_t, KeyFiles>> CountFilesByKey(const std::string& dir);

}  // namespace spanvault
