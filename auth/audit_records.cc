#include "auth/audit_records.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace spanvault {

AuditRecord RecordOf(const Principal& caller, std::string_view method) {
  AuditRecord record;
  record.principal = caller.subject;
  record.roles = caller.roles;
  record.remote_address = caller.remote_address;
  if (caller.api.empty()) {
    record.api = std::string(method);
  } else if (method.empty()) {
    record.api = caller.api;
  } else {
    record.api = absl::StrCat(caller.api, " (", std::string(method), ")");
  }
  return record;
}

AuditRecord LoginFailureRecord(const AuthRequest& request, std::string api,
                               const absl::Status& refused) {
  AuditRecord record;
  record.remote_address = request.remote_address;
  record.api = std::move(api);
  record.action = "login";
  Claim claim = ClaimedIdentity(request);
  nlohmann::json params = {{"scheme", claim.scheme}};
  if (!claim.name.empty()) params["claimed"] = claim.name;
  record.params = params.dump();
  record.allowed = false;
  record.detail = std::string(refused.message());
  return record;
}

}  // namespace spanvault
