#include "auth/access_policy.h"

#include <algorithm>

namespace spanvault {
namespace {

constexpr std::pair<Action, std::string_view> kActionNames[] = {
    {Action::kTracesRead, "traces:read"},
    {Action::kTracesArchive, "traces:archive"},
    {Action::kAdminUsers, "admin:users"},
    {Action::kAdminRoles, "admin:roles"},
    {Action::kAdminTokens, "admin:tokens"},
    {Action::kAdminSampling, "admin:sampling"},
    {Action::kAdminKeys, "admin:keys"},
    {Action::kAdminAudit, "admin:audit"},
    {Action::kIngest, "ingest"},
};

bool HasAction(const Role& role, Action action) {
  return std::find(role.actions.begin(), role.actions.end(), action) != role.actions.end();
}

AttributeAccess RuleFor(const Role& role, std::string_view key) {
  for (const AttributeRule& rule : role.attribute_rules) {
    if (GlobMatch(rule.key_glob, key)) return rule.access;
  }
  return AttributeAccess::kShow;
}

// Personal data in the order pipeline's spans.
std::vector<AttributeRule> PersonalData() {
  std::vector<AttributeRule> rules;
  for (const char* key : {"user_id", "email", "phone", "address*", "user.email", "user.phone",
                          "user.full_name", "enduser.id", "client.address"}) {
    rules.push_back({key, AttributeAccess::kRedact});
  }
  return rules;
}

}  // namespace

const std::vector<Action>& AllActions() {
  static const std::vector<Action> kAll = [] {
    std::vector<Action> all;
    for (const auto& [action, name] : kActionNames) all.push_back(action);
    return all;
  }();
  return kAll;
}

std::string_view ActionName(Action action) {
  for (const auto& [a, name] : kActionNames) {
    if (a == action) return name;
  }
  return "unknown";
}

std::optional<Action> ParseAction(std::string_view name) {
  for (const auto& [action, n] : kActionNames) {
    if (n == name) return action;
  }
  return std::nullopt;
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Iterative matching with one backtrack point for the last '*': linear in practice, never
  // exponential.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::vector<Role> BuiltinRoles() {
  Role support{"support",
               "Support engineers: the order path (shop, CRM, MES, sellers), personal data "
               "redacted.",
               {Action::kTracesRead},
               {"shop-*", "crm-*", "mes-*", "seller-*", "rabbitmq*"},
               PersonalData(),
               true};
  Role devops{"devops",
              "DevOps engineers: every service, personal data redacted.",
              {Action::kTracesRead, Action::kTracesArchive, Action::kAdminSampling},
              {"*"},
              PersonalData(),
              true};
  Role dev{"dev",
           "Developers: every service with full attributes (they debug with the real values).",
           {Action::kTracesRead, Action::kTracesArchive, Action::kAdminSampling},
           {"*"},
           {},
           true};
  Role admin{"admin", "Administrators: everything.", AllActions(), {"*"}, {}, true};
  return {support, devops, dev, admin};
}

AccessPolicy::AccessPolicy(std::vector<Role> roles) : roles_(std::move(roles)) {
  for (const Role& role : roles_) {
    if (HasAction(role, Action::kTracesRead) && role.attribute_rules.empty() &&
        std::find(role.services.begin(), role.services.end(), "*") != role.services.end()) {
      reads_everything_ = true;
    }
  }
}

std::shared_ptr<const AccessPolicy> AccessPolicy::FromRoles(std::vector<Role> roles) {
  return std::shared_ptr<const AccessPolicy>(new AccessPolicy(std::move(roles)));
}

std::shared_ptr<const AccessPolicy> AccessPolicy::Unrestricted() {
  static const auto* kUnrestricted = new std::shared_ptr<const AccessPolicy>(
      FromRoles({Role{"unrestricted", "--insecure-no-auth", AllActions(), {"*"}, {}, false}}));
  return *kUnrestricted;
}

bool AccessPolicy::Allows(Action action) const {
  return std::any_of(roles_.begin(), roles_.end(),
                     [action](const Role& r) { return HasAction(r, action); });
}

bool AccessPolicy::RoleReads(const Role& role, std::string_view service) {
  if (!HasAction(role, Action::kTracesRead)) return false;
  return std::any_of(role.services.begin(), role.services.end(),
                     [service](const std::string& glob) { return GlobMatch(glob, service); });
}

bool AccessPolicy::CanReadService(std::string_view service) const {
  if (reads_everything_) return true;
  return std::any_of(roles_.begin(), roles_.end(),
                     [service](const Role& r) { return RoleReads(r, service); });
}

AttributeAccess AccessPolicy::ForAttribute(std::string_view service, std::string_view key) const {
  if (reads_everything_) return AttributeAccess::kShow;
  AttributeAccess best = AttributeAccess::kHide;
  for (const Role& role : roles_) {
    if (!RoleReads(role, service)) continue;
    best = std::min(best, RuleFor(role, key));
    if (best == AttributeAccess::kShow) break;
  }
  return best;
}

}  // namespace spanvault
