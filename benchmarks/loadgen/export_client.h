#pragma once

// ExportClient: one connection that sends encoded OTLP export requests and reports what the
// server answered.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace spanvault::bench {

// What one export got.
struct ExportOutcome {
  // HTTP 200 / gRPC OK.
  bool ok = false;
  // partial_success.rejected_spans of a successful answer.
  int64_t rejected_spans = 0;
  // When not ok: the answer ("grpc RESOURCE_EXHAUSTED", "http 429") or the transport failure
  // ("transport: connection refused").
  std::string failure;
  // The server asked to retry later (overload or shutdown).
  bool retry_later = false;
};

enum class Compression { kNone, kGzip };

struct ExportClientOptions {
  // A loopback "host:port" (checked by the caller).
  std::string target;
  Compression compression = Compression::kNone;
  // Deadline of one export. Default: 10 s.
  absl::Duration timeout = absl::Seconds(10);
};

// Not thread-safe: one per worker thread, one request in flight at a time.
class ExportClient {
 public:
  virtual ~ExportClient() = default;
  // Sends `body` (an encoded ExportTraceServiceRequest, uncompressed) and waits for the answer.
  virtual ExportOutcome Export(std::string body) = 0;
};

// OTLP/gRPC over its own HTTP/2 connection. Sends the pre-encoded bytes as they are (generic
// stub, callback API), so no message is re-serialized per call. kUnavailable when the server
// cannot be reached within the timeout.
absl::StatusOr<std::unique_ptr<ExportClient>> NewGrpcExportClient(
    const ExportClientOptions& options);

// OTLP/HTTP protobuf, POST /v1/traces on one keep-alive connection (reconnects when the server
// closes it). gzip compresses each body here, at level 1, on the caller's thread.
absl::StatusOr<std::unique_ptr<ExportClient>> NewHttpExportClient(
    const ExportClientOptions& options);

}  // namespace spanvault::bench
