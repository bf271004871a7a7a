#include "auth/password.h"

#include <argon2.h>

#include <charconv>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/secret.h"

namespace spanvault {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

// Parses "m=19456,t=2,p=1" into `params`; false when any part is missing or malformed.
bool ParseCost(std::string_view text, PasswordHashParams* params) {
  std::vector<std::string> parts = absl::StrSplit(absl::string_view(text.data(), text.size()), ',');
  if (parts.size() != 3) return false;
  const std::pair<std::string_view, uint32_t*> fields[] = {
      {"m=", &params->memory_kib}, {"t=", &params->iterations}, {"p=", &params->parallelism}};
  for (size_t i = 0; i < 3; ++i) {
    std::string_view part = parts[i];
    if (part.substr(0, 2) != fields[i].first) return false;
    part.remove_prefix(2);
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), *fields[i].second);
    if (ec != std::errc() || end != part.data() + part.size()) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> HashPassword(std::string_view password,
                                         const PasswordHashParams& params) {
  if (password.size() > kMaxPasswordBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("password: longer than ", kMaxPasswordBytes, " bytes"));
  }
  absl::StatusOr<std::string> salt = RandomBytes(kSaltBytes);
  if (!salt.ok()) return salt.status();
  std::string encoded(argon2_encodedlen(params.iterations, params.memory_kib, params.parallelism,
                                        kSaltBytes, kHashBytes, Argon2_id),
                      '\0');
  int rc = argon2id_hash_encoded(params.iterations, params.memory_kib, params.parallelism,
                                 password.data(), password.size(), salt->data(), salt->size(),
                                 kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    return absl::InternalError(absl::StrCat("argon2id hashing failed: ", argon2_error_message(rc)));
  }
  encoded.resize(encoded.find('\0'));
  return encoded;
}

bool VerifyPassword(std::string_view password, const std::string& encoded) {
  if (password.size() > kMaxPasswordBytes || encoded.rfind("$argon2id$", 0) != 0) return false;
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

bool NeedsRehash(std::string_view encoded, const PasswordHashParams& current) {
  // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
  std::vector<std::string> parts =
      absl::StrSplit(absl::string_view(encoded.data(), encoded.size()), '$');
  PasswordHashParams stored;
  if (parts.size() != 6 || !parts[0].empty() || parts[1] != "argon2id" || parts[2] != "v=19" ||
      !ParseCost(parts[3], &stored)) {
    return true;
  }
  return stored.memory_kib < current.memory_kib || stored.iterations < current.iterations ||
         stored.parallelism < current.parallelism;
}

absl::StatusOr<std::string> GeneratePassword(size_t length) {
  return RandomString(length, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
}

}  // namespace spanvault
