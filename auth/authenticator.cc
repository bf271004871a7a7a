#include "auth/authenticator.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "auth/api_token.h"
#include "auth/base64.h"
#include "common/secret.h"

namespace spanvault {
namespace {

constexpr size_t kMaxProxyUserBytes = 256;

absl::Status InvalidCredentials() { return absl::UnauthenticatedError("invalid credentials"); }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return absl::ascii_tolower(static_cast<unsigned char>(x)) ==
                  absl::ascii_tolower(static_cast<unsigned char>(y));
         });
}

bool HasControlOrSpace(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; });
}

// The throttle key of the source address: the address without port, so that changing the
// source port does not start a fresh count.
std::string AddressKey(std::string_view remote_address) {
  return absl::StrCat("addr:", HostOf(remote_address));
}

}  // namespace

Claim ClaimedIdentity(const AuthRequest& request) {
  constexpr size_t kMaxClaimBytes = 256;
  Claim claim;
  if (!request.authorization.empty()) {
    std::string_view header = request.authorization;
    const size_t space = std::min(header.find(' '), header.size());
    claim.scheme = std::string(header.substr(0, std::min(space, kMaxClaimBytes)));
    std::string_view credentials = header.substr(space);
    credentials.remove_prefix(std::min(credentials.find_first_not_of(' '), credentials.size()));
    if (EqualsIgnoreCase(claim.scheme, "Basic")) {
      std::optional<std::string> decoded = Base64Decode(credentials);
      if (decoded.has_value()) {
        const size_t colon = decoded->find(':');
        if (colon != std::string::npos)
          claim.name = decoded->substr(0, std::min(colon, kMaxClaimBytes));
        Wipe(*decoded);
      }
    } else if (std::optional<PresentedToken> token = ParseApiToken(credentials)) {
      claim.name = token->id;
      Wipe(token->secret);
    }
  } else if (request.proxy_user.has_value()) {
    claim.scheme = "proxy headers";
    claim.name = request.proxy_user->substr(0, kMaxClaimBytes);
  } else if (!request.tls_peer_names.empty()) {
    claim.scheme = "client certificate";
    claim.name = request.tls_peer_names.front().substr(0, kMaxClaimBytes);
  }
  return claim;
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(AuthenticatorOptions options,
                                                                     IdentityStore& identities,
                                                                     const JwtVerifier* jwt,
                                                                     const Clock& clock) {
  absl::StatusOr<CidrSet> trusted = CidrSet::Parse(options.proxy.trusted_cidrs);
  if (!trusted.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("proxy.trusted_cidrs: ", std::string(trusted.status().message())));
  }
  return std::unique_ptr<Authenticator>(
      new Authenticator(std::move(options), std::move(*trusted), identities, jwt, clock));
}

Authenticator::Authenticator(AuthenticatorOptions options, CidrSet trusted,
                             IdentityStore& identities, const JwtVerifier* jwt, const Clock& clock)
    : options_(std::move(options)),
      trusted_(std::move(trusted)),
      identities_(identities),
      jwt_(jwt),
      user_throttle_(options_.user_throttle, clock),
      address_throttle_(options_.address_throttle, clock) {}

absl::StatusOr<Principal> Authenticator::Authenticate(const AuthRequest& request) {
  if (!request.authorization.empty()) return FromAuthorization(request);
  if (request.proxy_user.has_value()) {
    if (trusted_.Contains(request.remote_address)) return FromProxy(request);
    Note(absl::StrCat("ignored ", options_.proxy.user_header, " from untrusted address ",
                      request.remote_address));
  }
  if (std::optional<absl::StatusOr<Principal>> tls = FromTls(request)) return std::move(*tls);
  return absl::UnauthenticatedError("credentials required");
}

absl::StatusOr<Principal> Authenticator::FromAuthorization(const AuthRequest& request) {
  std::string_view header = request.authorization;
  const size_t space = header.find(' ');
  if (space == std::string_view::npos) return InvalidCredentials();
  std::string_view scheme = header.substr(0, space), credentials = header.substr(space + 1);
  credentials.remove_prefix(std::min(credentials.find_first_not_of(' '), credentials.size()));
  if (credentials.empty() || HasControlOrSpace(credentials)) return InvalidCredentials();
  if (EqualsIgnoreCase(scheme, "Basic")) return FromBasic(credentials, request);
  if (!EqualsIgnoreCase(scheme, "Bearer")) {
    return absl::UnauthenticatedError("unsupported authorization scheme (Basic, Bearer)");
  }
  if (IsApiTokenText(credentials)) return FromApiToken(credentials, request);
  return FromJwt(credentials, request);
}

absl::StatusOr<Principal> Authenticator::FromBasic(std::string_view credentials,
                                                   const AuthRequest& request) {
  std::optional<std::string> decoded = Base64Decode(credentials);
  const size_t colon = decoded.has_value() ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos) {
    if (decoded.has_value()) Wipe(*decoded);
    return InvalidCredentials();
  }
  const std::string user = decoded->substr(0, colon);
  const std::string user_key = absl::StrCat("user:", user);
  const std::string address_key = AddressKey(request.remote_address);
  absl::Status allowed = address_throttle_.Check(address_key);
  if (allowed.ok()) allowed = user_throttle_.Check(user_key);
  if (!allowed.ok()) {
    Wipe(*decoded);
    return allowed;
  }
  absl::StatusOr<User> checked =
      identities_.CheckPassword(user, std::string_view(*decoded).substr(colon + 1));
  Wipe(*decoded);
  if (!checked.ok()) {
    if (checked.status().code() != absl::StatusCode::kUnauthenticated) return checked.status();
    user_throttle_.RecordFailure(user_key);
    address_throttle_.RecordFailure(address_key);
    return checked.status();
  }
  user_throttle_.RecordSuccess(user_key);
  return MakePrincipal(checked->name, checked->roles, request, "basic");
}

absl::StatusOr<Principal> Authenticator::FromApiToken(std::string_view token,
                                                      const AuthRequest& request) {
  const std::string address_key = AddressKey(request.remote_address);
  absl::Status allowed = address_throttle_.Check(address_key);
  if (!allowed.ok()) return allowed;
  absl::StatusOr<ApiToken> checked = identities_.CheckToken(token);
  if (!checked.ok()) {
    if (checked.status().code() == absl::StatusCode::kUnauthenticated) {
      address_throttle_.RecordFailure(address_key);
    }
    return checked.status();
  }
  return MakePrincipal(checked->name, checked->roles, request, "token");
}

absl::StatusOr<Principal> Authenticator::FromJwt(std::string_view token,
                                                 const AuthRequest& request) {
  if (jwt_ == nullptr) return InvalidCredentials();
  absl::StatusOr<JwtIdentity> identity = jwt_->Verify(token);
  if (!identity.ok()) return identity.status();
  return MakePrincipal(identity->subject, RolesForGroups(identity->groups), request, "jwt");
}

absl::StatusOr<Principal> Authenticator::FromProxy(const AuthRequest& request) {
  const std::string& user = *request.proxy_user;
  if (user.empty() || user.size() > kMaxProxyUserBytes ||
      std::any_of(user.begin(), user.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return absl::UnauthenticatedError(
        absl::StrCat(options_.proxy.user_header, " is empty, too long or has control characters"));
  }
  std::vector<std::string> groups;
  if (request.proxy_groups.has_value()) {
    for (absl::string_view group : absl::StrSplit(*request.proxy_groups, ',')) {
      group = absl::StripAsciiWhitespace(group);
      if (!group.empty()) groups.emplace_back(group);
    }
  }
  return MakePrincipal(user, RolesForGroups(groups), request, "proxy");
}

std::optional<absl::StatusOr<Principal>> Authenticator::FromTls(const AuthRequest& request) {
  for (const std::string& name : request.tls_peer_names) {
    auto it = options_.tls_users.find(name);
    if (it == options_.tls_users.end()) continue;
    absl::StatusOr<User> user = identities_.GetUser(it->second);
    if (!user.ok() && user.status().code() != absl::StatusCode::kNotFound) return user.status();
    if (!user.ok() || user->disabled) {
      Note(absl::StrCat("client certificate ", name, " maps to user ", it->second,
                        ", which is missing or disabled"));
      return absl::StatusOr<Principal>(InvalidCredentials());
    }
    return MakePrincipal(user->name, user->roles, request, "mtls");
  }
  return std::nullopt;
}

std::vector<std::string> Authenticator::RolesForGroups(
    const std::vector<std::string>& groups) const {
  std::vector<std::string> roles;
  for (const std::string& group : groups) {
    auto it = options_.group_roles.find(group);
    if (it == options_.group_roles.end()) continue;
    for (const std::string& role : it->second) {
      if (std::find(roles.begin(), roles.end(), role) == roles.end()) roles.push_back(role);
    }
  }
  return roles;
}

Principal Authenticator::MakePrincipal(std::string subject, const std::vector<std::string>& roles,
                                       const AuthRequest& request, std::string method) const {
  std::vector<Role> resolved = identities_.ResolveRoles(roles);
  std::vector<std::string> names;
  for (const Role& role : resolved) names.push_back(role.name);
  return Principal{std::move(subject), std::move(names), request.remote_address,
                   AccessPolicy::FromRoles(std::move(resolved)), std::move(method)};
}

void Authenticator::Note(std::string note) const {
  if (options_.on_note) options_.on_note(note);
}

}  // namespace spanvault
