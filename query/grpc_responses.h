#pragma once

// The answers that several Jaeger gRPC APIs give in messages of the same shape but different
// packages (api_v2, api_v3, storage.v1, storage.v2), filled in one place.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "auth/principal.h"
#include "common/status_macros.h"
#include "query/grpc_query_params.h"
#include "query/query_service.h"
#include "spanmetrics/span_metrics_reader.h"
#include "storage/trace_reader.h"

namespace spanvault {

// GetServices of every API: the services `caller` may see (QueryService's errors).
template <typename Response>
absl::Status FillServices(QueryService& queries, const Principal& caller, Response& response) {
  SV_ASSIGN_OR_RETURN(std::vector<std::string> services, queries.GetServices(caller));
  for (auto& service : services) response.add_services(std::move(service));
  return absl::OkStatus();
}

// The operations a GetOperations request of any API asks for (`service`, `span_kind`), as
// `caller` may see them; kInvalidArgument naming the field for a missing service.
template <typename Request>
absl::StatusOr<std::vector<Operation>> RequestedOperations(QueryService& queries,
                                                           const Principal& caller,
                                                           const Request& request) {
  SV_RETURN_IF_ERROR(ValidateGetOperations(request.service()));
  return queries.GetOperations(caller, request.service(), request.span_kind());
}

// Every operation as stored (name and span kind, in QueryService's order) in `operations`, and
// each distinct name once, sorted, in the deprecated `operationNames` (api_v2, storage.v1).
template <typename Response>
void FillOperationsAndNames(const std::vector<Operation>& operations, Response& response) {
  std::set<std::string> names;
  for (const auto& op : operations) {
    auto* out = response.add_operations();
    out->set_name(op.name);
    out->set_span_kind(op.span_kind);
    names.insert(op.name);
  }
  for (const auto& name : names) response.add_operationnames(name);
}

// Every operation as stored, without the names list (storage.v2).
template <typename Response>
void FillOperations(const std::vector<Operation>& operations, Response& response) {
  for (const auto& op : operations) {
    auto* out = response.add_operations();
    out->set_name(op.name);
    out->set_span_kind(op.span_kind);
  }
}

// GetDependencies of every API: the service links in the request's window (ending now when it
// names no end) as `caller` may see them, as Dependency / DependencyLink messages (parent,
// child, call_count); kInvalidArgument naming the field for a bad window.
template <typename Request, typename Response>
absl::Status FillDependencies(QueryService& queries, const Principal& caller,
                              const Request& request, Response& response) {
  SV_ASSIGN_OR_RETURN(TimeWindow window, ParseGetDependencies(request));
  const auto [end, lookback] = EndAndLookback(window, absl::Now());
  SV_ASSIGN_OR_RETURN(std::vector<spanmetrics::DependencyLink> edges,
                      queries.GetDependencies(caller, end, lookback, ""));
  for (const auto& edge : edges) {
    auto* out = response.add_dependencies();
    out->set_parent(edge.parent);
    out->set_child(edge.child);
    out->set_call_count(edge.call_count);
  }
  return absl::OkStatus();
}

// A TraceSummary message (api_v3, storage.v2) with `trace_id` in the form its API uses.
template <typename Out>
void FillSummary(const TraceSummary& s, std::string trace_id, Out& out) {
  out.set_trace_id(std::move(trace_id));
  out.set_root_service_name(s.root_service_name);
  out.set_root_operation_name(s.root_operation_name);
  out.set_min_start_time_unix_nano(s.min_start_time_unix_nano);
  out.set_max_end_time_unix_nano(s.max_end_time_unix_nano);
  out.set_span_count(static_cast<int32_t>(s.span_count));
  out.set_error_span_count(static_cast<int32_t>(s.error_span_count));
  for (const auto& service : s.services) {
    auto* svc = out.add_services();
    svc->set_name(service.name);
    svc->set_span_count(static_cast<int32_t>(service.span_count));
    svc->set_error_span_count(static_cast<int32_t>(service.error_span_count));
  }
}

}  // namespace spanvault
