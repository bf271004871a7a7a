// OTLP/gRPC export client on the gRPC callback API (export_client.h).

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "benchmarks/loadgen/export_client.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/channel_arguments.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"

namespace spanvault::bench {
namespace {

using TraceService = opentelemetry::proto::collector::trace::v1::TraceService;
using ExportResponse = opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse;

std::chrono::system_clock::time_point Deadline(absl::Duration timeout) {
  return std::chrono::system_clock::now() +
         std::chrono::microseconds(absl::ToInt64Microseconds(timeout));
}

class GrpcExportClient final : public ExportClient {
 public:
  GrpcExportClient(const ExportClientOptions& options, std::shared_ptr<grpc::Channel> channel)
      : options_(options),
        channel_(std::move(channel)),
        stub_(channel_),
        method_(absl::StrCat("/", TraceService::service_full_name(), "/Export")) {}

  ExportOutcome Export(std::string body) override {
    grpc::Slice slice(body);  // one copy; gRPC owns the slice from here
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::ClientContext context;
    context.set_deadline(Deadline(options_.timeout));
    if (options_.compression == Compression::kGzip) {
      context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    }
    grpc::Status status;
    absl::Notification done;
    stub_.UnaryCall(&context, method_, grpc::StubOptions(), &request, &response,
                    [&status, &done](grpc::Status s) {
                      status = std::move(s);
                      done.Notify();
                    });
    done.WaitForNotification();
    return ToOutcome(status, response);
  }

 private:
  static ExportOutcome ToOutcome(const grpc::Status& status, grpc::ByteBuffer& response) {
    ExportOutcome out;
    if (!status.ok()) {
      out.failure = absl::StrCat("grpc ", CodeName(status.error_code()));
      out.retry_later = status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
                        status.error_code() == grpc::StatusCode::UNAVAILABLE;
      return out;
    }
    out.ok = true;
    grpc::Slice single;
    ExportResponse message;
    if (response.DumpToSingleSlice(&single).ok() &&
        message.ParseFromArray(single.begin(), static_cast<int>(single.size()))) {
      out.rejected_spans = message.partial_success().rejected_spans();
    }
    return out;
  }

  static const char* CodeName(grpc::StatusCode code) {
    switch (code) {
      case grpc::StatusCode::CANCELLED:
        return "CANCELLED";
      case grpc::StatusCode::INVALID_ARGUMENT:
        return "INVALID_ARGUMENT";
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        return "DEADLINE_EXCEEDED";
      case grpc::StatusCode::RESOURCE_EXHAUSTED:
        return "RESOURCE_EXHAUSTED";
      case grpc::StatusCode::UNIMPLEMENTED:
        return "UNIMPLEMENTED";
      case grpc::StatusCode::INTERNAL:
        return "INTERNAL";
      case grpc::StatusCode::UNAVAILABLE:
        return "UNAVAILABLE";
      default:
        return "OTHER";
    }
  }

  const ExportClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  grpc::GenericStub stub_;
  const std::string method_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ExportClient>> NewGrpcExportClient(
    const ExportClientOptions& options) {
  grpc::ChannelArguments args;
  // A connection of its own per client, as separate exporters would have (channels to the same
  // target otherwise share one subchannel, and so one TCP connection).
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxSendMessageSize(-1);
  auto channel =
      grpc::CreateCustomChannel(options.target, grpc::InsecureChannelCredentials(), args);
  if (!channel->WaitForConnected(Deadline(options.timeout))) {
    return absl::UnavailableError(absl::StrCat("cannot connect to ", options.target, " (gRPC)"));
  }
  return std::make_unique<GrpcExportClient>(options, std::move(channel));
}

}  // namespace spanvault::bench
