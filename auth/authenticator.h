#pragma once

// Authenticator: turns what a request presents (an Authorization header, identity headers
// from a trusted auth proxy, a verified client certificate) into the Principal that every
// query and admin call carries.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/cidr.h"
#include "auth/identity_store.h"
#include "auth/jwt.h"
#include "auth/login_throttle.h"
#include "auth/principal.h"
#include "common/clock.h"

namespace spanvault {

// What one request presents. The server fills it from the transport.
struct AuthRequest {
  std::string authorization;   // the Authorization header value; empty when absent
  std::string remote_address;  // the peer, as the listener reports it ("10.0.0.5", "ipv4:...")
  // The values of the proxy identity headers (AuthenticatorOptions::proxy names them), when
  // the request carries them.
  std::optional<std::string> proxy_user;
  std::optional<std::string> proxy_groups;
  // The verified client certificate's subject DN and SAN entries; empty without mTLS.
  std::vector<std::string> tls_peer_names;
};

// What a request claims to be, for the audit record of a refused login. Never a secret.
struct Claim {
  // "Basic", "Bearer" (as the client spelled it), "proxy headers", "client certificate", or ""
  // when the request presents nothing.
  std::string scheme;
  // The Basic user name, the API token's id, the proxy user or the first certificate name
  // (at most 256 bytes); empty for a JWT (its claims are unverified) and for unreadable
  // credentials.
  std::string name;
};
Claim ClaimedIdentity(const AuthRequest& request);

struct ProxyAuthOptions {
  // Header names for the server to read into AuthRequest (default X-Forwarded-User and
  // X-Forwarded-Groups; groups are comma-separated).
  std::string user_header = "X-Forwarded-User";
  std::string groups_header = "X-Forwarded-Groups";
  // Source addresses (CIDR blocks) whose identity headers are believed. Empty (the default):
  // identity headers are never believed.
  std::vector<std::string> trusted_cidrs;
};

struct AuthenticatorOptions {
  ProxyAuthOptions proxy;
  // Group (from a JWT groups claim or the proxy groups header) → spanvault role names.
  // Unmapped groups are ignored; a group is never taken as a role name by itself, so that an
  // IdP group that happens to be called "admin" grants nothing unless mapped here.
  std::map<std::string, std::vector<std::string>> group_roles;
  // mTLS: a certificate subject DN or SAN entry → the local user it logs in as (optional).
  std::map<std::string, std::string> tls_users;
  // Failed password logins per user name (default 5 in 15 minutes, lockout 1 minute doubling
  // to 1 hour) and per source address (the same, but 20 failures: many users may share one
  // address behind NAT). Address failures count bad Basic credentials and bad API tokens.
  LoginThrottleOptions user_throttle;
  LoginThrottleOptions address_throttle = {.max_failures = 20};
  // Receives notes the server should log (e.g. identity headers ignored from an untrusted
  // address). Never given a secret. Default: dropped.
  std::function<void(std::string_view note)> on_note;
};

// Thread-safe.
class Authenticator {
 public:
  // `jwt` may be null (OIDC not configured: bearer JWTs are refused). kInvalidArgument naming
  // the field for a bad trusted CIDR.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(AuthenticatorOptions options,
                                                               IdentityStore& identities,
                                                               const JwtVerifier* jwt,
                                                               const Clock& clock);

  // The caller, from the first of: the Authorization header (Basic, Bearer svt_ API token,
  // Bearer JWT); the proxy identity headers, when the remote address is trusted (else they
  // are ignored with a note); the mapped client certificate. The Principal's roles are the
  // existing roles among those granted; its access is their AccessPolicy.
  // kUnauthenticated "invalid credentials" for a bad password, unknown user or bad token
  // (never saying which), with the reason for a refused JWT, and "credentials required" when
  // nothing is presented; kResourceExhausted with a retry-after (RetryAfterOf) while the user
  // or address is locked out after failed logins.
  absl::StatusOr<Principal> Authenticate(const AuthRequest& request);

  const ProxyAuthOptions& proxy_options() const { return options_.proxy; }

 private:
  Authenticator(AuthenticatorOptions options, CidrSet trusted, IdentityStore& identities,
                const JwtVerifier* jwt, const Clock& clock);

  absl::StatusOr<Principal> FromAuthorization(const AuthRequest& request);
  absl::StatusOr<Principal> FromBasic(std::string_view credentials, const AuthRequest& request);
  absl::StatusOr<Principal> FromApiToken(std::string_view token, const AuthRequest& request);
  absl::StatusOr<Principal> FromJwt(std::string_view token, const AuthRequest& request);
  absl::StatusOr<Principal> FromProxy(const AuthRequest& request);
  std::optional<absl::StatusOr<Principal>> FromTls(const AuthRequest& request);

  std::vector<std::string> RolesForGroups(const std::vector<std::string>& groups) const;
  Principal MakePrincipal(std::string subject, const std::vector<std::string>& roles,
                          const AuthRequest& request, std::string method) const;
  void Note(std::string note) const;

  const AuthenticatorOptions options_;
  const CidrSet trusted_;
  IdentityStore& identities_;
  const JwtVerifier* const jwt_;
  LoginThrottle user_throttle_;
  LoginThrottle address_throttle_;
};

}  // namespace spanvault
