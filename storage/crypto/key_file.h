#pragma once

// Key files, the SPANVAULT_ENCRYPTION_KEY variable and the embedded default key.
//
// Key file format (UTF-8 text, one key per line):
//
//   # comment lines start with '#'; blank lines are ignored
//   <id> <key>
//
// <id> is a decimal number from 1 to 4294967295, <key> the standard base64 (with padding) of
// 32 random bytes, e.g. from `spanvault keygen` or `openssl rand -base64 32`. The highest id
// encrypts new files; every key in the file can decrypt. A key file must not be readable or
// writable by group or others (mode 0600 or 0400).
//
// SPANVAULT_ENCRYPTION_KEY holds either one base64 key (it gets id 1) or, when the value has
// more than one word, the text of a key file.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/crypto/key_ring.h"

namespace spanvault {

// The name of the embedded default key file, created beside the data directory.
inline constexpr char kDefaultKeyFileName[] = "spanvault.key";
inline constexpr char kKeyEnvVariable[] = "SPANVAULT_ENCRYPTION_KEY";

// Parses key-file text. `source` names it in messages ("key file /etc/spanvault/key").
// kInvalidArgument naming the line for a malformed line, bad base64, a key that is not 32
// bytes, a repeated id, or no key at all. Messages never quote a key.
absl::StatusOr<std::shared_ptr<const KeyRing>> ParseKeyFile(std::string_view text,
                                                            std::string source);

// Parses the value of SPANVAULT_ENCRYPTION_KEY (see the file comment). kInvalidArgument as for
// ParseKeyFile, and for an empty value.
absl::StatusOr<std::shared_ptr<const KeyRing>> ParseKeyEnv(std::string_view value);

// Reads and parses the key file at `path` (symbolic links are followed). kFailedPrecondition
// when it is not a regular file or group or others may access it (the message names the file
// and its mode); kNotFound when it does not exist; kInvalidArgument as for ParseKeyFile.
absl::StatusOr<std::shared_ptr<const KeyRing>> LoadKeyFile(const std::string& path);

// The key-file text for `keys`, with a comment header.
std::string FormatKeyFile(const std::vector<KeyRing::Key>& keys);

// Creates `path` with mode 0600 holding one new random key with id 1, and syncs it. Never
// overwrites: kAlreadyExists when `path` exists. kUnavailable when it cannot be written (a
// partly written file is removed); kInternal when the random generator fails.
absl::Status WriteNewKeyFile(const std::string& path);

// Checks the keys a key file holds before it is changed; a non-OK status stops the change and
// is returned as is.
using KeyFileCheck = std::function<absl::Status(const KeyRing& keys_in_file)>;

// Key rotation: adds a new random key to the key file at `path` with id one above the highest
// id it holds, and returns that key. The file is rewritten atomically (a 0600 temporary file
// beside it, fsync, rename over it, fsync of the directory; a symbolic link is followed and
// its target replaced), so it is never seen half written nor readable by group or others.
// Comment lines other than the standard header are not kept. The errors of LoadKeyFile and
// `check`; kOutOfRange when the highest id is already 4294967295; kUnavailable when it cannot
// be written (the old file is left as it was); kInternal when the random generator fails.
absl::StatusOr<KeyRing::Key> AddKeyToFile(const std::string& path, const KeyFileCheck& check);

// Key retirement: removes key `id` from the key file at `path`, atomically as AddKeyToFile.
// kNotFound when the file does not hold it; kFailedPrecondition when it is the newest key
// (it encrypts new files); the errors of LoadKeyFile, `check` and the write.
absl::Status RemoveKeyFromFile(const std::string& path, uint32_t id, const KeyFileCheck& check);

// Where the embedded default key lives for `data_dir`: `spanvault.key` in the data
// directory's parent directory (beside it, never inside it).
std::string DefaultKeyFile(const std::string& data_dir);

// Where the store's keys come from.
struct KeySources {
  // --encryption-key-file; empty when not given.
  std::string key_file;
  // The value of SPANVAULT_ENCRYPTION_KEY; nullopt when the variable is not set.
  std::optional<std::string> env_value;
  // The embedded default key file (DefaultKeyFile(data_dir)).
  std::string default_key_file;
  // The RocksDB directory. The default key is created only while it holds no database, so a
  // lost key file is reported instead of silently replaced.
  std::string store_path;
};

struct LoadedKeys {
  std::shared_ptr<const KeyRing> keys;
  // The key file they came from (--encryption-key-file or the default key file); empty when
  // they came from SPANVAULT_ENCRYPTION_KEY.
  std::string key_file;
  // True when this call created the default key file.
  bool created_default = false;
};

// Loads the keys from the key file, else the variable, else the default key file, creating
// that one (mode 0600) when it does not exist and the store holds no database yet.
// kInvalidArgument when both the key file and the variable are given; kFailedPrecondition when
// the store holds a database but no key is configured and the default key file is missing;
// otherwise the errors of LoadKeyFile, ParseKeyEnv and WriteNewKeyFile.
absl::StatusOr<LoadedKeys> LoadKeys(const KeySources& sources);

}  // namespace spanvault
