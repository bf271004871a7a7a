#pragma once

// AdminService: the implementation of spanvault.admin.v1.Admin behind AdminGrpcServer. Its RPCs
// live in one file per group (admin_sampling_rpcs.cc, admin_key_rpcs.cc, admin_user_rpcs.cc,
// admin_role_rpcs.cc, admin_token_rpcs.cc, admin_audit_rpcs.cc, admin_order_rpcs.cc); every one
// of them runs through AdminAuth, except that the order RPCs only authenticate there and leave
// authorization and audit to QueryService, as every query does.

#include <functional>

#include "absl/time/time.h"
#include "auth/audit_log.h"
#include "auth/identity_store.h"
#include "query/query_service.h"
#include "sampling/rule_set.h"
#include "server/admin_auth.h"
#include "spanvault/admin/v1/admin.grpc.pb.h"
#include "storage/encryption_key_admin.h"

namespace spanvault {

namespace adminpb = ::spanvault::admin::v1;

// What the admin RPCs work on. Each must outlive the service; `keys` is null when the store is
// not encrypted.
struct AdminServiceDeps {
  sampling::RuleSet& rules;
  EncryptionKeyAdmin* keys = nullptr;
  Authenticator& authenticator;
  AuditLog& audit;
  IdentityStore& identities;
  QueryService& queries;  // the order journeys (GetOrder, ListOrders)
  // Whether calls from this peer are served (allowed_cidrs); null: every peer.
  std::function<bool(const std::string& peer)> admit;
};

// Thread-safe (the gRPC sync server calls it from many threads).
class AdminService final : public adminpb::Admin::Service {
 public:
  explicit AdminService(AdminServiceDeps deps)
      : deps_(deps), auth_(deps.authenticator, deps.audit, deps.admit), started_(absl::Now()) {}

  // admin_sampling_rpcs.cc
  grpc::Status AddSamplingRule(grpc::ServerContext* context,
                               const adminpb::AddSamplingRuleRequest* request,
                               adminpb::SamplingRule* response) override;
  grpc::Status ListSamplingRules(grpc::ServerContext* context,
                                 const adminpb::ListSamplingRulesRequest* request,
                                 adminpb::ListSamplingRulesResponse* response) override;
  grpc::Status RemoveSamplingRule(grpc::ServerContext* context,
                                  const adminpb::RemoveSamplingRuleRequest* request,
                                  adminpb::RemoveSamplingRuleResponse* response) override;

  // admin_key_rpcs.cc
  grpc::Status RotateKeys(grpc::ServerContext* context, const adminpb::RotateKeysRequest* request,
                          adminpb::RotateKeysResponse* response) override;
  grpc::Status KeyStatus(grpc::ServerContext* context, const adminpb::KeyStatusRequest* request,
                         adminpb::KeyStatusResponse* response) override;
  grpc::Status RetireKey(grpc::ServerContext* context, const adminpb::RetireKeyRequest* request,
                         adminpb::RetireKeyResponse* response) override;

  // admin_user_rpcs.cc
  grpc::Status WhoAmI(grpc::ServerContext* context, const adminpb::WhoAmIRequest* request,
                      adminpb::WhoAmIResponse* response) override;
  grpc::Status AddUser(grpc::ServerContext* context, const adminpb::AddUserRequest* request,
                       adminpb::AddUserResponse* response) override;
  grpc::Status ListUsers(grpc::ServerContext* context, const adminpb::ListUsersRequest* request,
                         adminpb::ListUsersResponse* response) override;
  grpc::Status RemoveUser(grpc::ServerContext* context, const adminpb::RemoveUserRequest* request,
                          adminpb::RemoveUserResponse* response) override;
  grpc::Status SetUserPassword(grpc::ServerContext* context,
                               const adminpb::SetUserPasswordRequest* request,
                               adminpb::SetUserPasswordResponse* response) override;
  grpc::Status ChangeUserRoles(grpc::ServerContext* context,
                               const adminpb::ChangeUserRolesRequest* request,
                               adminpb::ChangeUserRolesResponse* response) override;

  // admin_role_rpcs.cc
  grpc::Status ListRoles(grpc::ServerContext* context, const adminpb::ListRolesRequest* request,
                         adminpb::ListRolesResponse* response) override;
  grpc::Status GetRole(grpc::ServerContext* context, const adminpb::GetRoleRequest* request,
                       adminpb::Role* response) override;
  grpc::Status CreateRole(grpc::ServerContext* context, const adminpb::CreateRoleRequest* request,
                          adminpb::Role* response) override;
  grpc::Status UpdateRole(grpc::ServerContext* context, const adminpb::UpdateRoleRequest* request,
                          adminpb::Role* response) override;
  grpc::Status DeleteRole(grpc::ServerContext* context, const adminpb::DeleteRoleRequest* request,
                          adminpb::DeleteRoleResponse* response) override;

  // admin_token_rpcs.cc
  grpc::Status CreateToken(grpc::ServerContext* context, const adminpb::CreateTokenRequest* request,
                           adminpb::CreateTokenResponse* response) override;
  grpc::Status ListTokens(grpc::ServerContext* context, const adminpb::ListTokensRequest* request,
                          adminpb::ListTokensResponse* response) override;
  grpc::Status RevokeToken(grpc::ServerContext* context, const adminpb::RevokeTokenRequest* request,
                           adminpb::RevokeTokenResponse* response) override;

  // admin_audit_rpcs.cc
  grpc::Status ListAudit(grpc::ServerContext* context, const adminpb::ListAuditRequest* request,
                         adminpb::ListAuditResponse* response) override;
  grpc::Status VerifyAudit(grpc::ServerContext* context, const adminpb::VerifyAuditRequest* request,
                           adminpb::VerifyAuditResponse* response) override;
  grpc::Status ExportAudit(grpc::ServerContext* context, const adminpb::ExportAuditRequest* request,
                           grpc::ServerWriter<adminpb::AuditEntry>* writer) override;

  // admin_order_rpcs.cc
  grpc::Status GetOrder(grpc::ServerContext* context, const adminpb::GetOrderRequest* request,
                        adminpb::GetOrderResponse* response) override;
  grpc::Status ListOrders(grpc::ServerContext* context, const adminpb::ListOrdersRequest* request,
                          adminpb::ListOrdersResponse* response) override;

 private:
  const AdminServiceDeps deps_;
  AdminAuth auth_;
  const absl::Time started_;
};

}  // namespace spanvault
