#include "cli/user_commands.h"

#include <iostream>
#include <memory>

#include "absl/strings/str_join.h"
#include "cli/output.h"
#include "nlohmann/json.hpp"

namespace spanvault::cli {
namespace {

namespace pb = ::spanvault::admin::v1;
using Stub = pb::Admin::Stub;

struct UserFlags {
  std::string name;
  std::vector<std::string> roles;
  bool password_stdin = false;
};

nlohmann::json ToJson(const pb::User& user) {
  return {{"name", user.name()},
          {"roles", std::vector<std::string>(user.roles().begin(), user.roles().end())},
          {"created_at", FormatUnixNanos(user.created_at_unix_nano())},
          {"disabled", user.disabled()}};
}

// The new password from stdin (--password-stdin after the command), or "" to have one made.
absl::StatusOr<std::string> NewPassword(const CommandContext& context, const UserFlags& flags) {
  if (!flags.password_stdin) return std::string();
  if (context.credentials.password_stdin) {
    return absl::InvalidArgumentError(
        "stdin cannot carry both your password and the new one: give yours in "
        "SPANVAULT_PASSWORD");
  }
  return ReadPasswordLine(std::cin);
}

int AddUser(CommandContext& context, const UserFlags& flags) {
  auto password = NewPassword(context, flags);
  if (!password.ok()) return Fail(password.status());
  auto client = context.client();
  if (!client.ok()) return Fail(client.status());
  pb::AddUserRequest request;
  request.set_name(flags.name);
  for (const auto& role : flags.roles) request.add_roles(role);
  request.set_password(*password);
  auto added = (*client)->Unary(&Stub::AddUser, request);
  if (!added.ok()) return Fail(added.status());
  if (context.json) {
    nlohmann::json out = ToJson(added->user());
    if (!added->generated_password().empty()) out["password"] = added->generated_password();
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << "user " << flags.name << " added with role(s) "
            << absl::StrJoin(added->user().roles(), ", ") << "\n";
  if (!added->generated_password().empty()) {
    std::cout << "password (shown only now): " << added->generated_password() << "\n";
  }
  return 0;
}

int ListUsers(CommandContext& context) {
  auto client = context.client();
  if (!client.ok()) return Fail(client.status());
  auto users = (*client)->Unary(&Stub::ListUsers, pb::ListUsersRequest());
  if (!users.ok()) return Fail(users.status());
  if (context.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& user : users->users()) out.push_back(ToJson(user));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& user : users->users()) {
    rows.push_back({user.name(), absl::StrJoin(user.roles(), ","),
                    FormatUnixNanos(user.created_at_unix_nano()),
                    user.disabled() ? "disabled" : "enabled"});
  }
  PrintTable(std::cout, {"NAME", "ROLES", "CREATED", "STATE"}, rows);
  return 0;
}

int RemoveUser(CommandContext& context, const UserFlags& flags) {
  auto client = context.client();
  if (!client.ok()) return Fail(client.status());
  pb::RemoveUserRequest request;
  request.set_name(flags.name);
  auto removed = (*client)->Unary(&Stub::RemoveUser, request);
  if (!removed.ok()) return Fail(removed.status());
  std::cout << "user " << flags.name << " removed\n";
  return 0;
}

int SetPassword(CommandContext& context, const UserFlags& flags) {
  if (!flags.password_stdin) {
    return Fail(
        absl::InvalidArgumentError("users passwd needs the new password on stdin: "
                                   "--password-stdin"));
  }
  auto password = NewPassword(context, flags);
  if (!password.ok()) return Fail(password.status());
  auto client = context.client();
  if (!client.ok()) return Fail(client.status());
  pb::SetUserPasswordRequest request;
  request.set_name(flags.name);
  request.set_password(*password);
  auto set = (*client)->Unary(&Stub::SetUserPassword, request);
  if (!set.ok()) return Fail(set.status());
  std::cout << "password of user " << flags.name << " changed\n";
  return 0;
}

int ChangeRoles(CommandContext& context, const UserFlags& flags, bool grant) {
  auto client = context.client();
  if (!client.ok()) return Fail(client.status());
  pb::ChangeUserRolesRequest request;
  request.set_name(flags.name);
  for (const auto& role : flags.roles) {
    (grant ? request.add_grant() : request.add_revoke())->assign(role);
  }
  auto changed = (*client)->Unary(&Stub::ChangeUserRoles, request);
  if (!changed.ok()) return Fail(changed.status());
  if (context.json) {
    std::cout << ToJson(changed->user()).dump(2) << "\n";
    return 0;
  }
  std::cout << "user " << flags.name << " now has role(s) "
            << absl::StrJoin(changed->user().roles(), ", ") << "\n";
  return 0;
}

}  // namespace

void AddUserCommands(CLI::App& app, CommandContext& context) {
  auto flags = std::make_shared<UserFlags>();
  auto* users = app.add_subcommand("users", "local users (needs admin:users)");
  users->require_subcommand(1);
  auto named = [&](const char* name, const char* help) {
    auto* command = users->add_subcommand(name, help);
    command->add_option("NAME", flags->name, "the user's name")->required();
    return command;
  };
  auto* add =
      named("add", "add a user; without --password-stdin a password is made and shown once");
  add->add_option("--role", flags->roles, "a role to grant (repeatable)")->required();
  add->add_flag("--password-stdin", flags->password_stdin, "read the new password from stdin");
  add->callback(
      [&context, flags] { context.run = [&context, flags] { return AddUser(context, *flags); }; });
  users->add_subcommand("list", "every user")->callback([&context] {
    context.run = [&context] { return ListUsers(context); };
  });
  named("remove", "remove a user")->callback([&context, flags] {
    context.run = [&context, flags] { return RemoveUser(context, *flags); };
  });
  auto* passwd = named("passwd", "set a user's password (from stdin)");
  passwd->add_flag("--password-stdin", flags->password_stdin, "read the new password from stdin");
  passwd->callback([&context, flags] {
    context.run = [&context, flags] { return SetPassword(context, *flags); };
  });
  for (bool grant : {true, false}) {
    auto* command = named(grant ? "grant" : "revoke", grant ? "grant a role" : "revoke a role");
    command->add_option("--role", flags->roles, "the role (repeatable)")->required();
    command->callback([&context, flags, grant] {
      context.run = [&context, flags, grant] { return ChangeRoles(context, *flags, grant); };
    });
  }
}

}  // namespace spanvault::cli
