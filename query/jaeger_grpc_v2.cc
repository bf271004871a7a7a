#include "query/jaeger_grpc_v2.h"

#include <string>
#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "query/grpc_query_params.h"
#include "query/grpc_responses.h"
#include "query/trace_chunks.h"

namespace spanvault {
namespace {

namespace v2 = ::jaeger::api_v2;

constexpr std::string_view kGetTrace = "/jaeger.api_v2.QueryService/GetTrace";
constexpr std::string_view kArchiveTrace = "/jaeger.api_v2.QueryService/ArchiveTrace";
constexpr std::string_view kFindTraces = "/jaeger.api_v2.QueryService/FindTraces";
constexpr std::string_view kGetServices = "/jaeger.api_v2.QueryService/GetServices";
constexpr std::string_view kGetOperations = "/jaeger.api_v2.QueryService/GetOperations";
constexpr std::string_view kGetDependencies = "/jaeger.api_v2.QueryService/GetDependencies";

// Streams `trace` in chunks; kCancelled when the client has gone.
absl::Status SendTrace(const otlp::TracesData& trace,
                       grpc::ServerWriter<v2::SpansResponseChunk>& writer) {
  for (const auto& chunk : ChunkTrace(trace, JaegerGrpcV2::kMaxSpansPerChunk)) {
    if (!writer.Write(chunk)) return absl::CancelledError("the client went away");
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<v2::SpansResponseChunk> ChunkTrace(const otlp::TracesData& trace, int max_spans) {
  std::vector<v2::SpansResponseChunk> chunks;
  for (auto& spans : ChunkJaegerSpans(trace, max_spans)) {
    v2::SpansResponseChunk& chunk = chunks.emplace_back();
    for (auto& span : spans) chunk.mutable_spans()->Add(std::move(span));
  }
  return chunks;
}

grpc::Status JaegerGrpcV2::GetTrace(grpc::ServerContext* context,
                                    const v2::GetTraceRequest* request,
                                    grpc::ServerWriter<v2::SpansResponseChunk>* writer) {
  return ServeGrpcQuery(caller_of_, *context, kGetTrace, [&](const Principal& caller) {
    SV_ASSIGN_OR_RETURN(TraceId id, ParseGetTrace(*request));
    SV_ASSIGN_OR_RETURN(otlp::TracesData trace, queries_.GetTrace(caller, id));
    return SendTrace(trace, *writer);
  });
}

grpc::Status JaegerGrpcV2::ArchiveTrace(grpc::ServerContext* context,
                                        const v2::ArchiveTraceRequest* request,
                                        v2::ArchiveTraceResponse*) {
  return ServeGrpcQuery(caller_of_, *context, kArchiveTrace, [&](const Principal& caller) {
    SV_ASSIGN_OR_RETURN(TraceId id, ParseArchiveTrace(*request));
    return queries_.ArchiveTrace(caller, id);
  });
}

grpc::Status JaegerGrpcV2::FindTraces(grpc::ServerContext* context,
                                      const v2::FindTracesRequest* request,
                                      grpc::ServerWriter<v2::SpansResponseChunk>* writer) {
  return ServeGrpcQuery(caller_of_, *context, kFindTraces, [&](const Principal& caller) {
    SV_ASSIGN_OR_RETURN(TraceQuery query, ParseFindTraces(*request));
    SV_ASSIGN_OR_RETURN(std::vector<otlp::TracesData> traces,
                        queries_.FindTraces(caller, std::move(query)));
    for (const auto& trace : traces) SV_RETURN_IF_ERROR(SendTrace(trace, *writer));
    return absl::OkStatus();
  });
}

grpc::Status JaegerGrpcV2::GetServices(grpc::ServerContext* context, const v2::GetServicesRequest*,
                                       v2::GetServicesResponse* response) {
  return ServeGrpcQuery(caller_of_, *context, kGetServices, [&](const Principal& caller) {
    return FillServices(queries_, caller, *response);
  });
}

grpc::Status JaegerGrpcV2::GetOperations(grpc::ServerContext* context,
                                         const v2::GetOperationsRequest* request,
                                         v2::GetOperationsResponse* response) {
  return ServeGrpcQuery(caller_of_, *context, kGetOperations, [&](const Principal& caller) {
    SV_ASSIGN_OR_RETURN(std::vector<Operation> operations,
                        RequestedOperations(queries_, caller, *request));
    FillOperationsAndNames(operations, *response);
    return absl::OkStatus();
  });
}

grpc::Status JaegerGrpcV2::GetDependencies(grpc::ServerContext* context,
                                           const v2::GetDependenciesRequest* request,
                                           v2::GetDependenciesResponse* response) {
  return ServeGrpcQuery(caller_of_, *context, kGetDependencies, [&](const Principal& caller) {
    return FillDependencies(queries_, caller, *request, *response);
  });
}

}  // namespace spanvault
