#pragma once

// The jaeger.storage.v1 remote-storage services (proto/jaeger/storage/v1/storage.proto), which
// jaeger-query v1.30 - v1.76 (SPAN_STORAGE_TYPE=grpc) and Jaeger v2.0 - v2.5 call to read
// traces, on top of QueryService.

#include "jaeger/storage/v1/storage.grpc.pb.h"
#include "query/grpc_caller.h"
#include "query/query_service.h"

namespace spanvault {

// SpanReaderPlugin. Traces stream as SpansResponseChunks of one trace, at most kMaxSpansPerChunk
// spans and about kMaxTraceChunkBytes each (query/trace_chunks.h), each span carrying its
// process, as api_v2 sends them. GetTrace answers NOT_FOUND
// "trace not found" for a trace that does not exist or that the caller may not read. Every
// call authenticates through `caller_of` and goes through QueryService (scope, redaction,
// audit); INVALID_ARGUMENT names the bad field (query/grpc_query_params.h), PERMISSION_DENIED
// with QueryService's message. Thread-safe.
class RemoteStorageV1Reader final : public jaeger::storage::v1::SpanReaderPlugin::Service {
 public:
  static constexpr int kMaxSpansPerChunk = 100;
  using ChunkWriter = grpc::ServerWriter<jaeger::storage::v1::SpansResponseChunk>;

  // `queries` must outlive the service.
  RemoteStorageV1Reader(QueryService& queries, GrpcCallerOf caller_of)
      : queries_(queries), caller_of_(std::move(caller_of)) {}

  grpc::Status GetTrace(grpc::ServerContext* context,
                        const jaeger::storage::v1::GetTraceRequest* request,
                        ChunkWriter* writer) override;
  grpc::Status GetServices(grpc::ServerContext* context,
                           const jaeger::storage::v1::GetServicesRequest* request,
                           jaeger::storage::v1::GetServicesResponse* response) override;
  grpc::Status GetOperations(grpc::ServerContext* context,
                             const jaeger::storage::v1::GetOperationsRequest* request,
                             jaeger::storage::v1::GetOperationsResponse* response) override;
  grpc::Status FindTraces(grpc::ServerContext* context,
                          const jaeger::storage::v1::FindTracesRequest* request,
                          ChunkWriter* writer) override;
  grpc::Status FindTraceIDs(grpc::ServerContext* context,
                            const jaeger::storage::v1::FindTraceIDsRequest* request,
                            jaeger::storage::v1::FindTraceIDsResponse* response) override;

 private:
  QueryService& queries_;
  const GrpcCallerOf caller_of_;
};

// DependenciesReaderPlugin: the service links of QueryService::GetDependencies over the
// request's window. Thread-safe.
class RemoteStorageV1Dependencies final
    : public jaeger::storage::v1::DependenciesReaderPlugin::Service {
 public:
  // `queries` must outlive the service.
  RemoteStorageV1Dependencies(QueryService& queries, GrpcCallerOf caller_of)
      : queries_(queries), caller_of_(std::move(caller_of)) {}

  grpc::Status GetDependencies(grpc::ServerContext* context,
                               const jaeger::storage::v1::GetDependenciesRequest* request,
                               jaeger::storage::v1::GetDependenciesResponse* response) override;

 private:
  QueryService& queries_;
  const GrpcCallerOf caller_of_;
};

// PluginCapabilities: no archive storage and no streaming writer. The caller must
// authenticate (jaeger-query treats a failure as "no optional capabilities", which is the
// answer anyway); the answer is not audited, as it holds no trace data. Thread-safe.
class RemoteStorageV1Capabilities final : public jaeger::storage::v1::PluginCapabilities::Service {
 public:
  explicit RemoteStorageV1Capabilities(GrpcCallerOf caller_of) : caller_of_(std::move(caller_of)) {}

  grpc::Status Capabilities(grpc::ServerContext* context,
                            const jaeger::storage::v1::CapabilitiesRequest* request,
                            jaeger::storage::v1::CapabilitiesResponse* response) override;

 private:
  const GrpcCallerOf caller_of_;
};

// SpanWriterPlugin: spanvault takes spans over OTLP only, so both methods answer UNIMPLEMENTED
// with a message that says so. Thread-safe.
class RemoteStorageV1Writer final : public jaeger::storage::v1::SpanWriterPlugin::Service {
 public:
  grpc::Status WriteSpan(grpc::ServerContext* context,
                         const jaeger::storage::v1::WriteSpanRequest* request,
                         jaeger::storage::v1::WriteSpanResponse* response) override;
  grpc::Status Close(grpc::ServerContext* context,
                     const jaeger::storage::v1::CloseWriterRequest* request,
                     jaeger::storage::v1::CloseWriterResponse* response) override;
};

}  // namespace spanvault
