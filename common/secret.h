#pragma once

// Small helpers for handling secrets, for every module: random bytes, SHA-256, hex,
// constant-time equality, wiping.

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace spanvault {

// `n` random bytes from the OpenSSL CSPRNG (RAND_bytes). kInternal when it fails.
absl::StatusOr<std::string> RandomBytes(size_t n);

// `length` characters drawn uniformly (rejection sampling, no modulo bias) from `alphabet`
// (at most 256 distinct characters) with the OpenSSL CSPRNG. kInternal when it fails.
absl::StatusOr<std::string> RandomString(size_t length, std::string_view alphabet);

// The 32-byte SHA-256 digest of `data`.
std::string Sha256(std::string_view data);

// Lower-case hex of `bytes`.
std::string HexEncode(std::string_view bytes);
// The bytes of a lower-case hex string; false for odd length or any other character.
bool HexDecode(std::string_view hex, std::string* out);

// Constant-time equality (CRYPTO_memcmp) of two byte strings; false for different lengths
// (the length itself is not secret).
bool SecretEquals(std::string_view a, std::string_view b);

// Overwrites `secret` with zeros in a way the compiler keeps (OPENSSL_cleanse), then clears it.
void Wipe(std::string& secret);

}  // namespace spanvault
