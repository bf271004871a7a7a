#pragma once

// OtlpHttpReceiver: OTLP/HTTP trace export, POST /v1/traces.

#include <cstddef>
#include <memory>

#include "collector/ingest_authorizer.h"
#include "collector/ingest_metrics.h"
#include "collector/memory_limiter.h"
#include "collector/otlp_validate.h"
#include "common/http.h"
#include "common/span_sink.h"

namespace spanvault {

struct OtlpHttpReceiverOptions {
  // Largest body after decompression; larger gets 413. Default: 16 MiB.
  size_t max_request_bytes = 16 << 20;
  ValidationLimits limits;
  // Ingest authentication; null: off. Checked before the body is decoded.
  IngestAuthorizer authorize;
  // Admission under --memory-limit, before the body is parsed; null: none.
  MemoryLimiter* memory = nullptr;
};

// Accepts application/x-protobuf and application/json bodies, optionally gzip-compressed,
// and answers in the request's encoding once the sink has made the spans durable: 200 with an
// ExportTraceServiceResponse (partial_success when spans were rejected), or a google.rpc.Status
// with 400 (malformed body), 413 (too large), 415 (unsupported media type or encoding), 405
// (not POST), 429/503 with Retry-After (overload: retry later). Thread-safe.
class OtlpHttpReceiver final : public HttpHandler {
 public:
  enum class Encoding { kProtobuf, kJson, kUnsupported };

  // `sink` and `metrics` must outlive the receiver.
  OtlpHttpReceiver(OtlpHttpReceiverOptions options, SpanSink& sink, IngestMetrics& metrics)
      : options_(options), sink_(sink), metrics_(metrics) {}

  void Handle(HttpRequest request, HttpRespond respond) override;

 private:
  // Validates a decoded request, hands it to the sink and answers when the sink does.
  void Export(Encoding encoding, std::unique_ptr<ExportRequest> request,
              MemoryLimiter::Ticket ticket, absl::Time started, HttpRespond respond);

  const OtlpHttpReceiverOptions options_;
  SpanSink& sink_;
  IngestMetrics& metrics_;
};

}  // namespace spanvault
