#include "cli/role_commands.h"

#include <iostream>
#include <memory>

#include "absl/strings/str_join.h"
#include "cli/flag_parsing.h"
#include "cli/output.h"
#include "nlohmann/json.hpp"

namespace spanvault::cli {
namespace {

namespace pb = ::spanvault::admin::v1;
using Stub = pb::Admin::Stub;

struct RoleFlags {
  std::string name;
  std::string description;
  std::vector<std::string> services, redact, hide, allow;
};

nlohmann::json ToJson(const pb::Role& role) {
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& r : role.attribute_rules()) {
    rules.push_back({{"key", r.key_glob()}, {"access", r.access()}});
  }
  return {{"name", role.name()},
          {"description", role.description()},
          {"actions", std::vector<std::string>(role.actions().begin(), role.actions().end())},
          {"services", std::vector<std::string>(role.services().begin(), role.services().end())},
          {"attribute_rules", rules},
          {"builtin", role.builtin()}};
}

std::string Rules(const pb::Role& role) {
  std::vector<std::string> rules;
  for (const auto& r : role.attribute_rules()) rules.push_back(r.access() + ":" + r.key_glob());
  return absl::StrJoin(rules, ",");
}

// `role` with what the flags set: a list flag given replaces that list; --hide and --redact
// together replace the attribute rules (hide rules first, since the first match decides).
void Apply(const RoleFlags& flags, pb::Role& role) {
  role.set_name(flags.name);
  if (!flags.description.empty()) role.set_description(flags.description);
  if (!flags.services.empty()) {
    role.clear_services();
    for (const auto& s : SplitList(flags.services)) role.add_services(s);
  }
  if (!flags.allow.empty()) {
    role.clear_actions();
    for (const auto& a : SplitList(flags.allow)) role.add_actions(a);
  }
  if (!flags.hide.empty() || !flags.redact.empty()) {
    role.clear_attribute_rules();
    for (const auto& [list, access] :
         {std::pair(&flags.hide, "hide"), std::pair(&flags.redact, "redact")}) {
      for (const auto& key : SplitList(*list)) {
        pb::AttributeRule* rule = role.add_attribute_rules();
        rule->set_key_glob(key);
        rule->set_access(access);
      }
    }
  }
}

int PrintRole(const CommandContext& context, const pb::Role& role) {
  if (context.json) {
    std::cout << ToJson(role).dump(2) << "\n";
    return 0;
  }
  PrintTable(std::cout, {"NAME", role.name()},
             {{"DESCRIPTION", role.description()},
              {"ACTIONS", absl::StrJoin(role.actions(), ",")},
              {"SERVICES", absl::StrJoin(role.services(), ",")},
              {"ATTRIBUTES", Rules(role)},
              {"BUILTIN", role.builtin() ? "yes" : "no"}});
  return 0;
}

int ListRoles(CommandContext& context) {
  auto client = context.client();
  if (!client.ok()) return Fail(client.status());
  auto roles = (*client)->Unary(&Stub::ListRoles, pb::ListRolesRequest());
  if (!roles.ok()) return Fail(roles.status());
  if (context.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& role : roles->roles()) out.push_back(ToJson(role));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : roles->roles()) {
    rows.push_back(
        {r.name(), absl::StrJoin(r.actions(), ","), absl::StrJoin(r.services(), ","), Rules(r)});
  }
  PrintTable(std::cout, {"NAME", "ACTIONS", "SERVICES", "ATTRIBUTES"}, rows);
  return 0;
}

int ShowRole(CommandContext& context, const RoleFlags& flags) {
  auto client = context.client();
  if (!client.ok()) return Fail(client.status());
  pb::GetRoleRequest request;
  request.set_name(flags.name);
  auto role = (*client)->Unary(&Stub::GetRole, request);
  if (!role.ok()) return Fail(role.status());
  return PrintRole(context, *role);
}

int CreateRole(CommandContext& context, const RoleFlags& flags) {
  auto client = context.client();
  if (!client.ok()) return Fail(client.status());
  pb::CreateRoleRequest request;
  Apply(flags, *request.mutable_role());
  auto role = (*client)->Unary(&Stub::CreateRole, request);
  if (!role.ok()) return Fail(role.status());
  return PrintRole(context, *role);
}

int UpdateRole(CommandContext& context, const RoleFlags& flags) {
  auto client = context.client();
  if (!client.ok()) return Fail(client.status());
  pb::GetRoleRequest get;
  get.set_name(flags.name);
  auto existing = (*client)->Unary(&Stub::GetRole, get);
  if (!existing.ok()) return Fail(existing.status());
  pb::UpdateRoleRequest request;
  *request.mutable_role() = *existing;
  Apply(flags, *request.mutable_role());
  auto role = (*client)->Unary(&Stub::UpdateRole, request);
  if (!role.ok()) return Fail(role.status());
  return PrintRole(context, *role);
}

int DeleteRole(CommandContext& context, const RoleFlags& flags) {
  auto client = context.client();
  if (!client.ok()) return Fail(client.status());
  pb::DeleteRoleRequest request;
  request.set_name(flags.name);
  auto deleted = (*client)->Unary(&Stub::DeleteRole, request);
  if (!deleted.ok()) return Fail(deleted.status());
  std::cout << "role " << flags.name << " deleted\n";
  return 0;
}

void AddRoleFlags(CLI::App& command, RoleFlags& flags) {
  command.add_option("--services", flags.services, "service names or globs, comma-separated");
  command.add_option("--redact", flags.redact, "attribute keys or globs shown as [redacted]");
  command.add_option("--hide", flags.hide, "attribute keys or globs left out");
  command.add_option("--allow", flags.allow, "actions, e.g. traces:read,admin:sampling");
  command.add_option("--description", flags.description, "what the role is for");
}

}  // namespace

void AddRoleCommands(CLI::App& app, CommandContext& context) {
  auto flags = std::make_shared<RoleFlags>();
  auto* roles = app.add_subcommand("roles", "roles: actions, services, attributes (admin:roles)");
  roles->require_subcommand(1);
  roles->add_subcommand("list", "every role")->callback([&context] {
    context.run = [&context] { return ListRoles(context); };
  });
  using Command = int (*)(CommandContext&, const RoleFlags&);
  auto named = [&](const char* name, const char* help, Command command) {
    auto* sub = roles->add_subcommand(name, help);
    sub->add_option("NAME", flags->name, "the role's name")->required();
    sub->callback([&context, flags, command] {
      context.run = [&context, flags, command] { return command(context, *flags); };
    });
    return sub;
  };
  named("show", "one role", ShowRole);
  AddRoleFlags(*named("create", "create a custom role", CreateRole), *flags);
  AddRoleFlags(*named("update", "change the given parts of a role", UpdateRole), *flags);
  named("delete", "delete a custom role no user or token holds", DeleteRole);
}

}  // namespace spanvault::cli
