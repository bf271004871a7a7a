#include "server/grpc_auth_request.h"

#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "grpc/grpc_security_constants.h"

namespace spanvault {
namespace {

// The value of metadata `key` (matched in lower case, as gRPC stores it).
std::optional<std::string> Metadata(const grpc::ServerContext& context, std::string_view key) {
  const auto& metadata = context.client_metadata();
  std::string lower = absl::AsciiStrToLower(absl::string_view(key.data(), key.size()));
  auto it = metadata.find(grpc::string_ref(lower.data(), lower.size()));
  if (it == metadata.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

std::vector<std::string> PeerNames(const grpc::ServerContext& context) {
  std::vector<std::string> names;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return names;
  auto add = [&](const char* property, std::string_view prefix) {
    for (const grpc::string_ref& value : auth->FindPropertyValues(property)) {
      names.push_back(absl::StrCat(std::string(prefix), std::string(value.data(), value.size())));
    }
  };
  add(GRPC_X509_SUBJECT_PROPERTY_NAME, "");
  add(GRPC_X509_CN_PROPERTY_NAME, "CN=");
  add(GRPC_X509_SAN_PROPERTY_NAME, "");
  return names;
}

// The forwarded token as an Authorization value. jaeger-query sends the bare token; a value
// that already names the Bearer scheme is taken as it is.
std::optional<std::string> ForwardedBearer(const grpc::ServerContext& context) {
  std::optional<std::string> token = Metadata(context, "bearer.token");
  if (!token.has_value() || token->empty()) return std::nullopt;
  constexpr std::string_view kScheme = "bearer ";
  if (token->size() > kScheme.size() &&
      absl::AsciiStrToLower(token->substr(0, kScheme.size())) == kScheme) {
    return token;
  }
  return absl::StrCat("Bearer ", *token);
}

}  // namespace

AuthRequest GrpcAuthRequest(const grpc::ServerContext& context, const ProxyAuthOptions* proxy,
                            bool forwarded_bearer_token) {
  AuthRequest request;
  std::optional<std::string> forwarded;
  if (forwarded_bearer_token) forwarded = ForwardedBearer(context);
  request.authorization =
      forwarded.has_value() ? *forwarded : Metadata(context, "authorization").value_or("");
  request.remote_address = context.peer();
  request.tls_peer_names = PeerNames(context);
  if (proxy != nullptr && !proxy->user_header.empty()) {
    request.proxy_user = Metadata(context, proxy->user_header);
  }
  if (proxy != nullptr && !proxy->groups_header.empty()) {
    request.proxy_groups = Metadata(context, proxy->groups_header);
  }
  return request;
}

}  // namespace spanvault
