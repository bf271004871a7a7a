#pragma once

// Who makes a gRPC query call, for the Jaeger gRPC query services (query/jaeger_grpc_v2.h,
// query/jaeger_grpc_v3.h) and the remote-storage services (query/remote_storage_v1.h,
// query/remote_storage_v2.h).

#include <functional>
#include <string_view>

#include "absl/status/statusor.h"
#include "auth/principal.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace spanvault {

// The authenticated caller of a call, or the status to answer it with: kUnauthenticated
// without or with bad credentials, kPermissionDenied from an address outside allowed_cidrs,
// kResourceExhausted while logins are throttled. `method` is the full gRPC method name, for
// the audit records of failed logins; the Principal's `api` may be set to "<listener>
// <method>". Thread-safe. The composition root (server/query_grpc_server.h) builds it; it also
// covers --insecure-no-auth.
using GrpcCallerOf =
    std::function<absl::StatusOr<Principal>(grpc::ServerContext& context, std::string_view method)>;

// The caller of `method` ("/jaeger.api_v2.QueryService/GetTrace"), with Principal::api, when
// `caller_of` left it empty, set to "query_grpc <method>" for the audit log. Without
// `caller_of`, everyone is Principal::Anonymous.
absl::StatusOr<Principal> GrpcCaller(const GrpcCallerOf& caller_of, grpc::ServerContext& context,
                                     std::string_view method);

// Runs `body` for the authenticated caller of `method` and answers its status (through
// common/wire_status.h); an authentication failure is answered without running it.
grpc::Status ServeGrpcQuery(const GrpcCallerOf& caller_of, grpc::ServerContext& context,
                            std::string_view method,
                            const std::function<absl::Status(const Principal&)>& body);

}  // namespace spanvault
