#pragma once

// The `auth` section of the configuration: who is believed, and how outside identities map to
// spanvault roles.
//
//   auth:
//     proxy:                          # identity headers from an authenticating proxy
//       user_header: X-Forwarded-User
//       groups_header: X-Forwarded-Groups
//       trusted_cidrs: [10.0.0.0/8]   # only from here; ignored (and logged) from elsewhere
//     group_roles:                    # IdP / proxy group -> spanvault roles
//       sre: [devops]
//     tls_users:                      # client certificate subject or SAN -> user
//       "CN=alice": alice
//     oidc:                           # OIDC JWT bearer tokens
//       issuer: https://idp.example.com/
//       audience: spanvault
//       jwks_file: /etc/spanvault/jwks.json
//       subject_claim: sub
//       groups_claim: groups
//       leeway: 60s

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace spanvault {

struct OidcConfig {
  std::string issuer;
  std::string audience;
  std::string jwks_file;
  std::string subject_claim = "sub";
  std::string groups_claim = "groups";
  absl::Duration leeway = absl::Seconds(60);

  bool enabled() const { return !issuer.empty(); }
};

struct AuthConfig {
  std::string proxy_user_header = "X-Forwarded-User";
  std::string proxy_groups_header = "X-Forwarded-Groups";
  std::vector<std::string> proxy_trusted_cidrs;
  std::map<std::string, std::vector<std::string>> group_roles;
  std::map<std::string, std::string> tls_users;
  OidcConfig oidc;
};

// Reads the `auth` mapping over `config`. kInvalidArgument naming the key ("auth.oidc.issuer")
// for an unknown key, a value of the wrong type, or an OIDC section without issuer, audience
// or jwks_file.
absl::Status ParseAuthConfig(const YAML::Node& node, AuthConfig* config);

}  // namespace spanvault
