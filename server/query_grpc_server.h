#pragma once

// QueryGrpcServer: the Jaeger gRPC query listener (--query-grpc-addr): jaeger.api_v2 and
// jaeger.api_v3 QueryService, with server reflection.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/connection_limits.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "query/grpc_caller.h"

namespace spanvault {

class AuditLog;
class Authenticator;
class QueryService;

struct GrpcCallerOptions {
  // The listener's name in the audit log: calls are recorded as "<listener> <method>".
  // Default: "query_grpc".
  std::string listener = "query_grpc";
  // Whether jaeger-query's forwarded end-user token (metadata "bearer.token") identifies the
  // caller, ahead of "authorization" (server/grpc_auth_request.h). Default: false.
  bool forwarded_bearer_token = false;
};

// Who calls a gRPC query listener: peers outside `admit` (allowed_cidrs; null: everyone) are
// refused with PERMISSION_DENIED and audited by `admit`; then the caller authenticates from the
// "authorization" metadata (Basic or Bearer), the proxy identity headers or a client
// certificate, as on the HTTP query API, and a failed login with credentials is audited. A
// null `authenticator` (--insecure-no-auth) serves everyone as Principal::Anonymous. Both must
// outlive the result.
GrpcCallerOf MakeQueryGrpcCallerOf(Authenticator* authenticator, AuditLog& audit,
                                   std::function<bool(const std::string& peer)> admit,
                                   GrpcCallerOptions options = {});

// Thread-safe.
class QueryGrpcServer {
 public:
  // `queries` must outlive the server.
  QueryGrpcServer(std::string address, QueryService& queries, GrpcCallerOf caller_of);
  ~QueryGrpcServer();

  // Binds and starts with `credentials` (GrpcListenerCredentials). Turns on gRPC server
  // reflection for servers built from now on, so start it after the other gRPC listeners.
  // kUnavailable when the address cannot be bound.
  absl::Status Start(const std::shared_ptr<grpc::ServerCredentials>& credentials,
                     const GrpcConnectionLimits& limits = {});
  std::string bound_address() const { return bound_; }
  // Stops accepting, lets calls in flight finish for up to `grace`, then cancels them.
  void Shutdown(absl::Duration grace);

 private:
  const std::string address_;
  std::unique_ptr<grpc::Service> v2_;
  std::unique_ptr<grpc::Service> v3_;
  std::unique_ptr<grpc::Server> server_;
  std::string bound_;
};

}  // namespace spanvault
