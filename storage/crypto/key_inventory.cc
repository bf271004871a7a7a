#include "storage/crypto/key_inventory.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "storage/crypto/aes_ctr_provider.h"

namespace spanvault {
namespace {

namespace fs = std::filesystem;

// The header of `path`, or "" when it cannot be read (e.g. deleted meanwhile).
std::string ReadHeader(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::string();
  std::string out(kEncryptionHeaderBytes, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

}  // namespace

bool RewrittenOnlyAtOpen(std::string_view name) {
  return name == "CURRENT" || name.rfind("MANIFEST-", 0) == 0;
}

absl::StatusOr<std::map<uint32_t, KeyFiles>> CountFilesByKey(const std::string& dir) {
  std::map<uint32_t, KeyFiles> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code entry_ec;
    if (!it->is_regular_file(entry_ec)) continue;
    uint32_t key_id = 0;
    if (!ReadHeaderKeyId(ReadHeader(it->path()), &key_id)) continue;
    uintmax_t size = it->file_size(entry_ec);
    if (entry_ec) continue;  // deleted since it was listed
    KeyFiles& usage = out[key_id];
    ++usage.files;
    usage.bytes += static_cast<int64_t>(size);
    if (RewrittenOnlyAtOpen(it->path().filename().string())) ++usage.files_rewritten_at_open;
  }
  if (ec) return absl::UnavailableError(absl::StrCat("cannot list ", dir, ": ", ec.message()));
  return out;
}

}  // namespace spanvault
