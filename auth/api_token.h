#pragma once

// Bearer API tokens: "svt_<id>_<secret>", where <id> is 16 lower-case hex characters (64 random
// bits, public: it names the token in listings, logs and revocations) and <secret> is 64
// lower-case hex characters (256 random bits). Only SHA-256(<secret>) is stored, keyed by <id>;
// a slow hash is unnecessary because a 256-bit secret cannot be guessed. Hex rather than
// base64url because '_' separates the parts.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace spanvault {

inline constexpr std::string_view kApiTokenPrefix = "svt_";

// What the identity store keeps about a token. Never holds the secret.
struct ApiToken {
  std::string id;     // 16 lower-case hex characters
  std::string name;   // what the token is for, e.g. "shop-ingest"
  std::string owner;  // the user (or team) responsible for it
  std::vector<std::string> roles;
  absl::Time created = absl::UnixEpoch();
  std::optional<absl::Time> expires;  // none: never expires
  bool revoked = false;
  std::string secret_sha256;  // 32 raw bytes: SHA-256 of the secret's hex text
};

// A presented token split into its parts. Holds the secret: wipe it (or let it go) soon.
struct PresentedToken {
  std::string id;
  std::string secret;
};

// A newly made token: the record to store and the full token text, shown to its owner once.
struct NewApiToken {
  ApiToken record;
  std::string token;
};

// A fresh id and secret for a token with the given attributes (created = `now`).
// kInternal when the random generator fails.
absl::StatusOr<NewApiToken> MakeApiToken(std::string name, std::string owner,
                                         std::vector<std::string> roles, absl::Time now,
                                         std::optional<absl::Time> expires);

// Whether `text` starts like an API token (and so should not be tried as a JWT).
bool IsApiTokenText(std::string_view text);

// The id and secret of `text`; nullopt unless it is exactly "svt_" + 16 hex + "_" + 64 hex
// (lower case).
std::optional<PresentedToken> ParseApiToken(std::string_view text);

// Whether `secret` hashes to the stored hash, compared in constant time (CRYPTO_memcmp).
bool ApiTokenSecretMatches(const ApiToken& token, std::string_view secret);

// Whether the token may be used at `now`: not revoked and not past its expiry.
bool ApiTokenUsable(const ApiToken& token, absl::Time now);

}  // namespace spanvault
