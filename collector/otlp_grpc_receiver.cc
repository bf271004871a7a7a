#include "collector/otlp_grpc_receiver.h"

#include "absl/strings/str_cat.h"
#include "common/wire_status.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"

namespace spanvault {

using ExportResponse = opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse;
using TraceService = opentelemetry::proto::collector::trace::v1::TraceService;

namespace {
constexpr char kReceiver[] = "otlp_grpc";

void SetPartialSuccess(const ValidationResult& validation, ExportResponse* response) {
  if (validation.message.empty()) return;
  response->mutable_partial_success()->set_rejected_spans(validation.rejected_spans);
  response->mutable_partial_success()->set_error_message(validation.message);
}
}  // namespace

class OtlpGrpcReceiver::Service final : public TraceService::CallbackService {
 public:
  Service(const ValidationLimits& limits, SpanSink& sink, IngestMetrics& metrics)
      : limits_(limits), sink_(sink), metrics_(metrics) {}

  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const ExportRequest* request,
                                   ExportResponse* response) override {
    absl::Time started = absl::Now();
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    // gRPC allocated the request without const; take its contents instead of copying them.
    auto owned = std::make_unique<ExportRequest>();
    owned->Swap(const_cast<ExportRequest*>(request));
    ValidationResult validation = ValidateExportRequest(limits_, owned.get());
    int64_t received = validation.accepted_spans + validation.rejected_spans;
    SetPartialSuccess(validation, response);
    if (validation.accepted_spans == 0) {
      metrics_.Record(kReceiver, received, 0, validation.rejected_spans, "invalid_span",
                      absl::Now() - started);
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
    sink_.Consume(SpanBatch(std::move(owned)), [this, reactor, validation, received,
                                                started](absl::Status status) {
      if (status.ok()) {
        metrics_.Record(kReceiver, received, validation.accepted_spans, validation.rejected_spans,
                        "invalid_span", absl::Now() - started);
        reactor->Finish(grpc::Status::OK);
        return;
      }
      metrics_.Record(kReceiver, received, 0, received, IngestMetrics::ReasonFor(status),
                      absl::Now() - started);
      reactor->Finish(ToGrpcStatus(status));
    });
    return reactor;
  }

 private:
  const ValidationLimits limits_;
  SpanSink& sink_;
  IngestMetrics& metrics_;
};

OtlpGrpcReceiver::OtlpGrpcReceiver(OtlpGrpcReceiverOptions options, SpanSink& sink,
                                   IngestMetrics& metrics)
    : options_(std::move(options)),
      service_(std::make_unique<Service>(options_.limits, sink, metrics)) {}

OtlpGrpcReceiver::~OtlpGrpcReceiver() { Shutdown(absl::ZeroDuration()); }

absl::Status OtlpGrpcReceiver::Start() {
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.address, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(options_.max_request_bytes);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.address));
  }
  std::string host = options_.address.substr(0, options_.address.rfind(':'));
  bound_ = absl::StrCat(host.empty() ? "0.0.0.0" : host, ":", port);
  return absl::OkStatus();
}

void OtlpGrpcReceiver::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(absl::ToInt64Milliseconds(grace)));
  server_->Wait();
  server_.reset();
}

}  // namespace spanvault
