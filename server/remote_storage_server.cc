#include "server/remote_storage_server.h"

#include <utility>

#include "common/grpc_server.h"
#include "query/remote_storage_v1.h"
#include "query/remote_storage_v2.h"

namespace spanvault {

RemoteStorageServer::RemoteStorageServer(std::string address, QueryService& queries,
                                         GrpcCallerOf caller_of)
    : address_(std::move(address)) {
  services_.push_back(std::make_unique<RemoteStorageV2Reader>(queries, caller_of));
  services_.push_back(std::make_unique<RemoteStorageV2Dependencies>(queries, caller_of));
  services_.push_back(std::make_unique<RemoteStorageV2Capabilities>(caller_of));
  services_.push_back(std::make_unique<RemoteStorageV1Reader>(queries, caller_of));
  services_.push_back(std::make_unique<RemoteStorageV1Dependencies>(queries, caller_of));
  services_.push_back(std::make_unique<RemoteStorageV1Capabilities>(caller_of));
  services_.push_back(std::make_unique<RemoteStorageV1Writer>());
}

RemoteStorageServer::~RemoteStorageServer() { Shutdown(absl::ZeroDuration()); }

absl::Status RemoteStorageServer::Start(const std::shared_ptr<grpc::ServerCredentials>& credentials,
                                        const GrpcConnectionLimits& limits) {
  std::vector<grpc::Service*> services;
  for (const auto& service : services_) services.push_back(service.get());
  auto listener = StartGrpcListener(address_, services, 0, credentials, limits);
  if (!listener.ok()) return listener.status();
  server_ = std::move(listener->server);
  bound_ = std::move(listener->bound_address);
  return absl::OkStatus();
}

void RemoteStorageServer::Shutdown(absl::Duration grace) { StopGrpcServer(server_, grace); }

}  // namespace spanvault
