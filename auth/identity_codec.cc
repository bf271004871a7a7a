#include "auth/identity_codec.h"

#include "absl/strings/str_cat.h"
#include "common/secret.h"
#include "nlohmann/json.hpp"

namespace spanvault {
namespace {

using nlohmann::json;

constexpr std::pair<AttributeAccess, std::string_view> kAccessNames[] = {
    {AttributeAccess::kShow, "show"},
    {AttributeAccess::kRedact, "redact"},
    {AttributeAccess::kHide, "hide"},
};

std::string TimeText(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseTimeField(const json& doc, const char* field) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, doc.at(field).get<std::string>(), &t, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": not an RFC 3339 time"));
  }
  return t;
}

// Runs `decode` on the parsed document, turning JSON library exceptions (missing field, wrong
// type) into kInvalidArgument.
template <typename T, typename Fn>
absl::StatusOr<T> Decode(std::string_view text, const char* what, Fn decode) {
  try {
    json doc = json::parse(text);
    if (!doc.is_object()) return absl::InvalidArgumentError(absl::StrCat(what, ": not an object"));
    return decode(doc);
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", e.what()));
  }
}

json EncodeRules(const std::vector<AttributeRule>& rules) {
  json out = json::array();
  for (const AttributeRule& rule : rules) {
    std::string_view access = "show";
    for (const auto& [a, name] : kAccessNames) {
      if (a == rule.access) access = name;
    }
    out.push_back({{"key", rule.key_glob}, {"access", access}});
  }
  return out;
}

absl::StatusOr<std::vector<AttributeRule>> DecodeRules(const json& rules) {
  std::vector<AttributeRule> out;
  for (const json& rule : rules) {
    std::string access = rule.at("access").get<std::string>();
    AttributeRule decoded{rule.at("key").get<std::string>()};
    bool known = false;
    for (const auto& [a, name] : kAccessNames) {
      if (name == access) decoded.access = a, known = true;
    }
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("attribute_rules: unknown access \"", access, "\" (show, redact, hide)"));
    }
    out.push_back(std::move(decoded));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<Action>> ParseActionNames(const std::vector<std::string>& names) {
  std::vector<Action> actions;
  for (const std::string& name : names) {
    std::optional<Action> action = ParseAction(name);
    if (!action.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("actions: unknown action \"", name, "\""));
    }
    actions.push_back(*action);
  }
  return actions;
}

std::string EncodeUser(const User& user) {
  return json{{"name", user.name},
              {"password_hash", user.password_hash},
              {"roles", user.roles},
              {"created", TimeText(user.created)},
              {"disabled", user.disabled}}
      .dump();
}

std::string EncodeRole(const Role& role) {
  json actions = json::array();
  for (Action action : role.actions) actions.push_back(ActionName(action));
  return json{{"name", role.name},
              {"description", role.description},
              {"actions", actions},
              {"services", role.services},
              {"attribute_rules", EncodeRules(role.attribute_rules)},
              {"builtin", role.builtin}}
      .dump();
}

std::string EncodeApiToken(const ApiToken& token) {
  json doc{{"id", token.id},
           {"name", token.name},
           {"owner", token.owner},
           {"roles", token.roles},
           {"created", TimeText(token.created)},
           {"revoked", token.revoked},
           {"secret_sha256", HexEncode(token.secret_sha256)}};
  if (token.expires.has_value()) doc["expires"] = TimeText(*token.expires);
  return doc.dump();
}

absl::StatusOr<User> DecodeUser(std::string_view text) {
  return Decode<User>(text, "user", [](const json& doc) -> absl::StatusOr<User> {
    User user{doc.at("name").get<std::string>(), doc.at("password_hash").get<std::string>(),
              doc.at("roles").get<std::vector<std::string>>()};
    absl::StatusOr<absl::Time> created = ParseTimeField(doc, "created");
    if (!created.ok()) return created.status();
    user.created = *created;
    user.disabled = doc.at("disabled").get<bool>();
    return user;
  });
}

absl::StatusOr<Role> DecodeRole(std::string_view text) {
  return Decode<Role>(text, "role", [](const json& doc) -> absl::StatusOr<Role> {
    Role role{doc.at("name").get<std::string>(), doc.value("description", "")};
    absl::StatusOr<std::vector<Action>> actions =
        ParseActionNames(doc.at("actions").get<std::vector<std::string>>());
    if (!actions.ok()) return actions.status();
    role.actions = std::move(*actions);
    role.services = doc.value("services", std::vector<std::string>());
    absl::StatusOr<std::vector<AttributeRule>> rules =
        DecodeRules(doc.value("attribute_rules", json::array()));
    if (!rules.ok()) return rules.status();
    role.attribute_rules = std::move(*rules);
    role.builtin = doc.value("builtin", false);
    return role;
  });
}

absl::StatusOr<ApiToken> DecodeApiToken(std::string_view text) {
  return Decode<ApiToken>(text, "token", [](const json& doc) -> absl::StatusOr<ApiToken> {
    ApiToken token{doc.at("id").get<std::string>(), doc.at("name").get<std::string>(),
                   doc.at("owner").get<std::string>(),
                   doc.at("roles").get<std::vector<std::string>>()};
    absl::StatusOr<absl::Time> created = ParseTimeField(doc, "created");
    if (!created.ok()) return created.status();
    token.created = *created;
    if (doc.contains("expires")) {
      absl::StatusOr<absl::Time> expires = ParseTimeField(doc, "expires");
      if (!expires.ok()) return expires.status();
      token.expires = *expires;
    }
    token.revoked = doc.at("revoked").get<bool>();
    if (!HexDecode(doc.at("secret_sha256").get<std::string>(), &token.secret_sha256) ||
        token.secret_sha256.size() != 32) {
      return absl::InvalidArgumentError("secret_sha256: not 64 hex characters");
    }
    return token;
  });
}

}  // namespace spanvault
