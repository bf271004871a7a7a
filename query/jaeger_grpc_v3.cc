#include "query/jaeger_grpc_v3.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "query/grpc_query_params.h"
#include "query/grpc_responses.h"
#include "query/trace_chunks.h"

namespace spanvault {
namespace {

namespace v3 = ::jaeger::api_v3;

constexpr std::string_view kGetTrace = "/jaeger.api_v3.QueryService/GetTrace";
constexpr std::string_view kFindTraces = "/jaeger.api_v3.QueryService/FindTraces";
constexpr std::string_view kGetServices = "/jaeger.api_v3.QueryService/GetServices";
constexpr std::string_view kGetOperations = "/jaeger.api_v3.QueryService/GetOperations";
constexpr std::string_view kGetDependencies = "/jaeger.api_v3.QueryService/GetDependencies";
constexpr std::string_view kFindTraceSummaries = "/jaeger.api_v3.QueryService/FindTraceSummaries";

// Streams `trace` in chunks of bounded size (query/trace_chunks.h); kCancelled when the client
// has gone.
absl::Status Send(otlp::TracesData trace, JaegerGrpcV3::TracesWriter& writer) {
  for (const auto& chunk : SplitTrace(std::move(trace))) {
    if (!writer.Write(chunk)) return absl::CancelledError("the client went away");
  }
  return absl::OkStatus();
}

}  // namespace

grpc::Status JaegerGrpcV3::GetTrace(grpc::ServerContext* context,
                                    const v3::GetTraceRequest* request, TracesWriter* writer) {
  return ServeGrpcQuery(caller_of_, *context, kGetTrace, [&](const Principal& caller) {
    SV_ASSIGN_OR_RETURN(TraceId id, ParseGetTrace(*request));
    SV_ASSIGN_OR_RETURN(otlp::TracesData trace, queries_.GetTrace(caller, id));
    return Send(std::move(trace), *writer);
  });
}

grpc::Status JaegerGrpcV3::FindTraces(grpc::ServerContext* context,
                                      const v3::FindTracesRequest* request, TracesWriter* writer) {
  return ServeGrpcQuery(caller_of_, *context, kFindTraces, [&](const Principal& caller) {
    SV_ASSIGN_OR_RETURN(TraceQuery query, ParseFindTraces(*request));
    SV_ASSIGN_OR_RETURN(std::vector<otlp::TracesData> traces,
                        queries_.FindTraces(caller, std::move(query)));
    for (auto& trace : traces) SV_RETURN_IF_ERROR(Send(std::move(trace), *writer));
    return absl::OkStatus();
  });
}

grpc::Status JaegerGrpcV3::GetServices(grpc::ServerContext* context, const v3::GetServicesRequest*,
                                       v3::GetServicesResponse* response) {
  return ServeGrpcQuery(caller_of_, *context, kGetServices, [&](const Principal& caller) {
    return FillServices(queries_, caller, *response);
  });
}

grpc::Status JaegerGrpcV3::GetOperations(grpc::ServerContext* context,
                                         const v3::GetOperationsRequest* request,
                                         v3::GetOperationsResponse* response) {
  return ServeGrpcQuery(caller_of_, *context, kGetOperations, [&](const Principal& caller) {
    SV_ASSIGN_OR_RETURN(std::vector<Operation> operations,
                        RequestedOperations(queries_, caller, *request));
    std::set<std::pair<std::string, std::string>> unique;
    for (const auto& op : operations) {
      unique.emplace(op.name, op.span_kind.empty() ? "internal" : op.span_kind);
    }
    for (const auto& [name, kind] : unique) {
      v3::Operation* out = response->add_operations();
      out->set_name(name);
      out->set_span_kind(kind);
    }
    return absl::OkStatus();
  });
}

grpc::Status JaegerGrpcV3::GetDependencies(grpc::ServerContext* context,
                                           const v3::GetDependenciesRequest* request,
                                           v3::DependenciesResponse* response) {
  return ServeGrpcQuery(caller_of_, *context, kGetDependencies, [&](const Principal& caller) {
    return FillDependencies(queries_, caller, *request, *response);
  });
}

grpc::Status JaegerGrpcV3::FindTraceSummaries(
    grpc::ServerContext* context, const v3::FindTraceSummariesRequest* request,
    grpc::ServerWriter<v3::FindTraceSummariesResponse>* writer) {
  return ServeGrpcQuery(caller_of_, *context, kFindTraceSummaries, [&](const Principal& caller) {
    SV_ASSIGN_OR_RETURN(TraceQuery query, ParseFindTraces(*request));
    SV_ASSIGN_OR_RETURN(std::vector<TraceSummary> summaries,
                        queries_.FindTraceSummaries(caller, std::move(query)));
    v3::FindTraceSummariesResponse response;
    for (const auto& summary : summaries) {
      FillSummary(summary, summary.trace_id.ToHex(), *response.add_summaries());
    }
    if (!writer->Write(response)) return absl::CancelledError("the client went away");
    return absl::OkStatus();
  });
}

}  // namespace spanvault
