// spanvault.admin.v1.Admin: roles (admin:roles).

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/admin_service.h"
#include "spdlog/spdlog.h"

namespace spanvault {
namespace {

std::string AccessName(AttributeAccess access) {
  switch (access) {
    case AttributeAccess::kShow:
      return "show";
    case AttributeAccess::kRedact:
      return "redact";
    case AttributeAccess::kHide:
      return "hide";
  }
  return "redact";
}

void ToProto(const Role& role, adminpb::Role* out) {
  out->set_name(role.name);
  out->set_description(role.description);
  for (Action action : role.actions) out->add_actions(std::string(ActionName(action)));
  for (const auto& service : role.services) out->add_services(service);
  for (const AttributeRule& rule : role.attribute_rules) {
    adminpb::AttributeRule* r = out->add_attribute_rules();
    r->set_key_glob(rule.key_glob);
    r->set_access(AccessName(rule.access));
  }
  out->set_builtin(role.builtin);
}

absl::StatusOr<Role> FromProto(const adminpb::Role& in) {
  Role role;
  role.name = in.name();
  role.description = in.description();
  for (const auto& name : in.actions()) {
    std::optional<Action> action = ParseAction(name);
    if (!action.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown action \"", name, "\""));
    }
    role.actions.push_back(*action);
  }
  role.services.assign(in.services().begin(), in.services().end());
  for (const auto& r : in.attribute_rules()) {
    AttributeRule rule{r.key_glob()};
    if (r.access() == "redact") {
      rule.access = AttributeAccess::kRedact;
    } else if (r.access() == "hide") {
      rule.access = AttributeAccess::kHide;
    } else if (r.access() == "show") {
      rule.access = AttributeAccess::kShow;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("attribute rule access \"", r.access(), "\": use redact, hide or show"));
    }
    role.attribute_rules.push_back(std::move(rule));
  }
  return role;
}

nlohmann::json Params(const adminpb::Role& role) {
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& r : role.attribute_rules()) rules.push_back({r.key_glob(), r.access()});
  return {{"name", role.name()},
          {"actions", std::vector<std::string>(role.actions().begin(), role.actions().end())},
          {"services", std::vector<std::string>(role.services().begin(), role.services().end())},
          {"attribute_rules", rules}};
}

}  // namespace

grpc::Status AdminService::ListRoles(grpc::ServerContext* context, const adminpb::ListRolesRequest*,
                                     adminpb::ListRolesResponse* response) {
  return auth_.Run(*context, {"ListRoles", Action::kAdminRoles}, [&](const Principal&) {
    for (const Role& role : deps_.identities.ListRoles()) ToProto(role, response->add_roles());
    return absl::OkStatus();
  });
}

grpc::Status AdminService::GetRole(grpc::ServerContext* context,
                                   const adminpb::GetRoleRequest* request,
                                   adminpb::Role* response) {
  AdminCall call{"GetRole", Action::kAdminRoles, {{"name", request->name()}}};
  return auth_.Run(*context, std::move(call), [&](const Principal&) -> absl::Status {
    SV_ASSIGN_OR_RETURN(Role role, deps_.identities.GetRole(request->name()));
    ToProto(role, response);
    return absl::OkStatus();
  });
}

grpc::Status AdminService::CreateRole(grpc::ServerContext* context,
                                      const adminpb::CreateRoleRequest* request,
                                      adminpb::Role* response) {
  AdminCall call{"CreateRole", Action::kAdminRoles, Params(request->role())};
  return auth_.Run(*context, std::move(call), [&](const Principal& caller) -> absl::Status {
    SV_ASSIGN_OR_RETURN(Role role, FromProto(request->role()));
    SV_RETURN_IF_ERROR(deps_.identities.CreateRole(role));
    SV_ASSIGN_OR_RETURN(role, deps_.identities.GetRole(role.name));
    ToProto(role, response);
    spdlog::info("role {} created by {}", role.name, caller.subject);
    return absl::OkStatus();
  });
}

grpc::Status AdminService::UpdateRole(grpc::ServerContext* context,
                                      const adminpb::UpdateRoleRequest* request,
                                      adminpb::Role* response) {
  AdminCall call{"UpdateRole", Action::kAdminRoles, Params(request->role())};
  return auth_.Run(*context, std::move(call), [&](const Principal& caller) -> absl::Status {
    SV_ASSIGN_OR_RETURN(Role role, FromProto(request->role()));
    SV_RETURN_IF_ERROR(deps_.identities.UpdateRole(role));
    SV_ASSIGN_OR_RETURN(role, deps_.identities.GetRole(role.name));
    ToProto(role, response);
    spdlog::info("role {} updated by {}", role.name, caller.subject);
    return absl::OkStatus();
  });
}

grpc::Status AdminService::DeleteRole(grpc::ServerContext* context,
                                      const adminpb::DeleteRoleRequest* request,
                                      adminpb::DeleteRoleResponse*) {
  AdminCall call{"DeleteRole", Action::kAdminRoles, {{"name", request->name()}}};
  return auth_.Run(*context, std::move(call), [&](const Principal& caller) {
    absl::Status s = deps_.identities.DeleteRole(request->name());
    if (s.ok()) spdlog::info("role {} deleted by {}", request->name(), caller.subject);
    return s;
  });
}

}  // namespace spanvault
