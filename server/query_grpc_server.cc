#include "server/query_grpc_server.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "auth/audit_log.h"
#include "auth/audit_records.h"
#include "auth/authenticator.h"
#include "common/grpc_server.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "query/jaeger_grpc_v2.h"
#include "query/jaeger_grpc_v3.h"
#include "server/grpc_auth_request.h"

namespace spanvault {

namespace {

absl::StatusOr<Principal> Authenticated(Authenticator& authenticator, AuditLog& audit,
                                        const GrpcCallerOptions& options,
                                        grpc::ServerContext& context, const std::string& api) {
  AuthRequest auth =
      GrpcAuthRequest(context, &authenticator.proxy_options(), options.forwarded_bearer_token);
  absl::StatusOr<Principal> caller = authenticator.Authenticate(auth);
  if (caller.ok() || ClaimedIdentity(auth).scheme.empty()) return caller;
  absl::Status written = audit.AppendRefusal(LoginFailureRecord(auth, api, caller.status()));
  if (!written.ok()) return written;
  return caller;
}

}  // namespace

GrpcCallerOf MakeQueryGrpcCallerOf(Authenticator* authenticator, AuditLog& audit,
                                   std::function<bool(const std::string& peer)> admit,
                                   GrpcCallerOptions options) {
  return [authenticator, &audit, admit = std::move(admit), options = std::move(options)](
             grpc::ServerContext& context, std::string_view method) -> absl::StatusOr<Principal> {
    if (admit && !admit(context.peer())) {  // refused and audited by admit
      return absl::PermissionDeniedError("your address is not in this listener's allowed_cidrs");
    }
    const std::string api = absl::StrCat(options.listener, " ", std::string(method));
    absl::StatusOr<Principal> caller =
        authenticator == nullptr ? absl::StatusOr<Principal>(Principal::Anonymous(context.peer()))
                                 : Authenticated(*authenticator, audit, options, context, api);
    if (caller.ok()) caller->api = api;
    return caller;
  };
}

QueryGrpcServer::QueryGrpcServer(std::string address, QueryService& queries, GrpcCallerOf caller_of)
    : address_(std::move(address)),
      v2_(std::make_unique<JaegerGrpcV2>(queries, caller_of)),
      v3_(std::make_unique<JaegerGrpcV3>(queries, std::move(caller_of))) {}

QueryGrpcServer::~QueryGrpcServer() { Shutdown(absl::ZeroDuration()); }

absl::Status QueryGrpcServer::Start(const std::shared_ptr<grpc::ServerCredentials>& credentials,
                                    const GrpcConnectionLimits& limits) {
  // Registers the reflection service with every ServerBuilder created from now on (gRPC has no
  // per-server switch).
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  auto listener = StartGrpcListener(address_, {v2_.get(), v3_.get()}, 0, credentials, limits);
  if (!listener.ok()) return listener.status();
  server_ = std::move(listener->server);
  bound_ = std::move(listener->bound_address);
  return absl::OkStatus();
}

void QueryGrpcServer::Shutdown(absl::Duration grace) { StopGrpcServer(server_, grace); }

}  // namespace spanvault
