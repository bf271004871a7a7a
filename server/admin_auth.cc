#include "server/admin_auth.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "auth/audit_records.h"
#include "common/wire_status.h"
#include "server/grpc_auth_request.h"

namespace spanvault {

absl::StatusOr<Principal> AdminAuth::Authenticate(grpc::ServerContext& context,
                                                  std::string_view method) {
  const absl::Time start = absl::Now();
  const std::string api = absl::StrCat("admin_grpc ", std::string(method));
  if (admit_ && !admit_(context.peer())) {  // refused and audited by admit_
    return absl::PermissionDeniedError("your address is not in this listener's allowed_cidrs");
  }
  const AuthRequest request = GrpcAuthRequest(context);
  absl::StatusOr<Principal> caller = authenticator_.Authenticate(request);
  if (!caller.ok()) {
    AuditRecord record = LoginFailureRecord(request, api, caller.status());
    record.latency = absl::Now() - start;
    absl::Status written = audit_.AppendRefusal(std::move(record));
    return written.ok() ? caller.status() : written;
  }
  caller->api = api;
  return caller;
}

grpc::Status AdminAuth::Run(grpc::ServerContext& context, AdminCall call, const Body& body) {
  const absl::Time start = absl::Now();
  absl::StatusOr<Principal> caller = Authenticate(context, call.method);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (call.action.has_value() && !caller->access->Allows(*call.action)) {
    absl::Status denied =
        absl::PermissionDeniedError(PermissionDeniedMessage(*caller, *call.action));
    absl::Status written = Audit(call, *caller, denied, false, start);
    if (!written.ok()) return ToGrpcStatus(written);
    return ToGrpcStatus(denied);
  }
  absl::Status result = body(*caller);
  // A body may refuse too (a token for oneself without a password login).
  const bool allowed = !absl::IsPermissionDenied(result);
  absl::Status written = Audit(call, *caller, result, allowed, start);
  if (!written.ok()) return ToGrpcStatus(written);
  return ToGrpcStatus(result);
}

absl::Status AdminAuth::Audit(const AdminCall& call, const Principal& caller,
                              const absl::Status& result, bool allowed, absl::Time start) {
  AuditRecord record = RecordOf(caller);
  record.action = call.action.has_value() ? std::string(ActionName(*call.action)) : "authenticated";
  record.params = call.params.dump();
  record.allowed = allowed;
  record.detail = result.ok() ? "" : std::string(result.message());
  record.latency = absl::Now() - start;
  return audit_.Append(std::move(record));
}

}  // namespace spanvault
