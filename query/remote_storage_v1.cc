#include "query/remote_storage_v1.h"

#include <string>
#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "query/grpc_query_params.h"
#include "query/grpc_responses.h"
#include "query/trace_chunks.h"

namespace spanvault {
namespace {

namespace s1 = ::jaeger::storage::v1;

constexpr std::string_view kGetTrace = "/jaeger.storage.v1.SpanReaderPlugin/GetTrace";
constexpr std::string_view kGetServices = "/jaeger.storage.v1.SpanReaderPlugin/GetServices";
constexpr std::string_view kGetOperations = "/jaeger.storage.v1.SpanReaderPlugin/GetOperations";
constexpr std::string_view kFindTraces = "/jaeger.storage.v1.SpanReaderPlugin/FindTraces";
constexpr std::string_view kFindTraceIDs = "/jaeger.storage.v1.SpanReaderPlugin/FindTraceIDs";
constexpr std::string_view kGetDependencies =
    "/jaeger.storage.v1.DependenciesReaderPlugin/GetDependencies";
constexpr std::string_view kCapabilities = "/jaeger.storage.v1.PluginCapabilities/Capabilities";

constexpr char kWritesOverOtlp[] =
    "spanvault takes spans over OTLP only (OTLP/gRPC on --otlp-grpc-addr, OTLP/HTTP on "
    "--otlp-http-addr); the remote-storage API serves reads";

// Streams `trace` in chunks; kCancelled when the client has gone.
absl::Status Send(const otlp::TracesData& trace, RemoteStorageV1Reader::ChunkWriter& writer) {
  for (auto& spans : ChunkJaegerSpans(trace, RemoteStorageV1Reader::kMaxSpansPerChunk)) {
    s1::SpansResponseChunk chunk;
    for (auto& span : spans) chunk.mutable_spans()->Add(std::move(span));
    if (!writer.Write(chunk)) return absl::CancelledError("the client went away");
  }
  return absl::OkStatus();
}

}  // namespace

grpc::Status RemoteStorageV1Reader::GetTrace(grpc::ServerContext* context,
                                             const s1::GetTraceRequest* request,
                                             ChunkWriter* writer) {
  return ServeGrpcQuery(caller_of_, *context, kGetTrace, [&](const Principal& caller) {
    SV_ASSIGN_OR_RETURN(TraceId id, ParseGetTrace(*request));
    SV_ASSIGN_OR_RETURN(otlp::TracesData trace, queries_.GetTrace(caller, id));
    return Send(trace, *writer);
  });
}

grpc::Status RemoteStorageV1Reader::GetServices(grpc::ServerContext* context,
                                                const s1::GetServicesRequest*,
                                                s1::GetServicesResponse* response) {
  return ServeGrpcQuery(caller_of_, *context, kGetServices, [&](const Principal& caller) {
    return FillServices(queries_, caller, *response);
  });
}

grpc::Status RemoteStorageV1Reader::GetOperations(grpc::ServerContext* context,
                                                  const s1::GetOperationsRequest* request,
                                                  s1::GetOperationsResponse* response) {
  return ServeGrpcQuery(caller_of_, *context, kGetOperations, [&](const Principal& caller) {
    SV_ASSIGN_OR_RETURN(std::vector<Operation> operations,
                        RequestedOperations(queries_, caller, *request));
    FillOperationsAndNames(operations, *response);
    return absl::OkStatus();
  });
}

grpc::Status RemoteStorageV1Reader::FindTraces(grpc::ServerContext* context,
                                               const s1::FindTracesRequest* request,
                                               ChunkWriter* writer) {
  return ServeGrpcQuery(caller_of_, *context, kFindTraces, [&](const Principal& caller) {
    SV_ASSIGN_OR_RETURN(TraceQuery query, ParseFindTraces(*request));
    SV_ASSIGN_OR_RETURN(std::vector<otlp::TracesData> traces,
                        queries_.FindTraces(caller, std::move(query)));
    for (const auto& trace : traces) SV_RETURN_IF_ERROR(Send(trace, *writer));
    return absl::OkStatus();
  });
}

grpc::Status RemoteStorageV1Reader::FindTraceIDs(grpc::ServerContext* context,
                                                 const s1::FindTraceIDsRequest* request,
                                                 s1::FindTraceIDsResponse* response) {
  return ServeGrpcQuery(caller_of_, *context, kFindTraceIDs, [&](const Principal& caller) {
    SV_ASSIGN_OR_RETURN(TraceQuery query, ParseFindTraces(*request));
    SV_ASSIGN_OR_RETURN(std::vector<TraceSummary> summaries,
                        queries_.FindTraceSummaries(caller, std::move(query)));
    for (const auto& summary : summaries) {
      response->add_trace_ids(std::string(summary.trace_id.bytes()));
    }
    return absl::OkStatus();
  });
}

grpc::Status RemoteStorageV1Dependencies::GetDependencies(grpc::ServerContext* context,
                                                          const s1::GetDependenciesRequest* request,
                                                          s1::GetDependenciesResponse* response) {
  return ServeGrpcQuery(caller_of_, *context, kGetDependencies, [&](const Principal& caller) {
    return FillDependencies(queries_, caller, *request, *response);
  });
}

grpc::Status RemoteStorageV1Capabilities::Capabilities(grpc::ServerContext* context,
                                                       const s1::CapabilitiesRequest*,
                                                       s1::CapabilitiesResponse* response) {
  return ServeGrpcQuery(caller_of_, *context, kCapabilities, [&](const Principal&) {
    // archiveSpanReader and archiveSpanWriter (deprecated fields) stay false as well.
    response->set_streamingspanwriter(false);
    return absl::OkStatus();
  });
}

grpc::Status RemoteStorageV1Writer::WriteSpan(grpc::ServerContext*, const s1::WriteSpanRequest*,
                                              s1::WriteSpanResponse*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, kWritesOverOtlp);
}

grpc::Status RemoteStorageV1Writer::Close(grpc::ServerContext*, const s1::CloseWriterRequest*,
                                          s1::CloseWriterResponse*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, kWritesOverOtlp);
}

}  // namespace spanvault
