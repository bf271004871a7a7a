#include "collector/otlp_grpc_receiver.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_server.h"
#include "common/protobuf_parse.h"
#include "common/wire_status.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"

namespace spanvault {

using ExportResponse = opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse;
using TraceService = opentelemetry::proto::collector::trace::v1::TraceService;

namespace {
constexpr char kReceiver[] = "otlp_grpc";
}  // namespace

// Export is registered as a raw method: gRPC's own deserialization answers an undecodable
// request with an empty UNIMPLEMENTED, where an OTLP client must see INVALID_ARGUMENT and why.
class OtlpGrpcReceiver::Service final
    : public TraceService::WithRawCallbackMethod_Export<TraceService::Service> {
 public:
  Service(const OtlpGrpcReceiverOptions& options, SpanSink& sink, IngestMetrics& metrics)
      : limits_(options.limits),
        admit_(options.admit),
        authorize_(options.authorize),
        memory_(options.memory),
        sink_(sink),
        metrics_(metrics) {}

  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override {
    absl::Time started = absl::Now();
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (admit_ && !admit_(context->peer())) {
      metrics_.Record(kReceiver, 0, 0, 0, "forbidden", absl::Now() - started);
      reactor->Finish(grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                   "your address is not in this listener's allowed_cidrs"));
      return reactor;
    }
    if (authorize_) {
      absl::Status allowed = authorize_(AuthorizationOf(*context), context->peer());
      if (!allowed.ok()) {
        metrics_.Record(kReceiver, 0, 0, 0, "unauthorized", absl::Now() - started);
        reactor->Finish(ToGrpcStatus(allowed));
        return reactor;
      }
    }
    MemoryLimiter::Ticket ticket;
    if (memory_ != nullptr) {
      auto admitted = memory_->Admit(kReceiver, request->Length());
      if (!admitted.ok()) {
        metrics_.Record(kReceiver, 0, 0, 0, "memory_limit", absl::Now() - started);
        reactor->Finish(ToGrpcStatus(admitted.status()));
        return reactor;
      }
      ticket = *std::move(admitted);
    }
    auto owned = std::make_unique<ExportRequest>();
    // The buffer is this call's to consume; the reader only advances over its slices.
    grpc::ProtoBufferReader reader(const_cast<grpc::ByteBuffer*>(request));
    const std::string problem =
        ProtobufParseProblem([&] { return owned->ParseFromZeroCopyStream(&reader); });
    if (!problem.empty()) {
      metrics_.Record(kReceiver, 0, 0, 0, "invalid_request", absl::Now() - started);
      reactor->Finish(grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("request is not a valid ExportTraceServiceRequest in protobuf encoding: ",
                       problem)));
      return reactor;
    }
    ValidationResult validation = ValidateExportRequest(limits_, owned.get());
    int64_t received = validation.accepted_spans + validation.rejected_spans;
    *response = EncodeResponse(validation);
    if (validation.accepted_spans == 0) {
      metrics_.Record(kReceiver, received, 0, validation.rejected_spans, "invalid_span",
                      absl::Now() - started);
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
    sink_.Consume(SpanBatch(std::move(owned)), [this, reactor, validation, received, started,
                                                ticket = std::move(ticket)](absl::Status status) {
      Finish(reactor, validation, received, started, status);
    });
    return reactor;
  }

 private:
  // Ends the call once the sink has answered.
  void Finish(grpc::ServerUnaryReactor* reactor, const ValidationResult& validation,
              int64_t received, absl::Time started, const absl::Status& status) {
    if (status.ok()) {
      metrics_.Record(kReceiver, received, validation.accepted_spans, validation.rejected_spans,
                      "invalid_span", absl::Now() - started);
      reactor->Finish(grpc::Status::OK);
      return;
    }
    metrics_.Record(kReceiver, received, 0, received, IngestMetrics::ReasonFor(status),
                    absl::Now() - started);
    reactor->Finish(ToGrpcStatus(status));
  }

  static grpc::ByteBuffer EncodeResponse(const ValidationResult& validation) {
    ExportResponse message;
    if (!validation.message.empty()) {
      message.mutable_partial_success()->set_rejected_spans(validation.rejected_spans);
      message.mutable_partial_success()->set_error_message(validation.message);
    }
    grpc::Slice slice(message.SerializeAsString());
    return grpc::ByteBuffer(&slice, 1);
  }

  const ValidationLimits limits_;
  static std::string AuthorizationOf(const grpc::CallbackServerContext& context) {
    auto it = context.client_metadata().find("authorization");
    if (it == context.client_metadata().end()) return "";
    return std::string(it->second.data(), it->second.size());
  }

  const std::function<bool(const std::string&)> admit_;
  const IngestAuthorizer authorize_;
  MemoryLimiter* const memory_;
  SpanSink& sink_;
  IngestMetrics& metrics_;
};

OtlpGrpcReceiver::OtlpGrpcReceiver(OtlpGrpcReceiverOptions options, SpanSink& sink,
                                   IngestMetrics& metrics)
    : options_(std::move(options)), service_(std::make_unique<Service>(options_, sink, metrics)) {}

OtlpGrpcReceiver::~OtlpGrpcReceiver() { Shutdown(absl::ZeroDuration()); }

absl::Status OtlpGrpcReceiver::Start() {
  auto credentials =
      options_.credentials ? options_.credentials : grpc::InsecureServerCredentials();
  auto listener = StartGrpcListener(options_.address, {service_.get()}, options_.max_request_bytes,
                                    credentials, options_.connection_limits);
  if (!listener.ok()) return listener.status();
  server_ = std::move(listener->server);
  bound_ = std::move(listener->bound_address);
  return absl::OkStatus();
}

void OtlpGrpcReceiver::Shutdown(absl::Duration grace) { StopGrpcServer(server_, grace); }

}  // namespace spanvault
