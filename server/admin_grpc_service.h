#pragma once

// AdminGrpcService: spanvault.admin.v1.Admin, the API spanvaultctl talks to.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "sampling/rule_set.h"
#include "storage/encryption_key_admin.h"

namespace spanvault {

// Serves the admin API on its own listener (localhost by default). It has no authentication
// yet: that arrives with access control, so keep the listener on a trusted interface.
// Thread-safe.
class AdminGrpcServer {
 public:
  // `rules` and `keys` must outlive the server; `keys` is null when the store is not encrypted.
  AdminGrpcServer(std::string address, sampling::RuleSet& rules, EncryptionKeyAdmin* keys);
  ~AdminGrpcServer();

  // Binds and starts with `credentials` (GrpcServerCredentials in common/tls.h).
  // kUnavailable when the address cannot be bound.
  absl::Status Start(const std::shared_ptr<grpc::ServerCredentials>& credentials);
  std::string bound_address() const { return bound_; }
  void Shutdown(absl::Duration grace);

 private:
  class Service;

  const std::string address_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string bound_;
};

}  // namespace spanvault
