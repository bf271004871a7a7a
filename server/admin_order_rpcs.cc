// spanvault.admin.v1.Admin: order journeys for `spanvaultctl orders`. The caller is
// authenticated here; QueryService checks traces:read, applies the role's scope and redaction
// and writes the audit record, exactly as for GET /api/orders, and query/journey_json.h makes
// the same JSON.

#include "absl/time/clock.h"
#include "common/wire_status.h"
#include "query/journey_json.h"
#include "server/admin_service.h"

namespace spanvault {

grpc::Status AdminService::GetOrder(grpc::ServerContext* context,
                                    const adminpb::GetOrderRequest* request,
                                    adminpb::GetOrderResponse* response) {
  absl::StatusOr<Principal> caller = auth_.Authenticate(*context, "GetOrder");
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto data = OrderData(deps_.queries, *caller, request->flow(), request->key());
  if (!data.ok()) return ToGrpcStatus(data.status());
  response->set_journey_json(DumpJson(*data, false));
  return grpc::Status::OK;
}

grpc::Status AdminService::ListOrders(grpc::ServerContext* context,
                                      const adminpb::ListOrdersRequest* request,
                                      adminpb::ListOrdersResponse* response) {
  absl::StatusOr<Principal> caller = auth_.Authenticate(*context, "ListOrders");
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  // The HTTP parameters, so both APIs validate them with the same code and messages.
  QueryParams filter = {{"status", request->status()}, {"since", request->since()}};
  if (request->limit() != 0) filter.emplace_back("limit", std::to_string(request->limit()));
  auto data = OrdersListData(deps_.queries, *caller, request->flow(), filter, absl::Now());
  if (!data.ok()) return ToGrpcStatus(data.status());
  response->set_journeys_json(DumpJson(*data, false));
  return grpc::Status::OK;
}

}  // namespace spanvault
