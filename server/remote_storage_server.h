#pragma once

// RemoteStorageServer: the Jaeger remote-storage listener (--remote-storage-addr), so that an
// unmodified jaeger-query reads its traces from spanvault: jaeger.storage.v2 TraceReader,
// DependencyReader and Capabilities (Jaeger v2.6 and later), and jaeger.storage.v1
// SpanReaderPlugin, DependenciesReaderPlugin, PluginCapabilities and SpanWriterPlugin (which
// answers UNIMPLEMENTED: spans come in over OTLP) for jaeger-query v1 and Jaeger v2.0 - v2.5.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/connection_limits.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "query/grpc_caller.h"

namespace spanvault {

class QueryService;

// Thread-safe.
class RemoteStorageServer {
 public:
  // `queries` must outlive the server. `caller_of` should read jaeger-query's forwarded
  // "bearer.token" (GrpcCallerOptions::forwarded_bearer_token).
  RemoteStorageServer(std::string address, QueryService& queries, GrpcCallerOf caller_of);
  ~RemoteStorageServer();

  // Binds and starts with `credentials` (GrpcListenerCredentials). kUnavailable when the
  // address cannot be bound.
  absl::Status Start(const std::shared_ptr<grpc::ServerCredentials>& credentials,
                     const GrpcConnectionLimits& limits = {});
  std::string bound_address() const { return bound_; }
  // Stops accepting, lets calls in flight finish for up to `grace`, then cancels them.
  void Shutdown(absl::Duration grace);

 private:
  const std::string address_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
  std::string bound_;
};

}  // namespace spanvault
