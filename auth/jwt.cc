#include "auth/jwt.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "auth/base64.h"
#include "nlohmann/json.hpp"

namespace spanvault {
namespace {

using nlohmann::json;

absl::Status Refused(std::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("invalid token: ", std::string(why)));
}

// A NumericDate claim (seconds since the epoch, possibly fractional); nullopt when absent.
absl::StatusOr<std::optional<absl::Time>> TimeClaim(const json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::optional<absl::Time>();
  if (!it->is_number() || !std::isfinite(it->get<double>())) {
    return Refused(absl::StrCat(name, " is not a number"));
  }
  return std::optional<absl::Time>(
      absl::FromUnixMicros(static_cast<int64_t>(std::clamp(it->get<double>(), -1e12, 1e12) * 1e6)));
}

bool AudienceMatches(const json& claims, const std::string& audience) {
  auto it = claims.find("aud");
  if (it == claims.end()) return false;
  if (it->is_string()) return it->get<std::string>() == audience;
  if (!it->is_array()) return false;
  return std::any_of(it->begin(), it->end(), [&](const json& entry) {
    return entry.is_string() && entry.get<std::string>() == audience;
  });
}

absl::StatusOr<std::vector<std::string>> Groups(const json& claims, const std::string& name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::vector<std::string>();
  if (it->is_string()) return std::vector<std::string>{it->get<std::string>()};
  std::vector<std::string> groups;
  if (it->is_array()) {
    for (const json& entry : *it) {
      if (!entry.is_string()) break;
      groups.push_back(entry.get<std::string>());
    }
    if (groups.size() == it->size()) return groups;
  }
  return Refused(absl::StrCat(name, " is not a string or an array of strings"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Create(JwtOptions options,
                                                                 JwksProvider& keys,
                                                                 const Clock& clock) {
  if (options.issuer.empty()) return absl::InvalidArgumentError("issuer: required");
  if (options.audience.empty()) return absl::InvalidArgumentError("audience: required");
  std::vector<JwsAlgorithm> algorithms;
  for (const std::string& name : options.algorithms) {
    std::optional<JwsAlgorithm> alg = ParseJwsAlgorithm(name);
    if (!alg.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("algorithms: \"", name, "\" is not supported (RS256, ES256)"));
    }
    algorithms.push_back(*alg);
  }
  if (algorithms.empty()) return absl::InvalidArgumentError("algorithms: empty");
  return std::unique_ptr<JwtVerifier>(
      new JwtVerifier(std::move(options), std::move(algorithms), keys, clock));
}

JwtVerifier::JwtVerifier(JwtOptions options, std::vector<JwsAlgorithm> algorithms,
                         JwksProvider& keys, const Clock& clock)
    : options_(std::move(options)),
      algorithms_(std::move(algorithms)),
      keys_(keys),
      clock_(clock) {}

absl::StatusOr<JwtIdentity> JwtVerifier::Verify(std::string_view token) const {
  if (token.size() > options_.max_token_bytes) return Refused("too long");
  const size_t first = token.find('.');
  const size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Refused("not three segments");
  }
  std::optional<std::string> header = Base64UrlDecode(token.substr(0, first));
  if (!header.has_value()) return Refused("malformed header");
  absl::Status signed_ok = CheckSignature(token, second, *header);
  if (!signed_ok.ok()) return signed_ok;
  std::optional<std::string> payload = Base64UrlDecode(token.substr(first + 1, second - first - 1));
  if (!payload.has_value()) return Refused("malformed payload");
  return CheckClaims(*payload);
}

absl::Status JwtVerifier::CheckSignature(std::string_view token, size_t payload_end,
                                         std::string_view header_text) const {
  json header = json::parse(header_text, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) return Refused("malformed header");
  auto alg_it = header.find("alg");
  std::optional<JwsAlgorithm> alg = alg_it != header.end() && alg_it->is_string()
                                        ? ParseJwsAlgorithm(alg_it->get<std::string>())
                                        : std::nullopt;
  if (!alg.has_value() ||
      std::find(algorithms_.begin(), algorithms_.end(), *alg) == algorithms_.end()) {
    return Refused("alg not allowed");
  }
  for (const char* field : {"crit", "jku", "jwk", "x5u", "x5c"}) {
    if (header.contains(field)) return Refused(absl::StrCat("header field ", field, " refused"));
  }
  std::optional<std::string> kid;
  if (header.contains("kid")) {
    if (!header["kid"].is_string()) return Refused("kid is not a string");
    kid = header["kid"].get<std::string>();
  }
  std::optional<std::string> signature = Base64UrlDecode(token.substr(payload_end + 1));
  if (!signature.has_value() || signature->empty()) return Refused("malformed signature");

  absl::StatusOr<std::shared_ptr<const Jwks>> keys = keys_.Keys();
  if (!keys.ok()) return keys.status();
  std::string_view input = token.substr(0, payload_end);
  absl::Status verified = (*keys)->Verify(kid, *alg, input, *signature);
  if (verified.code() == absl::StatusCode::kNotFound) {
    keys = keys_.RefreshKeys();
    if (!keys.ok()) return keys.status();
    verified = (*keys)->Verify(kid, *alg, input, *signature);
  }
  if (!verified.ok()) return Refused(std::string(verified.message()));
  return absl::OkStatus();
}

absl::StatusOr<JwtIdentity> JwtVerifier::CheckClaims(std::string_view payload_text) const {
  json claims = json::parse(payload_text, nullptr, /*allow_exceptions=*/false);
  if (claims.is_discarded() || !claims.is_object()) return Refused("malformed payload");
  const absl::Time now = clock_.Now();
  auto iss = claims.find("iss");
  if (iss == claims.end() || !iss->is_string() || iss->get<std::string>() != options_.issuer) {
    return Refused("wrong issuer");
  }
  if (!AudienceMatches(claims, options_.audience)) return Refused("wrong audience");
  absl::StatusOr<std::optional<absl::Time>> exp = TimeClaim(claims, "exp");
  if (!exp.ok()) return exp.status();
  if (!exp->has_value()) return Refused("no exp");
  if (now > **exp + options_.leeway) return Refused("expired");
  absl::StatusOr<std::optional<absl::Time>> nbf = TimeClaim(claims, "nbf");
  if (!nbf.ok()) return nbf.status();
  if (nbf->has_value() && **nbf > now + options_.leeway) return Refused("not valid yet");

  auto subject = claims.find(options_.subject_claim);
  if (subject == claims.end() || !subject->is_string() || subject->get<std::string>().empty()) {
    return Refused(absl::StrCat("no ", options_.subject_claim));
  }
  absl::StatusOr<std::vector<std::string>> groups = Groups(claims, options_.groups_claim);
  if (!groups.ok()) return groups.status();
  return JwtIdentity{subject->get<std::string>(), std::move(*groups), **exp};
}

}  // namespace spanvault
