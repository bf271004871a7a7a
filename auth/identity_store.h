#pragma once

// IdentityStore: the users, roles and API tokens spanvault authenticates and authorizes with,
// persisted in a KvStore as one JSON record per key ("user/<name>", "role/<name>",
// "token/<id>", and "meta/bootstrapped" once the first start has run).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/access_policy.h"
#include "auth/api_token.h"
#include "auth/identity_types.h"
#include "auth/password.h"
#include "common/clock.h"
#include "common/kv_store.h"

namespace spanvault {

// OK when `name` matches [a-z0-9._-]{1,64}; else kInvalidArgument naming `field` ("user name").
// The rule for user, role and token names.
absl::Status ValidateIdentityName(std::string_view field, std::string_view name);

struct IdentityStoreOptions {
  // Cost of new password hashes (default: OWASP's). A stored hash with weaker parameters is
  // replaced at the user's next successful login.
  PasswordHashParams password_params;
};

// Thread-safe. Roles are cached in memory (loaded at Open, updated on every role change), so
// resolving a caller's roles never reads the KvStore. Changes (create, update, delete) are
// serialized by one mutex that is held across KvStore calls on purpose: they are rare admin
// actions whose validation (the role exists, the name is free, the role is unused) must hold
// when the write lands. The request path (CheckPassword, CheckToken, ResolveRoles) takes only
// the short cache lock. Secrets never appear in a status message.
class IdentityStore {
 public:
  // Loads the roles. Errors of the KvStore; kDataLoss when a stored role does not decode.
  static absl::StatusOr<std::unique_ptr<IdentityStore>> Open(KvStore& kv, const Clock& clock,
                                                             IdentityStoreOptions options = {});

  // First start: creates the built-in roles (BuiltinRoles()) and an "admin" user with the
  // "admin" role and a random 24-character password, in one atomic write, and returns that
  // password (the only time it is available). Later calls change nothing and return nullopt.
  absl::StatusOr<std::optional<std::string>> Bootstrap();

  // Users. kInvalidArgument naming the field for a bad name, a password outside 8..1024 bytes
  // or an unknown role; kAlreadyExists / kNotFound for the name. kFailedPrecondition for a
  // change that would leave no enabled user able to administer users and roles (the last
  // administrator cannot be deleted, disabled or lose that role; nor can UpdateRole take the
  // actions from the role only they hold).
  absl::Status CreateUser(const std::string& name, std::string_view password,
                          std::vector<std::string> roles);
  absl::StatusOr<User> GetUser(const std::string& name);
  absl::StatusOr<std::vector<User>> ListUsers();
  absl::Status SetUserPassword(const std::string& name, std::string_view password);
  absl::Status SetUserRoles(const std::string& name, std::vector<std::string> roles);
  absl::Status SetUserDisabled(const std::string& name, bool disabled);
  absl::Status DeleteUser(const std::string& name);

  // The user when `name` exists, is enabled and `password` matches. kUnauthenticated "invalid
  // credentials" otherwise, whichever the reason, after the same Argon2id work (an unknown
  // name is checked against a dummy hash). Re-hashes a hash with weaker parameters.
  // A password that matched is remembered for a few minutes (as a salted SHA-256, against the
  // stored hash it matched), so that HTTP Basic, which sends it with every request, costs one
  // Argon2id run per user and period instead of one per request; a changed password or a
  // disabled user takes effect at once, as the user record is read on every call.
  absl::StatusOr<User> CheckPassword(const std::string& name, std::string_view password);

  // Roles. Custom roles can be created, updated and deleted; built-in roles can be updated but
  // not deleted, and the "admin" role must keep admin:users and admin:roles (else nobody could
  // repair the roles). A role that a user or an unrevoked token holds cannot be deleted
  // (kFailedPrecondition naming the holder). kInvalidArgument naming the field for a bad name,
  // an empty service or attribute glob, or a description over 256 bytes.
  std::vector<Role> ListRoles() const;
  absl::StatusOr<Role> GetRole(const std::string& name) const;
  absl::Status CreateRole(Role role);
  absl::Status UpdateRole(Role role);
  absl::Status DeleteRole(const std::string& name);
  // The cached roles named in `names`; unknown names are skipped. Never reads the KvStore.
  std::vector<Role> ResolveRoles(const std::vector<std::string>& names) const;

  // API tokens. CreateToken returns the full token text once; only its hash is kept.
  // kInvalidArgument for a bad name or owner, an unknown role, or an expiry in the past.
  absl::StatusOr<NewApiToken> CreateToken(const std::string& name, const std::string& owner,
                                          std::vector<std::string> roles,
                                          std::optional<absl::Time> expires);
  absl::StatusOr<ApiToken> GetToken(const std::string& id);
  absl::StatusOr<std::vector<ApiToken>> ListTokens();
  // Marks the token revoked (kept for the record); kNotFound for an unknown id.
  absl::Status RevokeToken(const std::string& id);
  absl::Status DeleteToken(const std::string& id);

  // The token record when `presented` is a well-formed token whose id exists, whose secret
  // matches (constant time) and which is neither revoked nor expired. kUnauthenticated
  // "invalid credentials" otherwise.
  absl::StatusOr<ApiToken> CheckToken(std::string_view presented);

 private:
  IdentityStore(KvStore& kv, const Clock& clock, IdentityStoreOptions options,
                std::string dummy_hash, std::map<std::string, Role> roles);

  absl::StatusOr<std::optional<User>> ReadUser(const std::string& name);
  absl::StatusOr<std::optional<ApiToken>> ReadToken(const std::string& id);
  absl::Status CheckRolesExist(const std::vector<std::string>& roles) const
      ABSL_LOCKS_EXCLUDED(cache_mu_);
  // Reads user `name` (kNotFound when absent), applies `change` and writes it back.
  template <typename Fn>
  absl::Status ModifyUserLocked(const std::string& name, Fn change)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutation_mu_);
  template <typename Fn>
  absl::Status ModifyTokenLocked(const std::string& id, Fn change)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutation_mu_);
  absl::Status CheckRoleUnusedLocked(const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutation_mu_);
  absl::Status PutRoleLocked(Role role) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutation_mu_);
  // kFailedPrecondition when the change would leave no enabled user whose roles grant
  // admin:users and admin:roles (while there is one now). `user` replaces the stored user named
  // `user_name` (nullopt: that user is removed; empty `user_name`: no user changes), and
  // `role` the stored role of its name.
  struct Change {
    std::string user_name;
    std::optional<User> user;
    std::optional<Role> role;
  };
  absl::Status CheckAdministratorRemainsLocked(const Change& change)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutation_mu_) ABSL_LOCKS_EXCLUDED(cache_mu_);
  void RehashIfWeak(const User& user, std::string_view password);

  KvStore& kv_;
  const Clock& clock_;
  const IdentityStoreOptions options_;
  // An Argon2id hash of a random password, verified against when a name is unknown.
  const std::string dummy_hash_;
  // Passwords that matched recently, by user name (see CheckPassword).
  struct Verified {
    std::string password_hash;  // the stored hash the password matched
    std::string digest;         // SHA-256(pepper_ || password)
    absl::Time until;
  };
  bool RecentlyVerified(const User& user, const std::string& digest)
      ABSL_LOCKS_EXCLUDED(verified_mu_);
  void RememberVerified(const User& user, std::string digest) ABSL_LOCKS_EXCLUDED(verified_mu_);
  const std::string pepper_;
  absl::Mutex verified_mu_;
  std::map<std::string, Verified> verified_ ABSL_GUARDED_BY(verified_mu_);

  absl::Mutex mutation_mu_;
  mutable absl::Mutex cache_mu_ ABSL_ACQUIRED_AFTER(mutation_mu_);
  std::map<std::string, Role> roles_ ABSL_GUARDED_BY(cache_mu_);
};

}  // namespace spanvault
