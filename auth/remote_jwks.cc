#include "auth/remote_jwks.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace spanvault {
namespace {

std::string_view WithoutTrailingSlash(std::string_view url) {
  if (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return url;
}

// The jwks_uri of the discovery document `body` fetched from `url`, after checking that it
// describes `issuer` (OpenID Connect Discovery 1.0 §4.3).
absl::StatusOr<std::string> JwksUriOf(std::string_view body, const std::string& url,
                                      const std::string& issuer) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    return absl::UnavailableError(absl::StrCat(url, ": not a JSON discovery document"));
  }
  auto text = [&](const char* key) -> std::string {
    auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
  };
  if (WithoutTrailingSlash(text("issuer")) != WithoutTrailingSlash(issuer)) {
    return absl::UnavailableError(absl::StrCat(url, ": the document is for issuer \"",
                                               text("issuer"), "\", not \"", issuer, "\""));
  }
  std::string jwks_uri = text("jwks_uri");
  if (!IsHttpsUrl(jwks_uri)) {
    return absl::UnavailableError(
        absl::StrCat(url, ": jwks_uri \"", jwks_uri, "\" is not an https URL"));
  }
  return jwks_uri;
}

}  // namespace

bool IsHttpsUrl(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.substr(0, kScheme.size()) != kScheme) return false;
  url.remove_prefix(kScheme.size());
  return !url.empty() && url.front() != '/' && url.front() != ':';
}

absl::StatusOr<std::unique_ptr<RemoteJwksProvider>> RemoteJwksProvider::Create(
    RemoteJwksOptions options, Fetch fetch, const Clock& clock, Note note) {
  if (!IsHttpsUrl(options.issuer)) {
    return absl::InvalidArgumentError(
        absl::StrCat("OIDC issuer \"", options.issuer, "\" must be an https URL"));
  }
  if (!options.jwks_url.empty() && !IsHttpsUrl(options.jwks_url)) {
    return absl::InvalidArgumentError(
        absl::StrCat("OIDC jwks_url \"", options.jwks_url, "\" must be an https URL"));
  }
  return std::unique_ptr<RemoteJwksProvider>(
      new RemoteJwksProvider(std::move(options), std::move(fetch), clock, std::move(note)));
}

bool RemoteJwksProvider::Due(bool forced) const {
  const absl::Time now = clock_.Now();
  if (now - attempted_ < options_.min_fetch_interval) return false;
  return forced || keys_ == nullptr || now - fetched_ >= options_.refresh_interval;
}

absl::StatusOr<std::shared_ptr<const Jwks>> RemoteJwksProvider::Keys() {
  {
    absl::MutexLock lock(&mu_);
    if (keys_ != nullptr && !Due(false)) return keys_;
  }
  return MaybeFetch(false);
}

absl::StatusOr<std::shared_ptr<const Jwks>> RemoteJwksProvider::RefreshKeys() {
  return MaybeFetch(true);
}

absl::StatusOr<std::shared_ptr<const Jwks>> RemoteJwksProvider::MaybeFetch(bool forced) {
  absl::MutexLock fetch_lock(&fetch_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (!Due(forced)) {
      if (keys_ != nullptr) return keys_;
      return last_error_;
    }
    attempted_ = clock_.Now();
  }
  absl::StatusOr<std::shared_ptr<const Jwks>> fetched = FetchKeys();
  absl::MutexLock lock(&mu_);
  if (fetched.ok()) {
    keys_ = *std::move(fetched);
    fetched_ = attempted_;
    last_error_ = absl::OkStatus();
    return keys_;
  }
  last_error_ = fetched.status();
  if (keys_ == nullptr) return last_error_;
  if (note_) {
    note_(absl::StrCat("cannot refresh the OIDC signing keys, still using those fetched at ",
                       absl::FormatTime(fetched_), ": ", last_error_.message()));
  }
  return keys_;
}

absl::StatusOr<std::shared_ptr<const Jwks>> RemoteJwksProvider::FetchKeys() {
  absl::StatusOr<std::string> url = JwksUrl();
  if (!url.ok()) return url.status();
  absl::StatusOr<std::string> body = fetch_(*url);
  if (!body.ok()) return absl::UnavailableError(body.status().message());
  absl::StatusOr<std::shared_ptr<const Jwks>> keys = Jwks::Parse(*body);
  if (!keys.ok()) {
    return absl::UnavailableError(absl::StrCat(*url, ": ", keys.status().message()));
  }
  return keys;
}

absl::StatusOr<std::string> RemoteJwksProvider::JwksUrl() {
  if (!options_.jwks_url.empty()) return options_.jwks_url;
  if (!discovered_url_.empty()) return discovered_url_;
  const std::string url = absl::StrCat(std::string(WithoutTrailingSlash(options_.issuer)),
                                       "/.well-known/openid-configuration");
  absl::StatusOr<std::string> body = fetch_(url);
  if (!body.ok()) return absl::UnavailableError(body.status().message());
  absl::StatusOr<std::string> jwks_uri = JwksUriOf(*body, url, options_.issuer);
  if (jwks_uri.ok()) discovered_url_ = *jwks_uri;
  return jwks_uri;
}

}  // namespace spanvault
