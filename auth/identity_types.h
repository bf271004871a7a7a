#pragma once

// The value types the identity store keeps beside Role (access_policy.h) and ApiToken
// (api_token.h).

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace spanvault {

// A local account that logs in with HTTP Basic (or is named by an mTLS certificate mapping).
struct User {
  std::string name;           // [a-z0-9._-]{1,64}
  std::string password_hash;  // Argon2id PHC string; empty: no password login
  std::vector<std::string> roles;
  absl::Time created = absl::UnixEpoch();
  bool disabled = false;
};

}  // namespace spanvault
