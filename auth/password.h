#pragma once

// Password hashing with Argon2id (libargon2), stored in the PHC string format
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>", which carries its own parameters so that
// hashes made with older parameters still verify and can be upgraded at the next login.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace spanvault {

// Argon2id cost parameters. The defaults are OWASP's (Password Storage Cheat Sheet):
// 19 MiB of memory, 2 passes, 1 lane. Tests pass cheaper ones to stay fast.
struct PasswordHashParams {
  uint32_t memory_kib = 19 * 1024;
  uint32_t iterations = 2;
  uint32_t parallelism = 1;
};

// Longest password accepted, in bytes (bounds the work an unauthenticated caller can cause).
inline constexpr size_t kMaxPasswordBytes = 1024;

// The PHC string of `password` with a fresh 16-byte random salt and a 32-byte hash.
// kInvalidArgument when the password is longer than kMaxPasswordBytes; kInternal when the
// random generator or libargon2 fails. The password never appears in a message.
absl::StatusOr<std::string> HashPassword(std::string_view password,
                                         const PasswordHashParams& params = {});

// Whether `password` matches the PHC string `encoded`, compared in constant time
// (argon2id_verify). False for a malformed or non-Argon2id string.
bool VerifyPassword(std::string_view password, const std::string& encoded);

// Whether `encoded` should be re-hashed: it is not Argon2id version 19, is malformed, or any
// of its parameters is weaker than `current`.
bool NeedsRehash(std::string_view encoded, const PasswordHashParams& current = {});

// A random password of `length` characters from the URL-safe alphabet [A-Za-z0-9_-]
// (6 bits each: 24 characters carry 144 bits), from the OpenSSL CSPRNG. kInternal when it
// fails.
absl::StatusOr<std::string> GeneratePassword(size_t length = 24);

}  // namespace spanvault
