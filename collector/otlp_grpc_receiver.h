#pragma once

// OtlpGrpcReceiver: OTLP/gRPC trace export
// (opentelemetry.proto.collector.trace.v1.TraceService/Export), on the gRPC callback API.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "collector/ingest_authorizer.h"
#include "collector/ingest_metrics.h"
#include "collector/memory_limiter.h"
#include "collector/otlp_validate.h"
#include "common/connection_limits.h"
#include "common/span_sink.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"

namespace spanvault {

struct OtlpGrpcReceiverOptions {
  // "host:port"; port 0 picks a free port. Required.
  std::string address;
  // Largest request after decompression (gzip is handled by gRPC). Default: 16 MiB.
  int max_request_bytes = 16 << 20;
  ValidationLimits limits;
  // TLS (GrpcServerCredentials in common/tls.h). Null: plaintext.
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // Whether a call from this peer (gRPC's "ipv4:1.2.3.4:5678" form) is served; null: every
  // peer. Others get PERMISSION_DENIED.
  std::function<bool(const std::string& peer)> admit;
  // Ingest authentication (the `authorization` metadata); null: off.
  IngestAuthorizer authorize;
  GrpcConnectionLimits connection_limits;
  // Admission under --memory-limit, before the message is parsed; null: none.
  MemoryLimiter* memory = nullptr;
};

// The reaction validates, hands the batch to the sink and returns; the RPC finishes when the
// sink calls back, so no thread blocks while spans are written. Answers OK (with
// partial_success when spans were rejected), or the sink's error (RESOURCE_EXHAUSTED /
// UNAVAILABLE with RetryInfo when overloaded). Thread-safe.
class OtlpGrpcReceiver {
 public:
  // `sink` and `metrics` must outlive the receiver.
  OtlpGrpcReceiver(OtlpGrpcReceiverOptions options, SpanSink& sink, IngestMetrics& metrics);
  ~OtlpGrpcReceiver();

  // Binds and starts serving. kUnavailable when the address cannot be bound.
  absl::Status Start();
  // "host:port" with the real port, after Start().
  std::string bound_address() const { return bound_; }
  // Stops accepting and waits up to `grace` for RPCs in flight (then cancels them).
  // Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  class Service;

  const OtlpGrpcReceiverOptions options_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string bound_;
};

}  // namespace spanvault
