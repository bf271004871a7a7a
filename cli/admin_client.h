#pragma once

// AdminClient: spanvaultctl's connection to spanvault's admin API.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/security/credentials.h"
#include "spanvault/admin/v1/admin.grpc.pb.h"

namespace spanvault::cli {

// Thread-compatible.
class AdminClient {
 public:
  // `server` is "host:port", reached with `credentials` (ChannelCredentials in
  // cli/client_tls.h). Each call waits at most `timeout`.
  AdminClient(const std::string& server,
              const std::shared_ptr<grpc::ChannelCredentials>& credentials, absl::Duration timeout);

  absl::StatusOr<admin::v1::SamplingRule> AddSamplingRule(const std::string& key,
                                                          const std::string& value,
                                                          absl::Duration duration,
                                                          const std::string& reason);
  absl::StatusOr<std::vector<admin::v1::SamplingRule>> ListSamplingRules();
  absl::Status RemoveSamplingRule(const std::string& id);

  absl::StatusOr<admin::v1::RotateKeysResponse> RotateKeys(bool rewrite_only);
  absl::StatusOr<admin::v1::KeyStatusResponse> KeyStatus();
  absl::Status RetireKey(uint32_t id);

  // Sends `authorization` ("Basic ..." / "Bearer ...") as call metadata; "" sends none.
  void set_authorization(std::string authorization) { authorization_ = std::move(authorization); }

  // Any unary RPC: `Unary(&Stub::ListUsers, request)`.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Unary(grpc::Status (admin::v1::Admin::Stub::*method)(
                                     grpc::ClientContext*, const Request&, Response*),
                                 const Request& request) {
    Response response;
    absl::Status s = FromGrpc(((*stub_).*method)(Context().get(), request, &response));
    if (!s.ok()) return s;
    return response;
  }

  // ExportAudit: calls `visit` with each record, oldest first, as they arrive.
  absl::Status ExportAudit(const std::function<void(const admin::v1::AuditEntry&)>& visit);

 private:
  // The call's status, with UNAVAILABLE explained as "cannot reach".
  absl::Status FromGrpc(const grpc::Status& status) const;
  std::unique_ptr<grpc::ClientContext> Context() const;

  const std::string server_;
  const absl::Duration timeout_;
  std::string authorization_;
  std::unique_ptr<admin::v1::Admin::Stub> stub_;
};

}  // namespace spanvault::cli
