#include "server/query_grpc_server.h"

#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "auth/audit_log.h"
#include "auth/authenticator.h"
#include "common/grpc_server.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "nlohmann/json.hpp"
#include "query/jaeger_grpc_v2.h"
#include "query/jaeger_grpc_v3.h"
#include "spdlog/spdlog.h"

namespace spanvault {
namespace {

std::optional<std::string> Metadata(const grpc::ServerContext& context, std::string_view key) {
  const auto& metadata = context.client_metadata();
  std::string lower = absl::AsciiStrToLower(absl::string_view(key.data(), key.size()));
  auto it = metadata.find(grpc::string_ref(lower.data(), lower.size()));
  if (it == metadata.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

AuthRequest AuthRequestOf(const grpc::ServerContext& context, const ProxyAuthOptions& proxy) {
  AuthRequest request;
  request.authorization = Metadata(context, "authorization").value_or("");
  request.remote_address = context.peer();
  if (!proxy.user_header.empty()) request.proxy_user = Metadata(context, proxy.user_header);
  if (!proxy.groups_header.empty()) request.proxy_groups = Metadata(context, proxy.groups_header);
  return request;
}

// The scheme of the credentials presented ("Basic", "Bearer", "proxy headers"), or "" for
// none. Never the credentials themselves.
std::string Scheme(const AuthRequest& auth) {
  if (!auth.authorization.empty()) {
    return auth.authorization.substr(0, auth.authorization.find(' '));
  }
  return auth.proxy_user.has_value() ? "proxy headers" : "";
}

// Records a failed login; kUnavailable when the audit log cannot be written.
absl::Status AuditFailedLogin(AuditLog& audit, const AuthRequest& auth, const absl::Status& why,
                              std::string_view method) {
  AuditRecord record;
  record.remote_address = auth.remote_address;
  record.api = absl::StrCat("query_grpc ", std::string(method));
  record.action = "login";
  record.params = nlohmann::json{{"scheme", Scheme(auth)}}.dump();
  record.allowed = false;
  record.detail = std::string(why.message());
  absl::Status written = audit.Append(std::move(record));
  if (written.ok()) return written;
  spdlog::error("cannot write the audit log: {}", std::string(written.message()));
  return absl::UnavailableError("the audit log cannot be written; try again later");
}

}  // namespace

GrpcCallerOf MakeQueryGrpcCallerOf(Authenticator* authenticator, AuditLog& audit,
                                   std::function<bool(const std::string& peer)> admit) {
  return [authenticator, &audit, admit = std::move(admit)](
             grpc::ServerContext& context, std::string_view method) -> absl::StatusOr<Principal> {
    if (admit && !admit(context.peer())) {  // refused and audited by admit
      return absl::PermissionDeniedError("your address is not in this listener's allowed_cidrs");
    }
    if (authenticator == nullptr) return Principal::Anonymous(context.peer());
    AuthRequest auth = AuthRequestOf(context, authenticator->proxy_options());
    absl::StatusOr<Principal> caller = authenticator->Authenticate(auth);
    if (caller.ok() || Scheme(auth).empty()) return caller;
    absl::Status written = AuditFailedLogin(audit, auth, caller.status(), method);
    if (!written.ok()) return written;
    return caller;
  };
}

QueryGrpcServer::QueryGrpcServer(std::string address, QueryService& queries, GrpcCallerOf caller_of)
    : address_(std::move(address)),
      v2_(std::make_unique<JaegerGrpcV2>(queries, caller_of)),
      v3_(std::make_unique<JaegerGrpcV3>(queries, std::move(caller_of))) {}

QueryGrpcServer::~QueryGrpcServer() { Shutdown(absl::ZeroDuration()); }

absl::Status QueryGrpcServer::Start(const std::shared_ptr<grpc::ServerCredentials>& credentials) {
  // Registers the reflection service with every ServerBuilder created from now on (gRPC has no
  // per-server switch).
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  auto listener = StartGrpcListener(address_, {v2_.get(), v3_.get()}, 0, credentials);
  if (!listener.ok()) return listener.status();
  server_ = std::move(listener->server);
  bound_ = std::move(listener->bound_address);
  return absl::OkStatus();
}

void QueryGrpcServer::Shutdown(absl::Duration grace) { StopGrpcServer(server_, grace); }

}  // namespace spanvault
