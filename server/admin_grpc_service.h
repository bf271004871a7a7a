#pragma once

// AdminGrpcService: spanvault.admin.v1.Admin, the API spanvaultctl talks to.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/connection_limits.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "sampling/rule_set.h"
#include "storage/encryption_key_admin.h"

namespace spanvault {

class AuditLog;
class Authenticator;
class IdentityStore;
class QueryService;

// Serves the admin API on its own listener (localhost by default). Every call is authenticated
// (the "authorization" metadata, as on the query API), authorized against the admin action it
// needs and written to the audit log (server/admin_auth.h); the order journey calls are
// authorized and audited by `queries` like any query. Thread-safe.
class AdminGrpcServer {
 public:
  // Every reference and pointer must outlive the server. `keys` is null when the store is not
  // encrypted. --insecure-no-auth does not apply here: admin calls always authenticate.
  AdminGrpcServer(std::string address, sampling::RuleSet& rules, EncryptionKeyAdmin* keys,
                  Authenticator& authenticator, AuditLog& audit, IdentityStore& identities,
                  QueryService& queries,
                  std::function<bool(const std::string& peer)> admit = nullptr);
  ~AdminGrpcServer();

  // Binds and starts with `credentials` (GrpcServerCredentials in common/tls.h).
  // kUnavailable when the address cannot be bound.
  absl::Status Start(const std::shared_ptr<grpc::ServerCredentials>& credentials,
                     const GrpcConnectionLimits& limits = {});
  std::string bound_address() const { return bound_; }
  void Shutdown(absl::Duration grace);

 private:
  const std::string address_;
  std::unique_ptr<grpc::Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string bound_;
};

}  // namespace spanvault
