#pragma once

// JaegerGrpcV2: jaeger.api_v2.QueryService (proto/jaeger/api_v2/query.proto) on top of
// QueryService.

#include "jaeger/api_v2/query.grpc.pb.h"
#include "query/grpc_caller.h"
#include "query/query_service.h"

namespace spanvault {

// Serves the api_v2 gRPC query API as Jaeger's grpc_handler does: traces stream as
// SpansResponseChunks of at most kMaxSpansPerChunk spans, each chunk holding spans of one
// trace only, spans carrying their process. Every call authenticates through `caller_of` and
// goes through QueryService (scope, redaction, audit). INVALID_ARGUMENT names the bad
// field (query/grpc_query_params.h), NOT_FOUND "trace not found", PERMISSION_DENIED with
// QueryService's message. Thread-safe.
class JaegerGrpcV2 final : public jaeger::api_v2::QueryService::Service {
 public:
  static constexpr int kMaxSpansPerChunk = 10;

  // `queries` must outlive the service.
  JaegerGrpcV2(QueryService& queries, GrpcCallerOf caller_of)
      : queries_(queries), caller_of_(std::move(caller_of)) {}

  grpc::Status GetTrace(grpc::ServerContext* context,
                        const jaeger::api_v2::GetTraceRequest* request,
                        grpc::ServerWriter<jaeger::api_v2::SpansResponseChunk>* writer) override;
  grpc::Status ArchiveTrace(grpc::ServerContext* context,
                            const jaeger::api_v2::ArchiveTraceRequest* request,
                            jaeger::api_v2::ArchiveTraceResponse* response) override;
  grpc::Status FindTraces(grpc::ServerContext* context,
                          const jaeger::api_v2::FindTracesRequest* request,
                          grpc::ServerWriter<jaeger::api_v2::SpansResponseChunk>* writer) override;
  grpc::Status GetServices(grpc::ServerContext* context,
                           const jaeger::api_v2::GetServicesRequest* request,
                           jaeger::api_v2::GetServicesResponse* response) override;
  grpc::Status GetOperations(grpc::ServerContext* context,
                             const jaeger::api_v2::GetOperationsRequest* request,
                             jaeger::api_v2::GetOperationsResponse* response) override;
  grpc::Status GetDependencies(grpc::ServerContext* context,
                               const jaeger::api_v2::GetDependenciesRequest* request,
                               jaeger::api_v2::GetDependenciesResponse* response) override;

 private:
  QueryService& queries_;
  const GrpcCallerOf caller_of_;
};

// The chunks a trace is streamed in: its spans (with processes) in order, at most
// `max_spans` per chunk. No chunk for a trace without spans.
std::vector<jaeger::api_v2::SpansResponseChunk> ChunkTrace(const otlp::TracesData& trace,
                                                           int max_spans);

}  // namespace spanvault
