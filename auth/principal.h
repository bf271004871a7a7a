#pragma once

// Principal: who is asking. Every QueryService method takes one, so no query path can skip
// the access checks that arrive with authentication.

#include <memory>
#include <string>
#include <vector>

#include "auth/access_policy.h"

namespace spanvault {

struct Principal {
  std::string subject;             // user or token name
  std::vector<std::string> roles;  // role names
  std::string remote_address;
  // What the caller may do and see (never null).
  std::shared_ptr<const AccessPolicy> access = AccessPolicy::FromRoles({});
  // How the caller authenticated: "basic", "token", "jwt", "proxy", "mtls", or "none" (no
  // authentication: --insecure-no-auth).
  std::string method = "none";
  // The listener and call the request came through ("query_http GET /api/traces"), for the
  // audit log; set by the API layer.
  std::string api;

  // The caller when authentication is off (--insecure-no-auth, or before it exists).
  static Principal Anonymous(std::string remote_address) {
    return Principal{
        "anonymous", {"unrestricted"}, std::move(remote_address), AccessPolicy::Unrestricted()};
  }
};

// What a caller without `action` is told: "permission denied: role(s) "support" lack
// admin:users", or "permission denied: no role grants admin:users" without roles.
std::string PermissionDeniedMessage(const Principal& caller, Action action);

}  // namespace spanvault
