#pragma once

// AdminAuth: the one place where an admin gRPC call is authenticated, authorized and audited.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "auth/access_policy.h"
#include "auth/audit_log.h"
#include "auth/authenticator.h"
#include "auth/principal.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "nlohmann/json.hpp"

namespace spanvault {

// What an admin RPC is and needs.
struct AdminCall {
  std::string_view method;  // "AddUser"; audited as "admin_grpc AddUser"
  // The action the caller's roles must grant; nullopt: any authenticated caller (WhoAmI).
  std::optional<Action> action;
  // The request's parameters for the audit log. Never a password or a token secret.
  nlohmann::json params = nlohmann::json::object();
};

// Thread-safe. Admin calls always authenticate: --insecure-no-auth covers only the query API
// and UI.
class AdminAuth {
 public:
  using Body = std::function<absl::Status(const Principal& caller)>;

  // `admit` (allowed_cidrs; null: everyone) refuses peers before they authenticate.
  AdminAuth(Authenticator& authenticator, AuditLog& audit,
            std::function<bool(const std::string& peer)> admit = nullptr)
      : authenticator_(authenticator), audit_(audit), admit_(std::move(admit)) {}

  // Authenticates the caller (GrpcAuthRequest: metadata, peer, client certificate), checks
  // `call.action`, runs `body` when allowed, and appends one audit record either way.
  // UNAUTHENTICATED ("credentials required" / "invalid credentials"), RESOURCE_EXHAUSTED while
  // throttled, PERMISSION_DENIED without the action, UNAVAILABLE when the audit log cannot be
  // written; else the status of `body`.
  grpc::Status Run(grpc::ServerContext& context, AdminCall call, const Body& body);

  // Only authenticates, for an RPC whose authorization and audit record belong to another
  // component (the order journeys: QueryService). Refuses and audits as Run does before the
  // action check; the Principal's api is "admin_grpc <method>".
  absl::StatusOr<Principal> Authenticate(grpc::ServerContext& context, std::string_view method);

 private:
  absl::Status Audit(const AdminCall& call, const Principal& caller, const absl::Status& result,
                     bool allowed, absl::Time start);

  Authenticator& authenticator_;
  AuditLog& audit_;
  const std::function<bool(const std::string& peer)> admit_;
};

}  // namespace spanvault
