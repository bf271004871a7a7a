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
//     tls_users:                      # verified client certificate name -> user
//       "CN=alice": alice             # "CN=<cn>", the RFC 2253 subject DN, or a SAN entry
//     oidc:                           # OIDC JWT bearer tokens
//       issuer: https://idp.example.com/
//       audience: spanvault
//       # The signing keys: a JWKS file, or fetched over https (from jwks_url, or else from
//       # the jwks_uri of <issuer>/.well-known/openid-configuration) and cached.
//       jwks_file: /etc/spanvault/jwks.json
//       jwks_url: https://idp.example.com/keys
//       ca_file: /etc/spanvault/idp-ca.pem   # CAs for the issuer's TLS (default: the system's)
//       jwks_refresh: 1h                     # refetch keys this old, and on an unknown kid,
//       jwks_min_interval: 10s               # but not more often than this
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
  std::string jwks_url;  // empty (and no jwks_file): discovered from the issuer
  std::string ca_file;   // for fetching; empty: the system's CAs
  absl::Duration jwks_refresh = absl::Hours(1);
  absl::Duration jwks_min_interval = absl::Seconds(10);
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
// for an unknown key, a value of the wrong type, an OIDC section without issuer or audience,
// or with both jwks_file and jwks_url.
absl::Status ParseAuthConfig(const YAML::Node& node, AuthConfig* config);

}  // namespace spanvault
