#pragma once

// Starting and stopping a gRPC server, the same way for every gRPC listener.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/connection_limits.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"

namespace spanvault {

struct GrpcListener {
  std::unique_ptr<grpc::Server> server;
  std::string bound_address;  // "host:port" with the port really bound
};

// Starts a gRPC server on `address` ("host:port"; port 0 picks a free one) serving `services`
// (which must outlive it) with `credentials` (GrpcServerCredentials in common/tls.h).
// `max_receive_bytes` <= 0 keeps gRPC's default; `limits` bound streams, idle and old
// connections, keepalive pings and metadata. kUnavailable when the address cannot be bound.
absl::StatusOr<GrpcListener> StartGrpcListener(
    const std::string& address, const std::vector<grpc::Service*>& services, int max_receive_bytes,
    const std::shared_ptr<grpc::ServerCredentials>& credentials,
    const GrpcConnectionLimits& limits);

// Stops accepting, waits up to `grace` for calls in flight (then cancels them), and waits for
// the server to finish. Safe on a null server.
void StopGrpcServer(std::unique_ptr<grpc::Server>& server, absl::Duration grace);

}  // namespace spanvault
