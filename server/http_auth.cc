#include "server/http_auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "auth/audit_records.h"

namespace spanvault {
namespace {

std::optional<std::string> OptionalHeader(const HttpRequest& request, const std::string& name) {
  std::string_view value = request.Header(absl::AsciiStrToLower(name));
  if (value.empty()) return std::nullopt;
  return std::string(value);
}

}  // namespace

JaegerHttpApi::CallerOf MakeHttpCallerOf(Authenticator& authenticator, AuditLog& audit,
                                         std::string listener) {
  return [&authenticator, &audit, listener](const HttpRequest& request) {
    AuthRequest auth;
    auth.authorization = std::string(request.Header("authorization"));
    auth.remote_address = request.remote_address;
    auth.proxy_user = OptionalHeader(request, authenticator.proxy_options().user_header);
    auth.proxy_groups = OptionalHeader(request, authenticator.proxy_options().groups_header);
    auth.tls_peer_names = request.tls_peer_names;
    absl::StatusOr<Principal> caller = authenticator.Authenticate(auth);
    // A browser's first request carries nothing: that is not a failed login.
    if (caller.ok() || ClaimedIdentity(auth).scheme.empty()) return caller;
    absl::Status written = audit.AppendRefusal(LoginFailureRecord(
        auth, absl::StrCat(listener, " ", request.method, " ", request.path), caller.status()));
    if (!written.ok()) return absl::StatusOr<Principal>(written);
    return caller;
  };
}

}  // namespace spanvault
