#pragma once

// The one table that maps absl::Status to the wire: HTTP status codes and gRPC statuses.

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"

namespace spanvault {

// HTTP status for `status` (DESIGN.md §7): kInvalidArgument 400, kUnauthenticated 401,
// kPermissionDenied 403, kNotFound 404, kResourceExhausted 429, retryable codes 503, kOk 200,
// anything else 500.
int HttpStatusFor(const absl::Status& status);

// True for the codes an OTLP client should retry (429/503 on HTTP).
bool IsRetryable(const absl::Status& status);

// How long clients are told to wait before retrying an overload error.
inline constexpr absl::Duration kRetryAfter = absl::Seconds(1);

// The gRPC status for `status`, with the same code and message. Retryable errors carry a
// google.rpc.RetryInfo detail so OTLP exporters retry kResourceExhausted too.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace spanvault
