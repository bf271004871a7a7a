// spanvault.admin.v1.Admin: the caller (WhoAmI) and local users (admin:users).

#include <algorithm>

#include "auth/password.h"
#include "common/status_macros.h"
#include "server/admin_service.h"
#include "spdlog/spdlog.h"

namespace spanvault {
namespace {

void ToProto(const User& user, adminpb::User* out) {
  out->set_name(user.name);
  for (const auto& role : user.roles) out->add_roles(role);
  out->set_created_at_unix_nano(absl::ToUnixNanos(user.created));
  out->set_disabled(user.disabled);
}

// `roles` with `grant` added (once each) and `revoke` removed.
std::vector<std::string> ChangedRoles(
    std::vector<std::string> roles, const google::protobuf::RepeatedPtrField<std::string>& grant,
    const google::protobuf::RepeatedPtrField<std::string>& revoke) {
  for (const auto& role : grant) {
    if (std::find(roles.begin(), roles.end(), role) == roles.end()) roles.push_back(role);
  }
  for (const auto& role : revoke) std::erase(roles, role);
  return roles;
}

nlohmann::json Strings(const google::protobuf::RepeatedPtrField<std::string>& values) {
  return nlohmann::json(std::vector<std::string>(values.begin(), values.end()));
}

}  // namespace

grpc::Status AdminService::WhoAmI(grpc::ServerContext* context, const adminpb::WhoAmIRequest*,
                                  adminpb::WhoAmIResponse* response) {
  return auth_.Run(*context, {"WhoAmI", std::nullopt}, [&](const Principal& caller) {
    response->set_principal(caller.subject);
    for (const auto& role : caller.roles) response->add_roles(role);
    response->set_method(caller.method);
    for (Action action : AllActions()) {
      if (caller.access->Allows(action)) response->add_actions(std::string(ActionName(action)));
    }
    response->set_uptime_seconds(absl::ToInt64Seconds(absl::Now() - started_));
    return absl::OkStatus();
  });
}

grpc::Status AdminService::AddUser(grpc::ServerContext* context,
                                   const adminpb::AddUserRequest* request,
                                   adminpb::AddUserResponse* response) {
  AdminCall call{"AddUser",
                 Action::kAdminUsers,
                 {{"name", request->name()},
                  {"roles", Strings(request->roles())},
                  {"password_given", !request->password().empty()}}};
  return auth_.Run(*context, std::move(call), [&](const Principal& caller) -> absl::Status {
    std::string password = request->password();
    if (password.empty()) {
      SV_ASSIGN_OR_RETURN(password, GeneratePassword());
      response->set_generated_password(password);
    }
    SV_RETURN_IF_ERROR(deps_.identities.CreateUser(
        request->name(), password,
        std::vector<std::string>(request->roles().begin(), request->roles().end())));
    SV_ASSIGN_OR_RETURN(User user, deps_.identities.GetUser(request->name()));
    ToProto(user, response->mutable_user());
    spdlog::info("user {} added by {}", request->name(), caller.subject);
    return absl::OkStatus();
  });
}

grpc::Status AdminService::ListUsers(grpc::ServerContext* context, const adminpb::ListUsersRequest*,
                                     adminpb::ListUsersResponse* response) {
  return auth_.Run(*context, {"ListUsers", Action::kAdminUsers},
                   [&](const Principal&) -> absl::Status {
                     SV_ASSIGN_OR_RETURN(std::vector<User> users, deps_.identities.ListUsers());
                     for (const User& user : users) ToProto(user, response->add_users());
                     return absl::OkStatus();
                   });
}

grpc::Status AdminService::RemoveUser(grpc::ServerContext* context,
                                      const adminpb::RemoveUserRequest* request,
                                      adminpb::RemoveUserResponse*) {
  AdminCall call{"RemoveUser", Action::kAdminUsers, {{"name", request->name()}}};
  return auth_.Run(*context, std::move(call), [&](const Principal& caller) -> absl::Status {
    if (request->name() == caller.subject) {
      return absl::FailedPreconditionError("you cannot remove the user you are logged in as");
    }
    return deps_.identities.DeleteUser(request->name());
  });
}

grpc::Status AdminService::SetUserPassword(grpc::ServerContext* context,
                                           const adminpb::SetUserPasswordRequest* request,
                                           adminpb::SetUserPasswordResponse*) {
  AdminCall call{"SetUserPassword", Action::kAdminUsers, {{"name", request->name()}}};
  return auth_.Run(*context, std::move(call), [&](const Principal&) {
    return deps_.identities.SetUserPassword(request->name(), request->password());
  });
}

grpc::Status AdminService::ChangeUserRoles(grpc::ServerContext* context,
                                           const adminpb::ChangeUserRolesRequest* request,
                                           adminpb::ChangeUserRolesResponse* response) {
  AdminCall call{"ChangeUserRoles",
                 Action::kAdminUsers,
                 {{"name", request->name()},
                  {"grant", Strings(request->grant())},
                  {"revoke", Strings(request->revoke())}}};
  return auth_.Run(*context, std::move(call), [&](const Principal&) -> absl::Status {
    SV_ASSIGN_OR_RETURN(User user, deps_.identities.GetUser(request->name()));
    SV_RETURN_IF_ERROR(deps_.identities.SetUserRoles(
        request->name(), ChangedRoles(user.roles, request->grant(), request->revoke())));
    SV_ASSIGN_OR_RETURN(user, deps_.identities.GetUser(request->name()));
    ToProto(user, response->mutable_user());
    return absl::OkStatus();
  });
}

}  // namespace spanvault
