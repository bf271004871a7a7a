#include "auth/api_token.h"

#include "common/secret.h"

namespace spanvault {
namespace {

constexpr size_t kIdBytes = 8;
constexpr size_t kSecretBytes = 32;

bool IsLowerHex(std::string_view text, size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<NewApiToken> MakeApiToken(std::string name, std::string owner,
                                         std::vector<std::string> roles, absl::Time now,
                                         std::optional<absl::Time> expires) {
  absl::StatusOr<std::string> id = RandomBytes(kIdBytes);
  if (!id.ok()) return id.status();
  absl::StatusOr<std::string> secret = RandomBytes(kSecretBytes);
  if (!secret.ok()) return secret.status();
  std::string secret_hex = HexEncode(*secret);
  Wipe(*secret);

  NewApiToken made;
  made.record = ApiToken{HexEncode(*id), std::move(name), std::move(owner),  std::move(roles), now,
                         expires,        false,           Sha256(secret_hex)};
  made.token = std::string(kApiTokenPrefix) + made.record.id + "_" + secret_hex;
  Wipe(secret_hex);
  return made;
}

bool IsApiTokenText(std::string_view text) { return text.substr(0, 4) == kApiTokenPrefix; }

std::optional<PresentedToken> ParseApiToken(std::string_view text) {
  constexpr size_t kIdHex = kIdBytes * 2, kSecretHex = kSecretBytes * 2;
  if (!IsApiTokenText(text)) return std::nullopt;
  text.remove_prefix(kApiTokenPrefix.size());
  if (text.size() != kIdHex + 1 + kSecretHex || text[kIdHex] != '_') return std::nullopt;
  std::string_view id = text.substr(0, kIdHex), secret = text.substr(kIdHex + 1);
  if (!IsLowerHex(id, kIdHex) || !IsLowerHex(secret, kSecretHex)) return std::nullopt;
  return PresentedToken{std::string(id), std::string(secret)};
}

bool ApiTokenSecretMatches(const ApiToken& token, std::string_view secret) {
  return SecretEquals(Sha256(secret), token.secret_sha256);
}

bool ApiTokenUsable(const ApiToken& token, absl::Time now) {
  return !token.revoked && (!token.expires.has_value() || now < *token.expires);
}

}  // namespace spanvault
