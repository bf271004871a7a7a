#pragma once

// The TLS of each listener, from the configuration: checked files, gRPC credentials and HTTP
// TLS contexts, and how a listener's security is described in the logs.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"
#include "server/config.h"
#include "server/http_tls.h"

namespace spanvault {

// Credentials for gRPC listener `name`: insecure when it has no TLS. kInvalidArgument naming
// the listener when its files do not load.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> GrpcListenerCredentials(
    const ServerConfig& config, const std::string& name);

// The TLS context of HTTP listener `name`; null when it has no TLS. kInvalidArgument naming
// the listener when its files do not load.
absl::StatusOr<std::shared_ptr<HttpTlsContext>> HttpListenerTls(const ServerConfig& config,
                                                                const std::string& name);

// "plaintext", "TLS" or "mutual TLS", for the log line of a listener.
std::string DescribeTls(const TlsFiles& files);

}  // namespace spanvault
