#pragma once

// Authentication of HTTP requests: the Authenticator fed from an HttpRequest's headers, with
// every failed login written to the audit log.

#include <string>

#include "auth/audit_log.h"
#include "auth/authenticator.h"
#include "query/jaeger_http_api.h"

namespace spanvault {

// `authenticator` and `audit` must outlive the function. `listener` names the listener in
// audit records ("query_http").
JaegerHttpApi::CallerOf MakeHttpCallerOf(Authenticator& authenticator, AuditLog& audit,
                                         std::string listener);

}  // namespace spanvault
