#include "query/remote_storage_v2.h"

#include <string>
#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "query/grpc_query_params.h"
#include "query/grpc_responses.h"
#include "query/trace_chunks.h"

namespace spanvault {
namespace {

namespace s2 = ::jaeger::storage::v2;

constexpr std::string_view kGetTraces = "/jaeger.storage.v2.TraceReader/GetTraces";
constexpr std::string_view kGetServices = "/jaeger.storage.v2.TraceReader/GetServices";
constexpr std::string_view kGetOperations = "/jaeger.storage.v2.TraceReader/GetOperations";
constexpr std::string_view kFindTraces = "/jaeger.storage.v2.TraceReader/FindTraces";
constexpr std::string_view kFindTraceIDs = "/jaeger.storage.v2.TraceReader/FindTraceIDs";
constexpr std::string_view kFindTraceSummaries =
    "/jaeger.storage.v2.TraceReader/FindTraceSummaries";
constexpr std::string_view kGetDependencies = "/jaeger.storage.v2.DependencyReader/GetDependencies";
constexpr std::string_view kGetCapabilities = "/jaeger.storage.v2.Capabilities/GetCapabilities";

// Streams `trace` in chunks of bounded size; kCancelled when the client has gone.
absl::Status Send(otlp::TracesData trace, RemoteStorageV2Reader::TracesWriter& writer) {
  for (const auto& chunk : SplitTrace(std::move(trace))) {
    if (!writer.Write(chunk)) return absl::CancelledError("the client went away");
  }
  return absl::OkStatus();
}

void SetTimestamp(uint64_t unix_nanos, google::protobuf::Timestamp& out) {
  out.set_seconds(static_cast<int64_t>(unix_nanos / 1'000'000'000));
  out.set_nanos(static_cast<int32_t>(unix_nanos % 1'000'000'000));
}

}  // namespace

grpc::Status RemoteStorageV2Reader::GetTraces(grpc::ServerContext* context,
                                              const s2::GetTracesRequest* request,
                                              TracesWriter* writer) {
  return ServeGrpcQuery(caller_of_, *context, kGetTraces, [&](const Principal& caller) {
    SV_ASSIGN_OR_RETURN(std::vector<TraceId> ids, ParseGetTraces(*request));
    for (const TraceId& id : ids) {
      absl::StatusOr<otlp::TracesData> trace = queries_.GetTrace(caller, id);
      if (absl::IsNotFound(trace.status())) continue;  // the contract: unknown ids are skipped
      if (!trace.ok()) return trace.status();
      SV_RETURN_IF_ERROR(Send(*std::move(trace), *writer));
    }
    return absl::OkStatus();
  });
}

grpc::Status RemoteStorageV2Reader::GetServices(grpc::ServerContext* context,
                                                const s2::GetServicesRequest*,
                                                s2::GetServicesResponse* response) {
  return ServeGrpcQuery(caller_of_, *context, kGetServices, [&](const Principal& caller) {
    return FillServices(queries_, caller, *response);
  });
}

grpc::Status RemoteStorageV2Reader::GetOperations(grpc::ServerContext* context,
                                                  const s2::GetOperationsRequest* request,
                                                  s2::GetOperationsResponse* response) {
  return ServeGrpcQuery(caller_of_, *context, kGetOperations, [&](const Principal& caller) {
    SV_ASSIGN_OR_RETURN(std::vector<Operation> operations,
                        RequestedOperations(queries_, caller, *request));
    FillOperations(operations, *response);
    return absl::OkStatus();
  });
}

grpc::Status RemoteStorageV2Reader::FindTraces(grpc::ServerContext* context,
                                               const s2::FindTracesRequest* request,
                                               TracesWriter* writer) {
  return ServeGrpcQuery(caller_of_, *context, kFindTraces, [&](const Principal& caller) {
    SV_ASSIGN_OR_RETURN(TraceQuery query, ParseFindTraces(*request));
    SV_ASSIGN_OR_RETURN(std::vector<otlp::TracesData> traces,
                        queries_.FindTraces(caller, std::move(query)));
    for (auto& trace : traces) SV_RETURN_IF_ERROR(Send(std::move(trace), *writer));
    return absl::OkStatus();
  });
}

grpc::Status RemoteStorageV2Reader::FindTraceIDs(grpc::ServerContext* context,
                                                 const s2::FindTraceIDsRequest* request,
                                                 s2::FindTraceIDsResponse* response) {
  return ServeGrpcQuery(caller_of_, *context, kFindTraceIDs, [&](const Principal& caller) {
    SV_ASSIGN_OR_RETURN(TraceQuery query, ParseFindTraces(*request));
    SV_ASSIGN_OR_RETURN(std::vector<TraceSummary> summaries,
                        queries_.FindTraceSummaries(caller, std::move(query)));
    for (const auto& summary : summaries) {
      s2::FoundTraceID* found = response->add_trace_ids();
      found->set_trace_id(std::string(summary.trace_id.bytes()));
      SetTimestamp(summary.min_start_time_unix_nano, *found->mutable_start());
      SetTimestamp(summary.max_end_time_unix_nano, *found->mutable_end());
    }
    return absl::OkStatus();
  });
}

grpc::Status RemoteStorageV2Reader::FindTraceSummaries(
    grpc::ServerContext* context, const s2::FindTraceSummariesRequest* request,
    grpc::ServerWriter<s2::FindTraceSummariesResponse>* writer) {
  return ServeGrpcQuery(caller_of_, *context, kFindTraceSummaries, [&](const Principal& caller) {
    SV_ASSIGN_OR_RETURN(TraceQuery query, ParseFindTraces(*request));
    SV_ASSIGN_OR_RETURN(std::vector<TraceSummary> summaries,
                        queries_.FindTraceSummaries(caller, std::move(query)));
    if (summaries.empty()) return absl::OkStatus();  // no match: an empty stream
    s2::FindTraceSummariesResponse response;
    for (const auto& summary : summaries) {
      FillSummary(summary, std::string(summary.trace_id.bytes()), *response.add_summaries());
    }
    if (!writer->Write(response)) return absl::CancelledError("the client went away");
    return absl::OkStatus();
  });
}

grpc::Status RemoteStorageV2Dependencies::GetDependencies(grpc::ServerContext* context,
                                                          const s2::GetDependenciesRequest* request,
                                                          s2::GetDependenciesResponse* response) {
  return ServeGrpcQuery(caller_of_, *context, kGetDependencies, [&](const Principal& caller) {
    return FillDependencies(queries_, caller, *request, *response);
  });
}

grpc::Status RemoteStorageV2Capabilities::GetCapabilities(grpc::ServerContext* context,
                                                          const s2::GetCapabilitiesRequest*,
                                                          s2::GetCapabilitiesResponse* response) {
  return ServeGrpcQuery(caller_of_, *context, kGetCapabilities, [&](const Principal&) {
    s2::SearchCapabilities* search = response->mutable_search();
    search->set_without_service_name(true);
    search->set_same_span_conjunction(true);
    return absl::OkStatus();
  });
}

}  // namespace spanvault
