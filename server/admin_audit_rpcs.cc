// spanvault.admin.v1.Admin: the audit log (admin:audit).

#include "common/status_macros.h"
#include "server/admin_service.h"

namespace spanvault {
namespace {

void ToProto(const AuditRecord& record, adminpb::AuditEntry* out) {
  out->set_seq(record.seq);
  out->set_time_unix_nano(absl::ToUnixNanos(record.time));
  out->set_principal(record.principal);
  for (const auto& role : record.roles) out->add_roles(role);
  out->set_remote_address(record.remote_address);
  out->set_api(record.api);
  out->set_action(record.action);
  out->set_params(record.params);
  out->set_allowed(record.allowed);
  out->set_detail(record.detail);
  out->set_result_count(record.result_count);
  out->set_latency_micros(absl::ToInt64Microseconds(record.latency));
  out->set_json(AuditLog::ToJson(record));
}

}  // namespace

grpc::Status AdminService::ListAudit(grpc::ServerContext* context,
                                     const adminpb::ListAuditRequest* request,
                                     adminpb::ListAuditResponse* response) {
  AdminCall call{"ListAudit",
                 Action::kAdminAudit,
                 {{"principal", request->principal()},
                  {"since_unix_nano", request->since_unix_nano()},
                  {"denied_only", request->denied_only()}}};
  return auth_.Run(*context, std::move(call), [&](const Principal&) -> absl::Status {
    AuditFilter filter;
    filter.principal = request->principal();
    if (request->since_unix_nano() > 0) {
      filter.since = absl::FromUnixNanos(static_cast<int64_t>(request->since_unix_nano()));
    }
    filter.denied_only = request->denied_only();
    if (request->limit() > 0) filter.limit = request->limit();
    SV_ASSIGN_OR_RETURN(std::vector<AuditRecord> records, deps_.audit.List(filter));
    for (const AuditRecord& record : records) ToProto(record, response->add_entries());
    return absl::OkStatus();
  });
}

grpc::Status AdminService::VerifyAudit(grpc::ServerContext* context,
                                       const adminpb::VerifyAuditRequest* request,
                                       adminpb::VerifyAuditResponse* response) {
  return auth_.Run(*context, {"VerifyAudit", Action::kAdminAudit},
                   [&](const Principal&) -> absl::Status {
                     std::optional<AuditAnchor> anchor;
                     if (request->anchor_seq() != 0) {
                       anchor = AuditAnchor{request->anchor_seq(), request->anchor_hash()};
                     }
                     SV_ASSIGN_OR_RETURN(AuditVerification result, deps_.audit.Verify(anchor));
                     response->set_records(result.records);
                     response->set_head_hash(result.head_hash);
                     response->set_intact(!result.first_bad_seq.has_value());
                     response->set_first_bad_seq(result.first_bad_seq.value_or(0));
                     response->set_problem(result.problem);
                     return absl::OkStatus();
                   });
}

grpc::Status AdminService::ExportAudit(grpc::ServerContext* context,
                                       const adminpb::ExportAuditRequest*,
                                       grpc::ServerWriter<adminpb::AuditEntry>* writer) {
  return auth_.Run(*context, {"ExportAudit", Action::kAdminAudit},
                   [&](const Principal&) -> absl::Status {
                     // Streamed record by record, so a big log never sits in memory whole.
                     bool broken = false;
                     SV_RETURN_IF_ERROR(deps_.audit.ForEach([&](const AuditRecord& record) {
                       adminpb::AuditEntry entry;
                       ToProto(record, &entry);
                       broken = !writer->Write(entry);
                       return !broken && !context->IsCancelled();
                     }));
                     if (broken) return absl::CancelledError("the client went away");
                     return absl::OkStatus();
                   });
}

}  // namespace spanvault
