#pragma once

// The stored form of users, roles and API tokens: one JSON document per record. Internal to
// IdentityStore (and the admin API, which accepts roles in the same shape).

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/access_policy.h"
#include "auth/api_token.h"
#include "auth/identity_types.h"

namespace spanvault {

std::string EncodeUser(const User& user);
std::string EncodeRole(const Role& role);
std::string EncodeApiToken(const ApiToken& token);

// kInvalidArgument naming the field when the JSON is malformed, a field has the wrong type, or
// an action or attribute access is unknown.
absl::StatusOr<User> DecodeUser(std::string_view json);
absl::StatusOr<Role> DecodeRole(std::string_view json);
absl::StatusOr<ApiToken> DecodeApiToken(std::string_view json);

// The actions named `names`. kInvalidArgument "actions: unknown action \"x\"".
absl::StatusOr<std::vector<Action>> ParseActionNames(const std::vector<std::string>& names);

}  // namespace spanvault
