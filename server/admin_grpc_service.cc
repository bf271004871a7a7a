#include "server/admin_grpc_service.h"

#include "common/grpc_server.h"
#include "server/admin_service.h"

namespace spanvault {

AdminGrpcServer::AdminGrpcServer(std::string address, sampling::RuleSet& rules,
                                 EncryptionKeyAdmin* keys, Authenticator& authenticator,
                                 AuditLog& audit, IdentityStore& identities, QueryService& queries,
                                 std::function<bool(const std::string& peer)> admit)
    : address_(std::move(address)),
      service_(std::make_unique<AdminService>(AdminServiceDeps{
          .rules = rules,
          .keys = keys,
          .authenticator = authenticator,
          .audit = audit,
          .identities = identities,
          .queries = queries,
          .admit = std::move(admit),
      })) {}

AdminGrpcServer::~AdminGrpcServer() { Shutdown(absl::ZeroDuration()); }

absl::Status AdminGrpcServer::Start(const std::shared_ptr<grpc::ServerCredentials>& credentials,
                                    const GrpcConnectionLimits& limits) {
  auto listener = StartGrpcListener(address_, {service_.get()}, 0, credentials, limits);
  if (!listener.ok()) return listener.status();
  server_ = std::move(listener->server);
  bound_ = std::move(listener->bound_address);
  return absl::OkStatus();
}

void AdminGrpcServer::Shutdown(absl::Duration grace) { StopGrpcServer(server_, grace); }

}  // namespace spanvault
