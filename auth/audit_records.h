#pragma once

// The audit records every API writes, built in one place: a call by a known caller, and a
// refused login. AuditLog::Append writes them.

#include <string>

#include "absl/status/status.h"
#include "auth/audit_log.h"
#include "auth/authenticator.h"
#include "auth/principal.h"

namespace spanvault {

// A record of a call by `caller`: principal, roles, remote address and api (caller.api, or
// `method` when the caller has none; "caller.api (method)" when both are given). The caller
// of this fills in action, params, result and latency.
AuditRecord RecordOf(const Principal& caller, std::string_view method = "");

// The record of a refused login through `api`: action "login", allowed false, the reason in
// detail, and the scheme and claimed identity (ClaimedIdentity) in params; never a secret.
AuditRecord LoginFailureRecord(const AuthRequest& request, std::string api,
                               const absl::Status& refused);

}  // namespace spanvault
