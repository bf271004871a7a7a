#include "auth/identity_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "auth/identity_codec.h"
#include "common/secret.h"
#include "common/status_macros.h"

namespace spanvault {
namespace {

constexpr char kUserPrefix[] = "user/";
constexpr char kRolePrefix[] = "role/";
constexpr char kTokenPrefix[] = "token/";
constexpr char kBootstrappedKey[] = "meta/bootstrapped";
constexpr char kAdmin[] = "admin";
constexpr size_t kMinPasswordBytes = 8;
constexpr size_t kMaxDescriptionBytes = 256;

absl::Status InvalidCredentials() { return absl::UnauthenticatedError("invalid credentials"); }

absl::Status ValidatePassword(std::string_view password) {
  if (password.size() < kMinPasswordBytes || password.size() > kMaxPasswordBytes) {
    return absl::InvalidArgumentError(absl::StrCat("password: must be ", kMinPasswordBytes, " to ",
                                                   kMaxPasswordBytes, " bytes long"));
  }
  return absl::OkStatus();
}

bool HasAction(const Role& role, Action action) {
  return std::find(role.actions.begin(), role.actions.end(), action) != role.actions.end();
}

absl::Status ValidateRole(const Role& role) {
  SV_RETURN_IF_ERROR(ValidateIdentityName("role name", role.name));
  if (role.description.size() > kMaxDescriptionBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("description: longer than ", kMaxDescriptionBytes, " bytes"));
  }
  for (const std::string& service : role.services) {
    if (service.empty()) return absl::InvalidArgumentError("services: empty service name");
  }
  for (const AttributeRule& rule : role.attribute_rules) {
    if (rule.key_glob.empty()) return absl::InvalidArgumentError("attribute_rules: empty key");
  }
  if (role.name == kAdmin &&
      !(HasAction(role, Action::kAdminUsers) && HasAction(role, Action::kAdminRoles))) {
    return absl::InvalidArgumentError(
        "actions: the admin role must keep admin:users and admin:roles");
  }
  return absl::OkStatus();
}

absl::Status Corrupt(const std::string& key, const absl::Status& status) {
  return absl::DataLossError(
      absl::StrCat("stored record ", key, " is malformed: ", status.message()));
}

// Decodes every value of `entries` with `decode`; kDataLoss naming the key of a bad one.
template <typename T, typename Fn>
absl::StatusOr<std::vector<T>> DecodeAll(
    const std::vector<std::pair<std::string, std::string>>& entries, Fn decode) {
  std::vector<T> out;
  for (const auto& [key, value] : entries) {
    absl::StatusOr<T> decoded = decode(value);
    if (!decoded.ok()) return Corrupt(key, decoded.status());
    out.push_back(std::move(*decoded));
  }
  return out;
}

// Whether some enabled user in `users` holds roles (looked up in `roles`) granting both
// admin:users and admin:roles.
bool SomeoneAdministers(const std::vector<User>& users, const std::map<std::string, Role>& roles) {
  for (const User& user : users) {
    if (user.disabled) continue;
    std::vector<Role> held;
    for (const std::string& name : user.roles) {
      if (auto it = roles.find(name); it != roles.end()) held.push_back(it->second);
    }
    auto policy = AccessPolicy::FromRoles(std::move(held));
    if (policy->Allows(Action::kAdminUsers) && policy->Allows(Action::kAdminRoles)) return true;
  }
  return false;
}

bool Holds(const std::vector<std::string>& roles, const std::string& role) {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

}  // namespace

absl::Status ValidateIdentityName(std::string_view field, std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), " \"",
                                                 std::string(name.substr(0, 64)),
                                                 "\": must match [a-z0-9._-]{1,64}"));
}

absl::StatusOr<std::unique_ptr<IdentityStore>> IdentityStore::Open(KvStore& kv, const Clock& clock,
                                                                   IdentityStoreOptions options) {
  SV_ASSIGN_OR_RETURN(auto entries, kv.Scan(kRolePrefix));
  SV_ASSIGN_OR_RETURN(std::vector<Role> roles, DecodeAll<Role>(entries, DecodeRole));
  std::map<std::string, Role> by_name;
  for (Role& role : roles) by_name.emplace(role.name, std::move(role));

  SV_ASSIGN_OR_RETURN(std::string dummy_password, GeneratePassword());
  SV_ASSIGN_OR_RETURN(std::string dummy_hash,
                      HashPassword(dummy_password, options.password_params));
  Wipe(dummy_password);
  return std::unique_ptr<IdentityStore>(
      new IdentityStore(kv, clock, std::move(options), std::move(dummy_hash), std::move(by_name)));
}

IdentityStore::IdentityStore(KvStore& kv, const Clock& clock, IdentityStoreOptions options,
                             std::string dummy_hash, std::map<std::string, Role> roles)
    : kv_(kv),
      clock_(clock),
      options_(std::move(options)),
      dummy_hash_(std::move(dummy_hash)),
      pepper_(RandomBytes(32).value_or(std::string(32, '\0'))),
      roles_(std::move(roles)) {}

absl::StatusOr<std::optional<std::string>> IdentityStore::Bootstrap() {
  absl::MutexLock lock(&mutation_mu_);
  SV_ASSIGN_OR_RETURN(std::optional<std::string> done, kv_.Get(kBootstrappedKey));
  if (done.has_value()) return std::optional<std::string>();

  SV_ASSIGN_OR_RETURN(std::string password, GeneratePassword());
  SV_ASSIGN_OR_RETURN(std::string hash, HashPassword(password, options_.password_params));
  User admin{kAdmin, std::move(hash), {kAdmin}, clock_.Now()};
  KvWrite write;
  std::vector<Role> builtin = BuiltinRoles();
  for (const Role& role : builtin)
    write.puts.emplace_back(kRolePrefix + role.name, EncodeRole(role));
  write.puts.emplace_back(kUserPrefix + admin.name, EncodeUser(admin));
  write.puts.emplace_back(kBootstrappedKey, "1");
  absl::Status written = kv_.Write(write);
  if (!written.ok()) {
    Wipe(password);
    return written;
  }
  absl::MutexLock cache_lock(&cache_mu_);
  for (Role& role : builtin) roles_[role.name] = std::move(role);
  return std::optional<std::string>(std::move(password));
}

// ---- users ----

absl::StatusOr<std::optional<User>> IdentityStore::ReadUser(const std::string& name) {
  const std::string key = kUserPrefix + name;
  SV_ASSIGN_OR_RETURN(std::optional<std::string> value, kv_.Get(key));
  if (!value.has_value()) return std::optional<User>();
  absl::StatusOr<User> user = DecodeUser(*value);
  if (!user.ok()) return Corrupt(key, user.status());
  return std::optional<User>(std::move(*user));
}

absl::Status IdentityStore::CheckRolesExist(const std::vector<std::string>& roles) const {
  absl::MutexLock lock(&cache_mu_);
  for (const std::string& role : roles) {
    if (roles_.find(role) == roles_.end()) {
      return absl::InvalidArgumentError(absl::StrCat("roles: unknown role \"", role, "\""));
    }
  }
  return absl::OkStatus();
}

absl::Status IdentityStore::CreateUser(const std::string& name, std::string_view password,
                                       std::vector<std::string> roles) {
  SV_RETURN_IF_ERROR(ValidateIdentityName("user name", name));
  SV_RETURN_IF_ERROR(ValidatePassword(password));
  absl::MutexLock lock(&mutation_mu_);
  SV_RETURN_IF_ERROR(CheckRolesExist(roles));
  SV_ASSIGN_OR_RETURN(std::optional<User> existing, ReadUser(name));
  if (existing.has_value()) {
    return absl::AlreadyExistsError(absl::StrCat("user \"", name, "\" already exists"));
  }
  SV_ASSIGN_OR_RETURN(std::string hash, HashPassword(password, options_.password_params));
  User user{name, std::move(hash), std::move(roles), clock_.Now()};
  return kv_.Write({{{kUserPrefix + name, EncodeUser(user)}}, {}});
}

absl::StatusOr<User> IdentityStore::GetUser(const std::string& name) {
  SV_ASSIGN_OR_RETURN(std::optional<User> user, ReadUser(name));
  if (!user.has_value()) return absl::NotFoundError(absl::StrCat("no user \"", name, "\""));
  return std::move(*user);
}

absl::StatusOr<std::vector<User>> IdentityStore::ListUsers() {
  SV_ASSIGN_OR_RETURN(auto entries, kv_.Scan(kUserPrefix));
  return DecodeAll<User>(entries, DecodeUser);
}

template <typename Fn>
absl::Status IdentityStore::ModifyUserLocked(const std::string& name, Fn change) {
  SV_ASSIGN_OR_RETURN(std::optional<User> user, ReadUser(name));
  if (!user.has_value()) return absl::NotFoundError(absl::StrCat("no user \"", name, "\""));
  SV_RETURN_IF_ERROR(change(*user));
  return kv_.Write({{{kUserPrefix + name, EncodeUser(*user)}}, {}});
}

absl::Status IdentityStore::SetUserPassword(const std::string& name, std::string_view password) {
  SV_RETURN_IF_ERROR(ValidatePassword(password));
  SV_ASSIGN_OR_RETURN(std::string hash, HashPassword(password, options_.password_params));
  absl::MutexLock lock(&mutation_mu_);
  return ModifyUserLocked(name, [&](User& user) {
    user.password_hash = std::move(hash);
    return absl::OkStatus();
  });
}

absl::Status IdentityStore::SetUserRoles(const std::string& name, std::vector<std::string> roles) {
  absl::MutexLock lock(&mutation_mu_);
  SV_RETURN_IF_ERROR(CheckRolesExist(roles));
  return ModifyUserLocked(name, [&](User& user) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutation_mu_) {
    user.roles = std::move(roles);
    return CheckAdministratorRemainsLocked({name, user, std::nullopt});
  });
}

absl::Status IdentityStore::SetUserDisabled(const std::string& name, bool disabled) {
  absl::MutexLock lock(&mutation_mu_);
  return ModifyUserLocked(name, [&](User& user) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutation_mu_) {
    user.disabled = disabled;
    return CheckAdministratorRemainsLocked({name, user, std::nullopt});
  });
}

absl::Status IdentityStore::DeleteUser(const std::string& name) {
  absl::MutexLock lock(&mutation_mu_);
  SV_ASSIGN_OR_RETURN(std::optional<User> user, ReadUser(name));
  if (!user.has_value()) return absl::NotFoundError(absl::StrCat("no user \"", name, "\""));
  SV_RETURN_IF_ERROR(CheckAdministratorRemainsLocked({name, std::nullopt, std::nullopt}));
  return kv_.Write({{}, {kUserPrefix + name}});
}

absl::Status IdentityStore::CheckAdministratorRemainsLocked(const Change& change) {
  SV_ASSIGN_OR_RETURN(std::vector<User> users, ListUsers());
  std::map<std::string, Role> roles;
  {
    absl::MutexLock lock(&cache_mu_);
    roles = roles_;
  }
  if (!SomeoneAdministers(users, roles)) return absl::OkStatus();  // nothing to keep
  if (!change.user_name.empty()) {
    std::erase_if(users, [&](const User& u) { return u.name == change.user_name; });
    if (change.user.has_value()) users.push_back(*change.user);
  }
  if (change.role.has_value()) roles[change.role->name] = *change.role;
  if (SomeoneAdministers(users, roles)) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "this would leave no enabled user who can administer users and roles (admin:users and "
      "admin:roles); give another user the admin role first");
}

absl::StatusOr<User> IdentityStore::CheckPassword(const std::string& name,
                                                  std::string_view password) {
  absl::StatusOr<std::optional<User>> user = std::optional<User>();
  if (ValidateIdentityName("user name", name).ok()) user = ReadUser(name);
  if (!user.ok()) return user.status();
  const bool known = user->has_value() && !(*user)->password_hash.empty();
  std::string digest = Sha256(pepper_ + std::string(password));
  if (known && !(*user)->disabled && RecentlyVerified(**user, digest)) return std::move(**user);
  // The same Argon2id work whether or not the user exists, so timing does not tell.
  const bool matches = VerifyPassword(password, known ? (*user)->password_hash : dummy_hash_);
  if (!known || !matches || (*user)->disabled) return InvalidCredentials();
  RehashIfWeak(**user, password);
  RememberVerified(**user, std::move(digest));
  return std::move(**user);
}

namespace {
constexpr absl::Duration kVerifiedFor = absl::Minutes(5);
constexpr size_t kMaxVerified = 10000;
}  // namespace

bool IdentityStore::RecentlyVerified(const User& user, const std::string& digest) {
  absl::MutexLock lock(&verified_mu_);
  auto it = verified_.find(user.name);
  return it != verified_.end() && it->second.password_hash == user.password_hash &&
         clock_.Now() < it->second.until && SecretEquals(it->second.digest, digest);
}

void IdentityStore::RememberVerified(const User& user, std::string digest) {
  absl::MutexLock lock(&verified_mu_);
  if (verified_.size() >= kMaxVerified) verified_.clear();
  verified_[user.name] =
      Verified{user.password_hash, std::move(digest), clock_.Now() + kVerifiedFor};
}

void IdentityStore::RehashIfWeak(const User& user, std::string_view password) {
  if (!NeedsRehash(user.password_hash, options_.password_params)) return;
  absl::StatusOr<std::string> hash = HashPassword(password, options_.password_params);
  if (!hash.ok()) return;  // the login stands; the upgrade is tried again next time
  absl::MutexLock lock(&mutation_mu_);
  // Only when the hash did not change meanwhile (a concurrent password change wins).
  absl::Status ignored = ModifyUserLocked(user.name, [&](User& stored) {
    if (stored.password_hash != user.password_hash) return absl::AbortedError("changed");
    stored.password_hash = std::move(*hash);
    return absl::OkStatus();
  });
  (void)ignored;
}

// ---- roles ----

std::vector<Role> IdentityStore::ListRoles() const {
  absl::MutexLock lock(&cache_mu_);
  std::vector<Role> out;
  for (const auto& [name, role] : roles_) out.push_back(role);
  return out;
}

absl::StatusOr<Role> IdentityStore::GetRole(const std::string& name) const {
  absl::MutexLock lock(&cache_mu_);
  auto it = roles_.find(name);
  if (it == roles_.end()) return absl::NotFoundError(absl::StrCat("no role \"", name, "\""));
  return it->second;
}

std::vector<Role> IdentityStore::ResolveRoles(const std::vector<std::string>& names) const {
  absl::MutexLock lock(&cache_mu_);
  std::vector<Role> out;
  for (const std::string& name : names) {
    auto it = roles_.find(name);
    if (it != roles_.end()) out.push_back(it->second);
  }
  return out;
}

absl::Status IdentityStore::PutRoleLocked(Role role) {
  SV_RETURN_IF_ERROR(kv_.Write({{{kRolePrefix + role.name, EncodeRole(role)}}, {}}));
  absl::MutexLock lock(&cache_mu_);
  std::string name = role.name;
  roles_[name] = std::move(role);
  return absl::OkStatus();
}

absl::Status IdentityStore::CreateRole(Role role) {
  SV_RETURN_IF_ERROR(ValidateRole(role));
  absl::MutexLock lock(&mutation_mu_);
  if (GetRole(role.name).ok()) {
    return absl::AlreadyExistsError(absl::StrCat("role \"", role.name, "\" already exists"));
  }
  role.builtin = false;
  return PutRoleLocked(std::move(role));
}

absl::Status IdentityStore::UpdateRole(Role role) {
  SV_RETURN_IF_ERROR(ValidateRole(role));
  absl::MutexLock lock(&mutation_mu_);
  SV_ASSIGN_OR_RETURN(Role existing, GetRole(role.name));
  role.builtin = existing.builtin;
  SV_RETURN_IF_ERROR(CheckAdministratorRemainsLocked({"", std::nullopt, role}));
  return PutRoleLocked(std::move(role));
}

absl::Status IdentityStore::CheckRoleUnusedLocked(const std::string& name) {
  SV_ASSIGN_OR_RETURN(std::vector<User> users, ListUsers());
  for (const User& user : users) {
    if (Holds(user.roles, name)) {
      return absl::FailedPreconditionError(
          absl::StrCat("role \"", name, "\" is in use by user \"", user.name, "\""));
    }
  }
  SV_ASSIGN_OR_RETURN(std::vector<ApiToken> tokens, ListTokens());
  for (const ApiToken& token : tokens) {
    if (!token.revoked && Holds(token.roles, name)) {
      return absl::FailedPreconditionError(
          absl::StrCat("role \"", name, "\" is in use by token ", token.id, " (", token.name, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status IdentityStore::DeleteRole(const std::string& name) {
  absl::MutexLock lock(&mutation_mu_);
  SV_ASSIGN_OR_RETURN(Role existing, GetRole(name));
  if (existing.builtin) {
    return absl::FailedPreconditionError(
        absl::StrCat("role \"", name, "\" is built in: it can be edited but not deleted"));
  }
  SV_RETURN_IF_ERROR(CheckRoleUnusedLocked(name));
  SV_RETURN_IF_ERROR(kv_.Write({{}, {kRolePrefix + name}}));
  absl::MutexLock cache_lock(&cache_mu_);
  roles_.erase(name);
  return absl::OkStatus();
}

// ---- tokens ----

absl::StatusOr<std::optional<ApiToken>> IdentityStore::ReadToken(const std::string& id) {
  const std::string key = kTokenPrefix + id;
  SV_ASSIGN_OR_RETURN(std::optional<std::string> value, kv_.Get(key));
  if (!value.has_value()) return std::optional<ApiToken>();
  absl::StatusOr<ApiToken> token = DecodeApiToken(*value);
  if (!token.ok()) return Corrupt(key, token.status());
  return std::optional<ApiToken>(std::move(*token));
}

absl::StatusOr<NewApiToken> IdentityStore::CreateToken(const std::string& name,
                                                       const std::string& owner,
                                                       std::vector<std::string> roles,
                                                       std::optional<absl::Time> expires) {
  SV_RETURN_IF_ERROR(ValidateIdentityName("token name", name));
  SV_RETURN_IF_ERROR(ValidateIdentityName("owner", owner));
  const absl::Time now = clock_.Now();
  if (expires.has_value() && *expires <= now) {
    return absl::InvalidArgumentError("expires: must be in the future");
  }
  absl::MutexLock lock(&mutation_mu_);
  SV_RETURN_IF_ERROR(CheckRolesExist(roles));
  SV_ASSIGN_OR_RETURN(NewApiToken made, MakeApiToken(name, owner, std::move(roles), now, expires));
  SV_RETURN_IF_ERROR(
      kv_.Write({{{kTokenPrefix + made.record.id, EncodeApiToken(made.record)}}, {}}));
  return made;
}

absl::StatusOr<ApiToken> IdentityStore::GetToken(const std::string& id) {
  SV_ASSIGN_OR_RETURN(std::optional<ApiToken> token, ReadToken(id));
  if (!token.has_value()) return absl::NotFoundError(absl::StrCat("no token ", id));
  return std::move(*token);
}

absl::StatusOr<std::vector<ApiToken>> IdentityStore::ListTokens() {
  SV_ASSIGN_OR_RETURN(auto entries, kv_.Scan(kTokenPrefix));
  return DecodeAll<ApiToken>(entries, DecodeApiToken);
}

template <typename Fn>
absl::Status IdentityStore::ModifyTokenLocked(const std::string& id, Fn change) {
  SV_ASSIGN_OR_RETURN(std::optional<ApiToken> token, ReadToken(id));
  if (!token.has_value()) return absl::NotFoundError(absl::StrCat("no token ", id));
  change(*token);
  return kv_.Write({{{kTokenPrefix + id, EncodeApiToken(*token)}}, {}});
}

absl::Status IdentityStore::RevokeToken(const std::string& id) {
  absl::MutexLock lock(&mutation_mu_);
  return ModifyTokenLocked(id, [](ApiToken& token) { token.revoked = true; });
}

absl::Status IdentityStore::DeleteToken(const std::string& id) {
  absl::MutexLock lock(&mutation_mu_);
  SV_RETURN_IF_ERROR(GetToken(id).status());
  return kv_.Write({{}, {kTokenPrefix + id}});
}

absl::StatusOr<ApiToken> IdentityStore::CheckToken(std::string_view presented) {
  std::optional<PresentedToken> parsed = ParseApiToken(presented);
  if (!parsed.has_value()) return InvalidCredentials();
  absl::StatusOr<std::optional<ApiToken>> token = ReadToken(parsed->id);
  const bool matches =
      token.ok() && token->has_value() && ApiTokenSecretMatches(**token, parsed->secret);
  Wipe(parsed->secret);
  if (!token.ok()) return token.status();
  if (!matches || !ApiTokenUsable(**token, clock_.Now())) return InvalidCredentials();
  return std::move(**token);
}

}  // namespace spanvault
