#include "storage/crypto/store_encryption.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "storage/crypto/aes_ctr_provider.h"

namespace spanvault {
namespace {

namespace fs = std::filesystem;

constexpr char kFormatAes[] = "aes-256-ctr-v1";
constexpr char kFormatNone[] = "none";

struct Marker {
  std::string format;
  std::vector<uint32_t> key_ids;
};

// Up to `n` bytes from the start of `path`.
absl::StatusOr<std::string> ReadHead(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::UnavailableError(absl::StrCat("cannot read ", path));
  std::string out(n, '\0');
  in.read(out.data(), static_cast<std::streamsize>(n));
  if (in.bad()) return absl::UnavailableError(absl::StrCat("cannot read ", path));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

absl::StatusOr<std::optional<Marker>> ReadMarker(const std::string& dir) {
  std::string path = absl::StrCat(dir, "/", kEncryptionMarkerFile);
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<Marker>();
  auto text = ReadHead(path, 1 << 16);
  if (!text.ok()) return text.status();
  Marker marker;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (words[0] == "format" && words.size() == 2) {
      marker.format = words[1];
    } else if (words[0] == "key_ids") {
      for (size_t i = 1; i < words.size(); ++i) {
        uint32_t id = 0;
        if (absl::SimpleAtoi(words[i], &id)) marker.key_ids.push_back(id);
      }
    }
  }
  if (marker.format != kFormatAes && marker.format != kFormatNone) {
    return absl::FailedPreconditionError(absl::StrCat(path, " names the encryption format \"",
                                                      marker.format,
                                                      "\", which this build does not know"));
  }
  return std::optional<Marker>(std::move(marker));
}

// kFormatAes, kFormatNone, or "" for a directory without a database: from the marker, else
// from whether CURRENT starts with the encryption magic.
absl::StatusOr<std::string> DirectoryFormat(const std::string& dir) {
  auto marker = ReadMarker(dir);
  if (!marker.ok()) return marker.status();
  if (marker->has_value()) return (*marker)->format;
  std::string current = dir + "/CURRENT";
  std::error_code ec;
  if (!fs::exists(current, ec)) return std::string();
  auto head = ReadHead(current, 8);
  if (!head.ok()) return head.status();
  return std::string(*head == std::string_view(kEncryptionMagic, 8) ? kFormatAes : kFormatNone);
}

absl::Status CheckMode(const std::string& dir, const std::string& format, bool encrypted) {
  if (format == kFormatAes && !encrypted) {
    return absl::FailedPreconditionError(absl::StrCat(
        dir, " is encrypted (", kFormatAes,
        "); it cannot be opened with encryption switched off (--testing-no-encryption)"));
  }
  if (format == kFormatNone && encrypted) {
    return absl::FailedPreconditionError(absl::StrCat(
        dir, " holds a database written without encryption (--testing-no-encryption, or a ",
        "build without encryption at rest); spanvault does not encrypt it in place: start with ",
        "an empty data directory"));
  }
  return absl::OkStatus();
}

// The files RocksDB writes through the encrypted Env. LOCK is empty; the info LOG is not
// written at all (see storage/rocksdb/info_logger.h).
bool IsEncryptedFile(const std::string& name) {
  auto ends_with = [&name](std::string_view suffix) {
    return name.size() > suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return name == "CURRENT" || name == "IDENTITY" || name.rfind("MANIFEST-", 0) == 0 ||
         name.rfind("OPTIONS-", 0) == 0 || ends_with(".sst") || ends_with(".log") ||
         ends_with(".blob") || ends_with(".dbtmp");
}

// What the header check found across the directory.
struct Scan {
  std::set<uint32_t> key_ids;      // of files that pass
  std::set<uint32_t> unknown_ids;  // not in the ring
  int wrong_key_files = 0;
  uint32_t wrong_key_id = 0;
  std::string first_problem;  // DescribePrefixCheck of the first failing file
  PrefixCheck worst = PrefixCheck::kOk;
};

absl::StatusOr<Scan> ScanFiles(const std::string& dir, const AesCtrEncryptionProvider& provider) {
  Scan scan;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_regular_file(ec) || !IsEncryptedFile(name) || entry.file_size(ec) == 0) {
      continue;
    }
    auto head = ReadHead(entry.path().string(), kEncryptionHeaderBytes);
    if (!head.ok()) return head.status();
    uint32_t key_id = 0;
    PrefixCheck check = provider.CheckPrefix(*head, &key_id);
    if (check == PrefixCheck::kOk) {
      scan.key_ids.insert(key_id);
      continue;
    }
    if (check == PrefixCheck::kUnknownKey) scan.unknown_ids.insert(key_id);
    if (check == PrefixCheck::kWrongKey) {
      ++scan.wrong_key_files;
      scan.wrong_key_id = key_id;
    }
    if (scan.first_problem.empty()) scan.first_problem = DescribePrefixCheck(check, key_id, name);
    if (scan.worst == PrefixCheck::kOk || check == PrefixCheck::kTruncated) scan.worst = check;
  }
  if (ec) return absl::UnavailableError(absl::StrCat("cannot list ", dir, ": ", ec.message()));
  return scan;
}

std::string Ids(const std::set<uint32_t>& ids) { return absl::StrJoin(ids, ", "); }

absl::Status ScanError(const std::string& dir, const Scan& scan, const KeyRing& keys) {
  if (scan.worst == PrefixCheck::kTruncated) {
    return absl::DataLossError(absl::StrCat("in ", dir, ": ", scan.first_problem));
  }
  if (!scan.unknown_ids.empty()) {
    std::vector<uint32_t> held = keys.ids();
    return absl::FailedPreconditionError(absl::StrCat(
        "the files in ", dir, " are encrypted with key id ", Ids(scan.unknown_ids), ", which ",
        keys.source(), " does not hold (it holds key id ", absl::StrJoin(held, ", "), ")"));
  }
  if (scan.wrong_key_files > 0 && scan.key_ids.count(scan.wrong_key_id) > 0) {
    // Other files under the same key id pass: the key is right, these files are damaged.
    return absl::DataLossError(absl::StrCat("in ", dir, ": ", scan.wrong_key_files,
                                            " files fail the key check although others under ",
                                            "the same key pass, e.g. ", scan.first_problem));
  }
  if (scan.wrong_key_files > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("wrong encryption key: key id ", scan.wrong_key_id, " from ", keys.source(),
                     " is not the key the files in ", dir, " were written with (",
                     scan.wrong_key_files, " files fail the key check); start with the right key"));
  }
  return absl::FailedPreconditionError(absl::StrCat("in ", dir, ": ", scan.first_problem));
}

std::string MarkerText(const std::string& format, const std::set<uint32_t>& key_ids) {
  std::string text = absl::StrCat(
      "# spanvault: how the files in this directory are encrypted. Holds no key material.\n",
      "format ", format, "\n");
  if (!key_ids.empty()) absl::StrAppend(&text, "key_ids ", absl::StrJoin(key_ids, " "), "\n");
  return text;
}

absl::StatusOr<StoreEnv> EncryptedEnv(const std::string& dir, const KeyRing& keys) {
  auto provider = std::make_shared<AesCtrEncryptionProvider>(keys);
  auto scan = ScanFiles(dir, *provider);
  if (!scan.ok()) return scan.status();
  if (scan->worst != PrefixCheck::kOk) return ScanError(dir, *scan, keys);
  StoreEnv out;
  std::shared_ptr<rocksdb::FileSystem> fs =
      rocksdb::NewEncryptedFS(rocksdb::Env::Default()->GetFileSystem(), provider);
  if (fs == nullptr) return absl::InternalError("cannot set up RocksDB's encrypted file system");
  out.env = rocksdb::NewCompositeEnv(fs);
  std::set<uint32_t> ids = scan->key_ids;
  ids.insert(keys.newest_id());
  out.marker = MarkerText(kFormatAes, ids);
  out.provider = std::move(provider);
  return out;
}

// Creates or truncates `path`, writes `data` and fsyncs it.
absl::Status WriteSynced(const std::string& path, const std::string& data) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  bool ok =
      write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) && fsync(fd) == 0;
  int error = errno;
  if (close(fd) != 0 && ok) {
    ok = false;
    error = errno;
  }
  if (!ok) {
    return absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", std::strerror(error)));
  }
  return absl::OkStatus();
}

}  // namespace

std::string EncryptedMarkerText(const std::set<uint32_t>& key_ids) {
  return MarkerText(kFormatAes, key_ids);
}

absl::Status CheckStoreEncryptionMode(const std::string& dir, bool encrypted) {
  auto format = DirectoryFormat(dir);
  if (!format.ok()) return format.status();
  return CheckMode(dir, *format, encrypted);
}

absl::StatusOr<StoreEnv> PrepareStoreEnv(const std::string& dir,
                                         const std::shared_ptr<const KeyRing>& keys) {
  absl::Status mode = CheckStoreEncryptionMode(dir, keys != nullptr);
  if (!mode.ok()) return mode;
  if (keys != nullptr) return EncryptedEnv(dir, *keys);
  StoreEnv out;
  out.marker = MarkerText(kFormatNone, {});
  return out;
}

absl::Status WriteEncryptionMarker(const std::string& dir, const std::string& marker) {
  std::string path = absl::StrCat(dir, "/", kEncryptionMarkerFile);
  auto existing = ReadHead(path, 1 << 16);
  if (existing.ok() && *existing == marker) return absl::OkStatus();
  std::string tmp = path + ".tmp";
  absl::Status s = WriteSynced(tmp, marker);
  if (s.ok() && rename(tmp.c_str(), path.c_str()) != 0) {
    s = absl::UnavailableError(absl::StrCat("cannot rename ", tmp, ": ", std::strerror(errno)));
  }
  if (!s.ok()) {
    unlink(tmp.c_str());
    return s;
  }
  int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    static_cast<void>(fsync(dir_fd));  // best effort: the marker is checked at every open
    close(dir_fd);
  }
  return absl::OkStatus();
}

}  // namespace spanvault
