#include "common/grpc_server.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace spanvault {

absl::StatusOr<GrpcListener> StartGrpcListener(
    const std::string& address, const std::vector<grpc::Service*>& services, int max_receive_bytes,
    const std::shared_ptr<grpc::ServerCredentials>& credentials) {
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, credentials, &port);
  if (max_receive_bytes > 0) builder.SetMaxReceiveMessageSize(max_receive_bytes);
  for (grpc::Service* service : services) builder.RegisterService(service);
  GrpcListener listener;
  listener.server = builder.BuildAndStart();
  if (listener.server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address));
  }
  std::string host = address.substr(0, address.rfind(':'));
  listener.bound_address = absl::StrCat(host.empty() ? "0.0.0.0" : host, ":", port);
  return listener;
}

void StopGrpcServer(std::unique_ptr<grpc::Server>& server, absl::Duration grace) {
  if (server == nullptr) return;
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(absl::ToInt64Milliseconds(grace)));
  server->Wait();
  server.reset();
}

}  // namespace spanvault
