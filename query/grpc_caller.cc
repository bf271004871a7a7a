#include "query/grpc_caller.h"

#include "absl/strings/str_cat.h"
#include "common/wire_status.h"

namespace spanvault {

absl::StatusOr<Principal> GrpcCaller(const GrpcCallerOf& caller_of, grpc::ServerContext& context,
                                     std::string_view method) {
  absl::StatusOr<Principal> caller =
      caller_of ? caller_of(context, method) : Principal::Anonymous(context.peer());
  if (caller.ok() && caller->api.empty()) {
    caller->api = absl::StrCat("query_grpc ", std::string(method));
  }
  return caller;
}

grpc::Status ServeGrpcQuery(const GrpcCallerOf& caller_of, grpc::ServerContext& context,
                            std::string_view method,
                            const std::function<absl::Status(const Principal&)>& body) {
  absl::StatusOr<Principal> caller = GrpcCaller(caller_of, context, method);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  return ToGrpcStatus(body(*caller));
}

}  // namespace spanvault
