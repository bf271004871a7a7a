#pragma once

// IngestAuthorizer: who may send spans, when ingest authentication is on.

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace spanvault {

// Given a request's Authorization header value ("" when absent) and the peer's address, OK to
// accept its spans; kUnauthenticated (no or bad credentials: HTTP 401, gRPC UNAUTHENTICATED),
// kPermissionDenied (a caller without the `ingest` action: 403, PERMISSION_DENIED) or
// kResourceExhausted (logins throttled) otherwise. Thread-safe. Null: everyone may send.
using IngestAuthorizer =
    std::function<absl::Status(std::string_view authorization, const std::string& peer)>;

}  // namespace spanvault
