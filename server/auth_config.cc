#include "server/auth_config.h"

#include <functional>

#include "absl/strings/str_cat.h"
#include "server/yaml_read.h"
#include "yaml-cpp/yaml.h"

namespace spanvault {
namespace {

using FieldReader = std::function<absl::Status(const YAML::Node&, const std::string&)>;

// Applies `fields` to the entries of mapping `node` (at `where`); unknown keys are errors.
absl::Status ReadMapping(const YAML::Node& node, const std::string& where,
                         const std::map<std::string, FieldReader>& fields) {
  if (!node.IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat("config key \"", where, "\" must be a mapping"));
  }
  for (const auto& entry : node) {
    std::string key = entry.first.as<std::string>();
    std::string path = absl::StrCat(where, ".", key);
    auto field = fields.find(key);
    if (field == fields.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown config key \"", path, "\""));
    }
    absl::Status s = field->second(entry.second, path);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

template <typename T>
FieldReader Into(T* out) {
  return [out](const YAML::Node& node, const std::string& where) {
    return ReadScalar(node, where, out);
  };
}

FieldReader IntoDuration(absl::Duration* out) {
  return [out](const YAML::Node& node, const std::string& where) {
    return ReadDuration(node, where, out);
  };
}

absl::Status CheckOidc(const OidcConfig& oidc) {
  if (oidc.issuer.empty() && oidc.audience.empty() && oidc.jwks_file.empty() &&
      oidc.jwks_url.empty()) {
    return absl::OkStatus();
  }
  for (const auto& [name, value] :
       std::map<std::string, std::string>{{"issuer", oidc.issuer}, {"audience", oidc.audience}}) {
    if (value.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("config key \"auth.oidc.", name, "\" is required for OIDC"));
    }
  }
  if (!oidc.jwks_file.empty() && !oidc.jwks_url.empty()) {
    return absl::InvalidArgumentError(
        "config keys \"auth.oidc.jwks_file\" and \"auth.oidc.jwks_url\": set one, not both");
  }
  if (oidc.jwks_refresh <= absl::ZeroDuration() || oidc.jwks_min_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "config keys \"auth.oidc.jwks_refresh\" and \"auth.oidc.jwks_min_interval\" must be "
        "positive");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseAuthConfig(const YAML::Node& node, AuthConfig* c) {
  absl::Status s = ReadMapping(
      node, "auth",
      {{"proxy",
        [c](const YAML::Node& n, const std::string& where) {
          return ReadMapping(n, where,
                             {{"user_header", Into(&c->proxy_user_header)},
                              {"groups_header", Into(&c->proxy_groups_header)},
                              {"trusted_cidrs", Into(&c->proxy_trusted_cidrs)}});
        }},
       {"group_roles", Into(&c->group_roles)},
       {"tls_users", Into(&c->tls_users)},
       {"oidc", [c](const YAML::Node& n, const std::string& where) {
          return ReadMapping(n, where,
                             {{"issuer", Into(&c->oidc.issuer)},
                              {"audience", Into(&c->oidc.audience)},
                              {"jwks_file", Into(&c->oidc.jwks_file)},
                              {"jwks_url", Into(&c->oidc.jwks_url)},
                              {"ca_file", Into(&c->oidc.ca_file)},
                              {"jwks_refresh", IntoDuration(&c->oidc.jwks_refresh)},
                              {"jwks_min_interval", IntoDuration(&c->oidc.jwks_min_interval)},
                              {"subject_claim", Into(&c->oidc.subject_claim)},
                              {"groups_claim", Into(&c->oidc.groups_claim)},
                              {"leeway", IntoDuration(&c->oidc.leeway)}});
        }}});
  if (!s.ok()) return s;
  return CheckOidc(c->oidc);
}

}  // namespace spanvault
