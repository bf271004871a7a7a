#include "server/http_auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace spanvault {
namespace {

std::optional<std::string> OptionalHeader(const HttpRequest& request, const std::string& name) {
  std::string_view value = request.Header(absl::AsciiStrToLower(name));
  if (value.empty()) return std::nullopt;
  return std::string(value);
}

// The scheme of the credentials presented ("Basic", "Bearer", "proxy headers"), or "" when the
// request presents none. Never the credentials themselves.
std::string Scheme(const AuthRequest& auth) {
  if (!auth.authorization.empty())
    return auth.authorization.substr(0, auth.authorization.find(' '));
  if (auth.proxy_user.has_value()) return "proxy headers";
  return "";
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
    absl::StatusOr<Principal> caller = authenticator.Authenticate(auth);
    std::string scheme = Scheme(auth);
    if (caller.ok() || scheme.empty()) return caller;
    AuditRecord record;
    record.remote_address = request.remote_address;
    record.api = absl::StrCat(listener, " ", request.method, " ", request.path);
    record.action = "login";
    record.params = nlohmann::json{{"scheme", scheme}}.dump();
    record.allowed = false;
    record.detail = std::string(caller.status().message());
    absl::Status written = audit.Append(std::move(record));
    if (!written.ok()) {
      spdlog::error("cannot write the audit log: {}", std::string(written.message()));
      return absl::StatusOr<Principal>(
          absl::UnavailableError("the audit log cannot be written; try again later"));
    }
    return caller;
  };
}

}  // namespace spanvault
