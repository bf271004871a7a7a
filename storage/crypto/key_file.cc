#include "storage/crypto/key_file.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdint>
#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "storage/crypto/store_encryption.h"

namespace spanvault {
namespace {

constexpr size_t kMaxKeyFileBytes = 1 << 20;

// Decodes canonical, padded standard base64 of exactly one key. Never echoes the input.
absl::StatusOr<std::string> DecodeKey(std::string_view text, const std::string& where) {
  std::string bytes;
  std::string canonical;
  bool ok = absl::Base64Unescape(absl::string_view(text.data(), text.size()), &bytes);
  if (ok) {
    canonical = absl::Base64Escape(bytes);
    ok = SecretEquals(canonical, text);
  }
  Wipe(canonical);
  if (!ok) {
    Wipe(bytes);
    return absl::InvalidArgumentError(absl::StrCat(where, ": the key is not valid base64"));
  }
  if (bytes.size() != KeyRing::kKeyBytes) {
    size_t n = bytes.size();
    Wipe(bytes);
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": the key is ", n, " bytes, want ", KeyRing::kKeyBytes));
  }
  return bytes;
}

absl::StatusOr<uint32_t> ParseKeyId(std::string_view text, const std::string& where) {
  uint32_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": the key id must be a number from 1 to 4294967295"));
  }
  return id;
}

// Parses one "<id> <base64>" line into `keys`.
absl::Status ParseKeyLine(std::string_view line, const std::string& where,
                          std::vector<KeyRing::Key>* keys) {
  std::vector<absl::string_view> words = absl::StrSplit(absl::string_view(line.data(), line.size()),
                                                        absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (words.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": expected \"<id> <base64 key>\", found ", words.size(), " words"));
  }
  absl::StatusOr<uint32_t> id =
      ParseKeyId(std::string_view(words[0].data(), words[0].size()), where);
  if (!id.ok()) return id.status();
  absl::StatusOr<std::string> bytes =
      DecodeKey(std::string_view(words[1].data(), words[1].size()), where);
  if (!bytes.ok()) return bytes.status();
  keys->push_back({*id, std::move(*bytes)});
  return absl::OkStatus();
}

void WipeKeys(std::vector<KeyRing::Key>& keys) {
  for (KeyRing::Key& key : keys) Wipe(key.bytes);
}

std::string ModeString(mode_t mode) { return absl::StrFormat("%04o", mode & 07777); }

// Reads all of `fd` (at most kMaxKeyFileBytes).
absl::StatusOr<std::string> ReadAll(int fd, const std::string& path) {
  std::string text;
  char buffer[4096];
  text.reserve(kMaxKeyFileBytes + sizeof(buffer));  // no reallocation leaves key text behind
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Wipe(text);
      return absl::UnavailableError(
          absl::StrCat("cannot read key file ", path, ": ", std::strerror(errno)));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxKeyFileBytes) {
      Wipe(text);
      return absl::InvalidArgumentError(absl::StrCat("key file ", path, " is over 1 MiB"));
    }
  }
  OPENSSL_cleanse(buffer, sizeof(buffer));
  return text;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Creates `path` (which must not exist) with mode 0600 holding `text`, synced; removes it
// again on failure.
absl::Status WriteSecretFile(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot create key file ", path, ": ", std::strerror(errno)));
  }
  // The umask may have taken bits away; the owner needs exactly read and write.
  bool ok = fchmod(fd, 0600) == 0 && WriteAll(fd, text) && fsync(fd) == 0;
  int error = errno;
  if (close(fd) != 0 && ok) {
    ok = false;
    error = errno;
  }
  if (!ok) {
    unlink(path.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot write key file ", path, ": ", std::strerror(error)));
  }
  return absl::OkStatus();
}

void SyncDirectory(const std::string& dir) {
  int fd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  static_cast<void>(fsync(fd));  // best effort: the file itself is synced already
  close(fd);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const KeyRing>> ParseKeyFile(std::string_view text,
                                                            std::string source) {
  std::vector<KeyRing::Key> keys;
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++line_number;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line[0] == '#') continue;
    absl::Status s = ParseKeyLine(std::string_view(line.data(), line.size()),
                                  absl::StrCat(source, " line ", line_number), &keys);
    if (!s.ok()) {
      WipeKeys(keys);
      return s;
    }
  }
  return KeyRing::Create(std::move(keys), std::move(source));
}

absl::StatusOr<std::shared_ptr<const KeyRing>> ParseKeyEnv(std::string_view value) {
  absl::string_view trimmed =
      absl::StripAsciiWhitespace(absl::string_view(value.data(), value.size()));
  if (trimmed.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(kKeyEnvVariable, " is set but empty"));
  }
  if (trimmed.find_first_of(" \t\r\n") != absl::string_view::npos) {
    return ParseKeyFile(value, kKeyEnvVariable);
  }
  absl::StatusOr<std::string> bytes =
      DecodeKey(std::string_view(trimmed.data(), trimmed.size()), kKeyEnvVariable);
  if (!bytes.ok()) return bytes.status();
  std::vector<KeyRing::Key> keys;
  keys.push_back({1, std::move(*bytes)});
  return KeyRing::Create(std::move(keys), kKeyEnvVariable);
}

absl::StatusOr<std::shared_ptr<const KeyRing>> LoadKeyFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::string message = absl::StrCat("cannot open key file ", path, ": ", std::strerror(errno));
    if (errno == ENOENT) return absl::NotFoundError(message);
    return absl::FailedPreconditionError(message);
  }
  struct stat st;
  absl::Status problem;
  if (fstat(fd, &st) != 0) {
    problem = absl::UnavailableError(absl::StrCat("cannot stat key file ", path));
  } else if (!S_ISREG(st.st_mode)) {
    problem = absl::FailedPreconditionError(absl::StrCat("key file ", path, " is not a file"));
  } else if ((st.st_mode & 077) != 0) {
    problem = absl::FailedPreconditionError(absl::StrCat(
        "key file ", path, " has mode ", ModeString(st.st_mode),
        ": it must not be readable or writable by group or others (chmod 600 ", path, ")"));
  }
  absl::StatusOr<std::string> text = problem.ok() ? ReadAll(fd, path) : problem;
  close(fd);
  if (!text.ok()) return text.status();
  auto keys = ParseKeyFile(*text, absl::StrCat("key file ", path));
  Wipe(*text);
  return keys;
}

std::string FormatKeyFile(const std::vector<KeyRing::Key>& keys) {
  std::string out =
      "# spanvault encryption keys: \"<id> <base64 of 32 bytes>\" per line.\n"
      "# The highest id encrypts new files; every key here can decrypt. Keep this file secret\n"
      "# (mode 0600) and backed up: without it the data cannot be read.\n";
  for (const KeyRing::Key& key : keys) {
    std::string encoded = absl::Base64Escape(key.bytes);
    absl::StrAppend(&out, key.id, " ", encoded, "\n");
    Wipe(encoded);
  }
  return out;
}

absl::Status WriteNewKeyFile(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("key file ", path, " exists already; refusing to overwrite a key"));
  }
  absl::StatusOr<std::string> bytes = RandomBytes(KeyRing::kKeyBytes);
  if (!bytes.ok()) return bytes.status();
  std::vector<KeyRing::Key> keys;
  keys.push_back({1, std::move(*bytes)});
  std::string text = FormatKeyFile(keys);
  WipeKeys(keys);
  // Written in full under a temporary name, then linked to `path`, which fails if `path`
  // appeared meanwhile: the key file is never seen half written, and never overwritten.
  std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  absl::Status written = WriteSecretFile(tmp, text);
  Wipe(text);
  if (!written.ok()) return written;
  int linked = link(tmp.c_str(), path.c_str());
  int error = errno;
  unlink(tmp.c_str());
  if (linked != 0 && error == EEXIST) {
    return absl::AlreadyExistsError(
        absl::StrCat("key file ", path, " exists already; refusing to overwrite a key"));
  }
  if (linked != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot create key file ", path, ": ", std::strerror(error)));
  }
  SyncDirectory(std::filesystem::path(path).parent_path().string());
  return absl::OkStatus();
}

std::string DefaultKeyFile(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(data_dir, ec);
  if (ec) dir = data_dir;
  dir = dir.lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();  // "/x/data/" -> "/x/data"
  return (dir.parent_path() / kDefaultKeyFileName).string();
}

namespace {

// Loads the default key file, creating it first when allowed.
absl::StatusOr<LoadedKeys> LoadDefaultKey(const KeySources& sources) {
  LoadedKeys out;
  const std::string& path = sources.default_key_file;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    bool has_database = std::filesystem::exists(sources.store_path + "/CURRENT", ec);
    if (has_database) {
      absl::Status mode = CheckStoreEncryptionMode(sources.store_path, /*encrypted=*/true);
      if (!mode.ok()) return mode;
      return absl::FailedPreconditionError(absl::StrCat(
          "the data in ", sources.store_path, " is encrypted, but no key is configured and the ",
          "default key file ", path, " does not exist; give the key with --encryption-key-file ",
          "or ", kKeyEnvVariable));
    }
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    absl::Status s = WriteNewKeyFile(path);
    if (s.ok()) {
      out.created_default = true;
    } else if (!absl::IsAlreadyExists(s)) {  // another process created it first: use that one
      return s;
    }
  }
  auto keys = LoadKeyFile(path);
  if (!keys.ok()) return keys.status();
  out.keys = std::move(*keys);
  out.key_file = path;
  return out;
}

// Every key of `ring`, ascending (copies of the bytes: wipe them with WipeKeys).
std::vector<KeyRing::Key> KeysOf(const KeyRing& ring) {
  std::vector<KeyRing::Key> out;
  for (uint32_t id : ring.ids()) out.push_back({id, *ring.Find(id)});
  return out;
}

// Replaces the file at `path` (its target, for a symbolic link) with `keys`, atomically.
absl::Status ReplaceKeyFile(const std::string& path, const std::vector<KeyRing::Key>& keys) {
  std::error_code ec;
  std::filesystem::path target = std::filesystem::canonical(path, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot resolve key file ", path, ": ", ec.message()));
  }
  std::string tmp = absl::StrCat(target.string(), ".tmp.", getpid());
  unlink(tmp.c_str());  // left over from a crash of this same process id
  std::string text = FormatKeyFile(keys);
  absl::Status written = WriteSecretFile(tmp, text);
  Wipe(text);
  if (!written.ok()) return written;
  if (rename(tmp.c_str(), target.c_str()) != 0) {
    int error = errno;
    unlink(tmp.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot replace key file ", path, ": ", std::strerror(error)));
  }
  SyncDirectory(target.parent_path().string());
  return absl::OkStatus();
}

// Loads the key file at `path` and runs `check` on it.
absl::StatusOr<std::shared_ptr<const KeyRing>> LoadChecked(const std::string& path,
                                                           const KeyFileCheck& check) {
  auto ring = LoadKeyFile(path);
  if (!ring.ok()) return ring.status();
  if (check) {
    absl::Status s = check(**ring);
    if (!s.ok()) return s;
  }
  return ring;
}

}  // namespace

absl::StatusOr<KeyRing::Key> AddKeyToFile(const std::string& path, const KeyFileCheck& check) {
  auto ring = LoadChecked(path, check);
  if (!ring.ok()) return ring.status();
  uint32_t newest = (*ring)->newest_id();
  if (newest == UINT32_MAX) {
    return absl::OutOfRangeError(
        absl::StrCat("key file ", path, " already holds the highest key id ", newest));
  }
  absl::StatusOr<std::string> bytes = RandomBytes(KeyRing::kKeyBytes);
  if (!bytes.ok()) return bytes.status();
  KeyRing::Key added{newest + 1, std::move(*bytes)};
  std::vector<KeyRing::Key> keys = KeysOf(**ring);
  keys.push_back({added.id, added.bytes});
  absl::Status s = ReplaceKeyFile(path, keys);
  WipeKeys(keys);
  if (!s.ok()) {
    Wipe(added.bytes);
    return s;
  }
  return added;
}

absl::Status RemoveKeyFromFile(const std::string& path, uint32_t id, const KeyFileCheck& check) {
  auto ring = LoadChecked(path, check);
  if (!ring.ok()) return ring.status();
  if ((*ring)->Find(id) == nullptr) {
    return absl::NotFoundError(absl::StrCat("key file ", path, " holds no key with id ", id));
  }
  if ((*ring)->newest_id() == id) {
    return absl::FailedPreconditionError(
        absl::StrCat("key ", id, " is the newest key in ", path,
                     ": it encrypts new files and cannot be retired"));
  }
  std::vector<KeyRing::Key> keys = KeysOf(**ring);
  keys.erase(std::remove_if(keys.begin(), keys.end(),
                            [id](KeyRing::Key& key) {
                              if (key.id != id) return false;
                              Wipe(key.bytes);
                              return true;
                            }),
             keys.end());
  absl::Status s = ReplaceKeyFile(path, keys);
  WipeKeys(keys);
  return s;
}

absl::StatusOr<LoadedKeys> LoadKeys(const KeySources& sources) {
  if (!sources.key_file.empty() && sources.env_value.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("both --encryption-key-file and ",
                                                   kKeyEnvVariable, " are set; give only one"));
  }
  LoadedKeys out;
  if (!sources.key_file.empty()) {
    auto keys = LoadKeyFile(sources.key_file);
    if (!keys.ok()) return keys.status();
    out.keys = std::move(*keys);
    out.key_file = sources.key_file;
    return out;
  }
  if (sources.env_value.has_value()) {
    auto keys = ParseKeyEnv(*sources.env_value);
    if (!keys.ok()) return keys.status();
    out.keys = std::move(*keys);
    return out;
  }
  return LoadDefaultKey(sources);
}

}  // namespace spanvault
