// spanvault.admin.v1.Admin: API tokens (admin:tokens; a token for oneself needs a password login).

#include <optional>

#include "common/status_macros.h"
#include "server/admin_service.h"
#include "spdlog/spdlog.h"

namespace spanvault {
namespace {

void ToProto(const ApiToken& token, adminpb::ApiToken* out) {
  out->set_id(token.id);
  out->set_name(token.name);
  out->set_owner(token.owner);
  for (const auto& role : token.roles) out->add_roles(role);
  out->set_created_at_unix_nano(absl::ToUnixNanos(token.created));
  if (token.expires.has_value()) out->set_expires_at_unix_nano(absl::ToUnixNanos(*token.expires));
  out->set_revoked(token.revoked);
}

}  // namespace

grpc::Status AdminService::CreateToken(grpc::ServerContext* context,
                                       const adminpb::CreateTokenRequest* request,
                                       adminpb::CreateTokenResponse* response) {
  // No roles: a token carrying the caller's own roles (spanvaultctl login). It grants nothing
  // the caller does not have, so it needs no admin:tokens, but it needs a password login: a
  // token must not extend its own life by minting another.
  const bool self = request->roles().empty();
  AdminCall call{
      "CreateToken",
      self ? std::nullopt : std::optional<Action>(Action::kAdminTokens),
      {{"name", request->name()},
       {"roles", std::vector<std::string>(request->roles().begin(), request->roles().end())},
       {"expires_in_seconds", request->expires_in_seconds()},
       {"self", self}}};
  return auth_.Run(*context, std::move(call), [&](const Principal& caller) -> absl::Status {
    if (request->expires_in_seconds() < 0) {
      return absl::InvalidArgumentError("expires_in_seconds must not be negative");
    }
    if (self && caller.method != "basic") {
      return absl::PermissionDeniedError(
          "permission denied: a token for yourself needs a user name and password");
    }
    std::vector<std::string> roles(request->roles().begin(), request->roles().end());
    if (self) roles = caller.roles;
    std::optional<absl::Time> expires;
    if (request->expires_in_seconds() > 0) {
      expires = absl::Now() + absl::Seconds(request->expires_in_seconds());
    }
    SV_ASSIGN_OR_RETURN(NewApiToken token, deps_.identities.CreateToken(
                                               request->name(), caller.subject, roles, expires));
    ToProto(token.record, response->mutable_token());
    response->set_secret_token(std::move(token.token));
    spdlog::info("API token {} ({}) created by {}", token.record.id, request->name(),
                 caller.subject);
    return absl::OkStatus();
  });
}

grpc::Status AdminService::ListTokens(grpc::ServerContext* context,
                                      const adminpb::ListTokensRequest*,
                                      adminpb::ListTokensResponse* response) {
  return auth_.Run(
      *context, {"ListTokens", Action::kAdminTokens}, [&](const Principal&) -> absl::Status {
        SV_ASSIGN_OR_RETURN(std::vector<ApiToken> tokens, deps_.identities.ListTokens());
        for (const ApiToken& token : tokens) ToProto(token, response->add_tokens());
        return absl::OkStatus();
      });
}

grpc::Status AdminService::RevokeToken(grpc::ServerContext* context,
                                       const adminpb::RevokeTokenRequest* request,
                                       adminpb::RevokeTokenResponse*) {
  AdminCall call{"RevokeToken", Action::kAdminTokens, {{"id", request->id()}}};
  return auth_.Run(*context, std::move(call), [&](const Principal& caller) {
    absl::Status s = deps_.identities.RevokeToken(request->id());
    if (s.ok()) spdlog::info("API token {} revoked by {}", request->id(), caller.subject);
    return s;
  });
}

}  // namespace spanvault
