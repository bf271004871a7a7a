#include "server/admin_auth.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/wire_status.h"
#include "spdlog/spdlog.h"

namespace spanvault {
namespace {

std::string Metadata(const grpc::ServerContext& context, std::string_view key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

// The scheme of the presented credentials ("Basic", "Bearer"); never the credentials.
std::string Scheme(const std::string& authorization) {
  return authorization.substr(0, authorization.find(' '));
}

}  // namespace

absl::StatusOr<Principal> AdminAuth::Authenticate(grpc::ServerContext& context) {
  AuthRequest request;
  request.authorization = Metadata(context, "authorization");
  request.remote_address = context.peer();
  return authenticator_.Authenticate(request);
}

grpc::Status AdminAuth::Run(grpc::ServerContext& context, AdminCall call, const Body& body) {
  const absl::Time start = absl::Now();
  if (admit_ && !admit_(context.peer())) {  // refused and audited by admit_
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "your address is not in this listener's allowed_cidrs");
  }
  absl::StatusOr<Principal> caller = Authenticate(context);
  if (!caller.ok()) {
    Principal unknown;
    std::string authorization = Metadata(context, "authorization");
    AdminCall login{call.method, std::nullopt, {{"scheme", Scheme(authorization)}}};
    absl::Status written = Audit(login, unknown, context.peer(), caller.status(), false, start);
    if (!written.ok()) return ToGrpcStatus(written);
    return ToGrpcStatus(caller.status());
  }
  caller->api = absl::StrCat("admin_grpc ", std::string(call.method));
  if (call.action.has_value() && !caller->access->Allows(*call.action)) {
    absl::Status denied =
        absl::PermissionDeniedError(PermissionDeniedMessage(*caller, *call.action));
    absl::Status written = Audit(call, *caller, caller->remote_address, denied, false, start);
    if (!written.ok()) return ToGrpcStatus(written);
    return ToGrpcStatus(denied);
  }
  absl::Status result = body(*caller);
  // A body may refuse too (a token for oneself without a password login).
  const bool allowed = !absl::IsPermissionDenied(result);
  absl::Status written = Audit(call, *caller, caller->remote_address, result, allowed, start);
  if (!written.ok()) return ToGrpcStatus(written);
  return ToGrpcStatus(result);
}

absl::Status AdminAuth::Audit(const AdminCall& call, const Principal& caller, std::string remote,
                              const absl::Status& result, bool allowed, absl::Time start) {
  AuditRecord record;
  record.principal = caller.subject;
  record.roles = caller.roles;
  record.remote_address = std::move(remote);
  record.api = absl::StrCat("admin_grpc ", std::string(call.method));
  if (call.action.has_value()) {
    record.action = std::string(ActionName(*call.action));
  } else {
    record.action = allowed ? "authenticated" : "login";
  }
  record.params = call.params.dump();
  record.allowed = allowed;
  record.detail = result.ok() ? "" : std::string(result.message());
  record.latency = absl::Now() - start;
  absl::Status written = audit_.Append(std::move(record));
  if (written.ok()) return written;
  spdlog::error("cannot write the audit log: {}", std::string(written.message()));
  return absl::UnavailableError("the audit log cannot be written; try again later");
}

}  // namespace spanvault
