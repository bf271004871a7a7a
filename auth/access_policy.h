#pragma once

// Roles and what they add up to: the actions a caller may take, the services whose traces it may
// see, and how each attribute is shown to it. QueryService applies an AccessPolicy to every
// answer; the admin API checks its actions.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spanvault {

enum class Action {
  kTracesRead,
  kTracesArchive,
  kAdminUsers,
  kAdminRoles,
  kAdminTokens,
  kAdminSampling,
  kAdminKeys,
  kAdminAudit,
  kIngest,
};

// Every action, in declaration order.
const std::vector<Action>& AllActions();
// "traces:read", "admin:users", ..., "ingest".
std::string_view ActionName(Action action);
// The action named `name`; nullopt for an unknown name.
std::optional<Action> ParseAction(std::string_view name);

// Shell-style glob: '*' matches any run of characters (also none), '?' one character; every
// other character matches itself. "crm-*" matches "crm-api".
bool GlobMatch(std::string_view pattern, std::string_view text);

// How an attribute is shown. Ordered from the most to the least visible.
enum class AttributeAccess { kShow = 0, kRedact = 1, kHide = 2 };

// The value a redacted attribute shows.
inline constexpr char kRedactedValue[] = "[redacted]";

// Applies to span, event, link and resource attributes whose key matches `key_glob`.
struct AttributeRule {
  std::string key_glob;
  AttributeAccess access = AttributeAccess::kRedact;
};

struct Role {
  std::string name;
  std::string description;
  std::vector<Action> actions;
  // Services whose traces the role may read, as names or globs ("*": every service).
  std::vector<std::string> services;
  // The first rule whose glob matches a key decides; no match: shown.
  std::vector<AttributeRule> attribute_rules;
  // One of the roles spanvault creates at first start (they can still be edited).
  bool builtin = false;
};

// The built-in roles for the order pipeline: support, devops, dev and admin (README "Roles").
std::vector<Role> BuiltinRoles();

// What a caller may do and see: the union of its roles. The broader access wins: an action or
// a service granted by any role is granted, and an attribute of a service's span is shown as
// the most visible of the ways the roles that may read that service show it. Immutable;
// thread-safe.
class AccessPolicy {
 public:
  static std::shared_ptr<const AccessPolicy> FromRoles(std::vector<Role> roles);
  // Everything, unredacted: for --insecure-no-auth.
  static std::shared_ptr<const AccessPolicy> Unrestricted();

  bool Allows(Action action) const;
  // Whether traces:read covers `service`.
  bool CanReadService(std::string_view service) const;
  // True when every service is readable and no attribute rule applies (nothing to filter).
  bool ReadsEverything() const { return reads_everything_; }
  // How attribute `key` of a span (or its event, link or resource) of `service` is shown.
  // kHide for a service the caller cannot read.
  AttributeAccess ForAttribute(std::string_view service, std::string_view key) const;

  const std::vector<Role>& roles() const { return roles_; }

 private:
  explicit AccessPolicy(std::vector<Role> roles);
  static bool RoleReads(const Role& role, std::string_view service);

  const std::vector<Role> roles_;
  bool reads_everything_ = false;
};

}  // namespace spanvault
