#pragma once

// JaegerGrpcV3: jaeger.api_v3.QueryService (proto/jaeger/api_v3/query_service.proto) on top
// of QueryService.

#include "jaeger/api_v3/query_service.grpc.pb.h"
#include "query/grpc_caller.h"
#include "query/query_service.h"

namespace spanvault {

// Serves the api_v3 gRPC query API: traces stream as OTLP TracesData, one message per trace,
// or several consecutive ones for a trace too large for one (query/trace_chunks.h SplitTrace);
// an empty search is an empty stream. Operations without a stored kind are reported as
// "internal", as /api/v3/operations does. Every call authenticates through `caller_of` and
// goes through QueryService (scope, redaction, audit). INVALID_ARGUMENT names the bad field
// (query/grpc_query_params.h), NOT_FOUND "trace not found", PERMISSION_DENIED with
// QueryService's message. Thread-safe.
class JaegerGrpcV3 final : public jaeger::api_v3::QueryService::Service {
 public:
  using TracesWriter = grpc::ServerWriter<opentelemetry::proto::trace::v1::TracesData>;

  // `queries` must outlive the service.
  JaegerGrpcV3(QueryService& queries, GrpcCallerOf caller_of)
      : queries_(queries), caller_of_(std::move(caller_of)) {}

  grpc::Status GetTrace(grpc::ServerContext* context,
                        const jaeger::api_v3::GetTraceRequest* request,
                        TracesWriter* writer) override;
  grpc::Status FindTraces(grpc::ServerContext* context,
                          const jaeger::api_v3::FindTracesRequest* request,
                          TracesWriter* writer) override;
  grpc::Status GetServices(grpc::ServerContext* context,
                           const jaeger::api_v3::GetServicesRequest* request,
                           jaeger::api_v3::GetServicesResponse* response) override;
  grpc::Status GetOperations(grpc::ServerContext* context,
                             const jaeger::api_v3::GetOperationsRequest* request,
                             jaeger::api_v3::GetOperationsResponse* response) override;
  grpc::Status GetDependencies(grpc::ServerContext* context,
                               const jaeger::api_v3::GetDependenciesRequest* request,
                               jaeger::api_v3::DependenciesResponse* response) override;
  grpc::Status FindTraceSummaries(
      grpc::ServerContext* context, const jaeger::api_v3::FindTraceSummariesRequest* request,
      grpc::ServerWriter<jaeger::api_v3::FindTraceSummariesResponse>* writer) override;

 private:
  QueryService& queries_;
  const GrpcCallerOf caller_of_;
};

}  // namespace spanvault
