#pragma once

// JwtVerifier: checks an OIDC JWT (compact JWS) the way RFC 8725 asks: the algorithm comes from
// our allow-list (RS256, ES256), never from the token alone; keys come only from our JWKS;
// claims are trusted only after the signature checks out.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/jwks.h"
#include "common/clock.h"

namespace spanvault {

struct JwtOptions {
  // Required: the "iss" every token must carry, compared exactly.
  std::string issuer;
  // Required: a value the "aud" claim (a string or an array of strings) must contain.
  std::string audience;
  // The accepted algorithms, a subset of {"RS256", "ES256"} (default both).
  std::vector<std::string> algorithms = {"RS256", "ES256"};
  // Clock skew allowed on "exp" and "nbf" (default 60 s).
  absl::Duration leeway = absl::Seconds(60);
  // The claim naming the caller (default "sub"), e.g. "preferred_username" or "email".
  std::string subject_claim = "sub";
  // The claim holding the caller's groups, a string or an array of strings (default "groups").
  std::string groups_claim = "groups";
  // Longest token accepted, in bytes (default 16 KiB).
  size_t max_token_bytes = 16 * 1024;
};

// What a verified token says about its bearer.
struct JwtIdentity {
  std::string subject;
  std::vector<std::string> groups;
  absl::Time expires;
};

// Thread-safe (the JwksProvider must be too).
class JwtVerifier {
 public:
  // kInvalidArgument naming the field for an empty issuer or audience, or an algorithm other
  // than RS256 / ES256 (none, HS256 and the like are never accepted).
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Create(JwtOptions options, JwksProvider& keys,
                                                             const Clock& clock);

  // The identity in `token` when it is a well-formed compact JWS (three base64url segments,
  // strictly encoded), its header names an allowed alg with no "crit" and no header-supplied
  // key (jku, jwk, x5u, x5c), its signature verifies with the JWKS key it names (refetching the
  // keys once for an unknown kid), iss and aud match, exp is present and now <= exp + leeway,
  // and nbf (if any) <= now + leeway. kUnauthenticated otherwise, with a message that says
  // which check failed and never contains the token; errors of the JwksProvider as they come.
  absl::StatusOr<JwtIdentity> Verify(std::string_view token) const;

 private:
  JwtVerifier(JwtOptions options, std::vector<JwsAlgorithm> algorithms, JwksProvider& keys,
              const Clock& clock);
  absl::Status CheckSignature(std::string_view token, size_t payload_end,
                              std::string_view header_json) const;
  absl::StatusOr<JwtIdentity> CheckClaims(std::string_view payload_json) const;

  const JwtOptions options_;
  const std::vector<JwsAlgorithm> algorithms_;
  JwksProvider& keys_;
  const Clock& clock_;
};

}  // namespace spanvault
