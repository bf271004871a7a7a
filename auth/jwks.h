#pragma once

// Jwks: the public keys an OIDC issuer signs its tokens with, from a JSON Web Key Set
// (RFC 7517), and the JWS signature check (RS256, ES256) against them. OpenSSL stays in the
// .cc file.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace spanvault {

// The JWS algorithms spanvault accepts. Everything else (none, HS*, PS*, EdDSA) is refused.
enum class JwsAlgorithm { kRs256, kEs256 };

// "RS256" / "ES256"; nullopt for any other name.
std::optional<JwsAlgorithm> ParseJwsAlgorithm(std::string_view name);
std::string_view JwsAlgorithmName(JwsAlgorithm alg);

// Immutable; thread-safe.
class Jwks {
 public:
  // Parses a JWKS document ({"keys": [...]}). RSA keys (n, e; at least 2048 bits) and EC P-256
  // keys (x, y) are kept; keys of other types or curves, and keys whose "use" is not "sig", are
  // skipped (IdPs publish encryption keys beside signing keys). kInvalidArgument naming the
  // key for malformed JSON, bad base64url, an RSA key under 2048 bits, an EC point not on the
  // curve, a repeated kid, or no usable key at all.
  static absl::StatusOr<std::shared_ptr<const Jwks>> Parse(std::string_view json);

  ~Jwks();
  Jwks(const Jwks&) = delete;
  Jwks& operator=(const Jwks&) = delete;

  // OK when `signature` is a valid `alg` signature of `signing_input` by the key `kid` (when
  // the token names none: the only key of the algorithm's type). The key's type must match
  // `alg`, and its own "alg", when present, must equal `alg`. kNotFound when no key fits (the
  // caller may refetch the keys); kUnauthenticated for a type mismatch or a bad signature.
  absl::Status Verify(std::optional<std::string_view> kid, JwsAlgorithm alg,
                      std::string_view signing_input, std::string_view signature) const;

  size_t size() const { return keys_.size(); }

  struct Key;  // defined in jwks.cc

 private:
  explicit Jwks(std::vector<std::unique_ptr<Key>> keys);
  absl::StatusOr<const Key*> Select(std::optional<std::string_view> kid, JwsAlgorithm alg) const;

  const std::vector<std::unique_ptr<Key>> keys_;
};

// Where the verifier gets its keys. Implementations are thread-safe. A provider that fetches
// the issuer's jwks_uri (a later step) plugs in here; StaticJwksProvider serves a file.
class JwksProvider {
 public:
  virtual ~JwksProvider() = default;
  // The current keys.
  virtual absl::StatusOr<std::shared_ptr<const Jwks>> Keys() = 0;
  // Called once when a token names a kid the current keys lack (the issuer may have rotated):
  // a fetching provider refetches, rate-limited. The default returns Keys().
  virtual absl::StatusOr<std::shared_ptr<const Jwks>> RefreshKeys() { return Keys(); }
};

// A fixed key set. Thread-safe.
class StaticJwksProvider final : public JwksProvider {
 public:
  explicit StaticJwksProvider(std::shared_ptr<const Jwks> keys) : keys_(std::move(keys)) {}
  // Reads and parses the JWKS file at `path`. kNotFound / kPermissionDenied when it cannot be
  // read; the errors of Jwks::Parse, prefixed with the path.
  static absl::StatusOr<std::unique_ptr<StaticJwksProvider>> FromFile(const std::string& path);

  absl::StatusOr<std::shared_ptr<const Jwks>> Keys() override { return keys_; }

 private:
  const std::shared_ptr<const Jwks> keys_;
};

}  // namespace spanvault
