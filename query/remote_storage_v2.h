#pragma once

// The jaeger.storage.v2 remote-storage services (proto/jaeger/storage/v2), which Jaeger v2.6
// and later (jaeger_query with a grpc storage backend) call to read traces, on top of
// QueryService.

#include "jaeger/storage/v2/capabilities.grpc.pb.h"
#include "jaeger/storage/v2/dependency_storage.grpc.pb.h"
#include "jaeger/storage/v2/trace_storage.grpc.pb.h"
#include "query/grpc_caller.h"
#include "query/query_service.h"

namespace spanvault {

// TraceReader. Traces stream as OTLP TracesData under the storage.v2 chunking contract: a chunk
// never mixes traces, a large trace is split across consecutive chunks of at most about
// kMaxTraceChunkBytes (query/trace_chunks.h), no chunk is empty, and ids that are not found
// (or that the caller may not read) are skipped. FindTraceIDs answers each id with the time
// range of its summary. Every call authenticates through `caller_of` and goes through
// QueryService (scope, redaction, audit); INVALID_ARGUMENT names the bad field
// (query/grpc_query_params.h), PERMISSION_DENIED with QueryService's message. Thread-safe.
class RemoteStorageV2Reader final : public jaeger::storage::v2::TraceReader::Service {
 public:
  using TracesWriter = grpc::ServerWriter<opentelemetry::proto::trace::v1::TracesData>;

  // `queries` must outlive the service.
  RemoteStorageV2Reader(QueryService& queries, GrpcCallerOf caller_of)
      : queries_(queries), caller_of_(std::move(caller_of)) {}

  grpc::Status GetTraces(grpc::ServerContext* context,
                         const jaeger::storage::v2::GetTracesRequest* request,
                         TracesWriter* writer) override;
  grpc::Status GetServices(grpc::ServerContext* context,
                           const jaeger::storage::v2::GetServicesRequest* request,
                           jaeger::storage::v2::GetServicesResponse* response) override;
  grpc::Status GetOperations(grpc::ServerContext* context,
                             const jaeger::storage::v2::GetOperationsRequest* request,
                             jaeger::storage::v2::GetOperationsResponse* response) override;
  grpc::Status FindTraces(grpc::ServerContext* context,
                          const jaeger::storage::v2::FindTracesRequest* request,
                          TracesWriter* writer) override;
  grpc::Status FindTraceIDs(grpc::ServerContext* context,
                            const jaeger::storage::v2::FindTraceIDsRequest* request,
                            jaeger::storage::v2::FindTraceIDsResponse* response) override;
  grpc::Status FindTraceSummaries(
      grpc::ServerContext* context, const jaeger::storage::v2::FindTraceSummariesRequest* request,
      grpc::ServerWriter<jaeger::storage::v2::FindTraceSummariesResponse>* writer) override;

 private:
  QueryService& queries_;
  const GrpcCallerOf caller_of_;
};

// DependencyReader: the service links of QueryService::GetDependencies over the request's
// window (an unset end is now). Thread-safe.
class RemoteStorageV2Dependencies final : public jaeger::storage::v2::DependencyReader::Service {
 public:
  // `queries` must outlive the service.
  RemoteStorageV2Dependencies(QueryService& queries, GrpcCallerOf caller_of)
      : queries_(queries), caller_of_(std::move(caller_of)) {}

  grpc::Status GetDependencies(grpc::ServerContext* context,
                               const jaeger::storage::v2::GetDependenciesRequest* request,
                               jaeger::storage::v2::GetDependenciesResponse* response) override;

 private:
  QueryService& queries_;
  const GrpcCallerOf caller_of_;
};

// Capabilities: search without a service name (TraceQuery's empty service means any) and
// conjunctions matched within one span (TraceReader's matching); no structured filters. The
// caller must authenticate; the answer is not audited, as it holds no trace data.
// Thread-safe.
class RemoteStorageV2Capabilities final : public jaeger::storage::v2::Capabilities::Service {
 public:
  explicit RemoteStorageV2Capabilities(GrpcCallerOf caller_of) : caller_of_(std::move(caller_of)) {}

  grpc::Status GetCapabilities(grpc::ServerContext* context,
                               const jaeger::storage::v2::GetCapabilitiesRequest* request,
                               jaeger::storage::v2::GetCapabilitiesResponse* response) override;

 private:
  const GrpcCallerOf caller_of_;
};

}  // namespace spanvault
